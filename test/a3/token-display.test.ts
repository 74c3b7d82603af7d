import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRng } from '@/lib/a3/random';
import { PARTIAL_PIECE_MARK, pieceLabel, piecesText, tokenPiecesText } from '@/lib/a3/token-display';
import { Tokenizer } from '@/lib/a3/tokenizer';

const ROOT = join(__dirname, '../..');
const shipped = Tokenizer.fromJSON(JSON.parse(readFileSync(join(ROOT, 'public/weights/tokenizer.json'), 'utf8')));
const utf8 = (s: string) => new TextEncoder().encode(s);
const oneShot = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Oracle for `partial`: after a prefix, a one-shot decode shows one U+FFFD more than the stream has emitted iff bytes are pending. */
function expectConsistent(pieces: Uint8Array[]) {
  const shown = piecesText(pieces);
  const all = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let end = 0;
  let emitted = '';
  shown.forEach((p, i) => {
    all.set(pieces[i], end);
    end += pieces[i].length;
    emitted += p.text;
    if (i < pieces.length - 1) expect(p.partial).toBe(oneShot(all.subarray(0, end)) !== emitted);
  });
  expect(emitted).toBe(oneShot(all));
  expect(shown.at(-1)?.partial ?? false).toBe(false);
}

describe('token display across pieces', () => {
  it('a character split over tokens shows on the token that completes it; the others are marked partial', () => {
    // "’" is E2 80 99: cut after the first and after the second byte.
    const bytes = utf8('It’s');
    const pieces = [bytes.subarray(0, 3), bytes.subarray(3, 4), bytes.subarray(4, 5), bytes.subarray(5)];
    expect(piecesText(pieces)).toEqual([
      { text: 'It', partial: true },
      { text: '', partial: true },
      { text: '’', partial: false },
      { text: 's', partial: false },
    ]);
    expect(piecesText(pieces).map(pieceLabel)).toEqual([`It${PARTIAL_PIECE_MARK}`, PARTIAL_PIECE_MARK, '’', 's']);
  });

  it('the shipped tokenizer: curly quotes, dashes, accents, emoji, CJK join back to the decoded text, never U+FFFD', () => {
    for (const text of ['It’s a “quiet” morning — she said', 'Café naïve façade', 'emoji 😀👍🏽 and 🤖!', '中文字符测试，日本語のテキスト', '<eos> stays text']) {
      const ids = shipped.encode(text);
      const shown = tokenPiecesText(shipped, ids);
      expect(shown.map((p) => p.text).join('')).toBe(text);
      expect(shown.some((p) => p.text.includes('\ufffd'))).toBe(false);
      // Per-token decoding is what the page used to show: it loses every non-ASCII character here.
      if ([...text].some((ch) => (ch.codePointAt(0) ?? 0) > 0x7f)) expect(ids.map((id) => shipped.decodeToken(id)).join('')).not.toBe(text);
    }
  });

  it('a prefix of a longer text (continues) leaves its unfinished last character pending instead of U+FFFD', () => {
    const lead = utf8('é').subarray(0, 1);
    expect(piecesText([utf8('Caf'), lead], true)).toEqual([
      { text: 'Caf', partial: false },
      { text: '', partial: true },
    ]);
    expect(piecesText([utf8('Caf'), lead]).at(-1)).toEqual({ text: '\ufffd', partial: false });
  });

  it('specials render by name and <pad> as nothing, as Tokenizer.decode does', () => {
    const ids = [...shipped.encode('é'), 2, 0, ...shipped.encode('ok')];
    expect(tokenPiecesText(shipped, ids).map((p) => p.text).join('')).toBe(shipped.decode(ids));
  });

  it('fuzz: random text through the tokenizer, and random bytes cut at random, match a one-shot decode', () => {
    const rng = makeRng(2027);
    const alphabet = ['a', ' ', 'é', '’', '—', '“', '😀', '中', '日', 'ß', '\n', '👍🏽'];
    for (let trial = 0; trial < 300; trial++) {
      let text = '';
      const n = Math.floor(rng() * 30);
      for (let i = 0; i < n; i++) text += alphabet[Math.floor(rng() * alphabet.length)];
      const ids = shipped.encode(text);
      expect(tokenPiecesText(shipped, ids).map((p) => p.text).join('')).toBe(shipped.decode(ids));
      expectConsistent(ids.map((id) => shipped.tokenBytes(id)));
    }
    for (let trial = 0; trial < 500; trial++) {
      // Arbitrary bytes (what a model may sample): invalid sequences must decode as a one-shot decoder does.
      const bytes = Uint8Array.from({ length: Math.floor(rng() * 24) }, () => (rng() < 0.5 ? 0x80 + Math.floor(rng() * 0x80) : Math.floor(rng() * 256)));
      const pieces: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; ) {
        const len = 1 + Math.floor(rng() * 4);
        pieces.push(bytes.subarray(i, i + len));
        i += len;
      }
      expectConsistent(pieces);
    }
  });
});
