import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRng } from '@/lib/a3/random';
import { FIRST_MERGE_ID, MAX_PIECE_CODE_POINTS, SPECIAL_TOKENS, Tokenizer, pretokenize, type TokenizerJSON } from '@/lib/a3/tokenizer';

const ROOT = join(__dirname, '../..');
const fixtureText =
  readFileSync(join(ROOT, 'test/fixtures/gutenberg-sample.txt'), 'utf8') +
  readFileSync(join(ROOT, 'test/fixtures/brown-sample.txt'), 'utf8') +
  'The little hen said, "Who will help me?" The duck said, "Not I." The cat said, "Not I."\n'.repeat(5);

const SAMPLES = [
  '',
  'hello world',
  'Café naïve façade — “quotes” ‘single’ …',
  'emoji 😀👍🏽 👨‍👩‍👧‍👦 flags 🇫🇷 and 🤖!',
  '中文字符测试，日本語のテキスト、한국어 텍스트',
  'line1\r\nline2\rline3\n\n\ttabbed\t\t end  ',
  'controls \u0000\u0001\u001f\u007f\u0085\u2028\u2029 zero-width \u200b\u200d',
  '<pad><bos><eos><mask> look like specials but are text',
  "it's I'll we've they're don't 123 4.56 1/2",
  '   leading and trailing spaces   ',
  '\u{10FFFF}\u{1D11E}\u{E0001}',
];

/** Random well-formed string: ASCII, controls, BMP and astral code points. */
function randomString(rng: () => number): string {
  const len = Math.floor(rng() * 40);
  let s = '';
  for (let i = 0; i < len; i++) {
    const r = rng();
    let cp: number;
    if (r < 0.4) cp = 32 + Math.floor(rng() * 95);
    else if (r < 0.5) cp = Math.floor(rng() * 32);
    else if (r < 0.8) cp = Math.floor(rng() * 0xd800);
    else if (r < 0.9) cp = 0xe000 + Math.floor(rng() * 0x2000);
    else cp = 0x10000 + Math.floor(rng() * 0x100000);
    s += String.fromCodePoint(cp);
  }
  return s;
}

function expectRoundTrip(tok: Tokenizer, s: string): void {
  const ids = tok.encode(s);
  expect(ids.every((id) => id >= 4 && id < tok.vocabSize)).toBe(true);
  expect(tok.decode(ids)).toBe(s);
}

describe('Tokenizer (trained on fixtures)', () => {
  const tok = Tokenizer.train(fixtureText, 60);

  it('has the fixed vocabulary layout', () => {
    expect(SPECIAL_TOKENS).toEqual({ pad: 0, bos: 1, eos: 2, mask: 3 });
    expect(FIRST_MERGE_ID).toBe(260);
    expect(tok.vocabSize).toBe(260 + 60);
    expect([0, 1, 2, 3].map((id) => tok.decodeToken(id))).toEqual(['<pad>', '<bos>', '<eos>', '<mask>']);
    expect(tok.tokenBytes(4 + 65)).toEqual(Uint8Array.of(65));
    expect(tok.encode('A')).toEqual([4 + 65]);
  });

  it('round-trips samples: accents, emoji, CJK, controls, CRLF, special look-alikes', () => {
    for (const s of SAMPLES) expectRoundTrip(tok, s);
    expect(tok.encode('<mask>')).not.toContain(SPECIAL_TOKENS.mask);
  });

  it('round-trips fuzzed random strings', () => {
    const rng = makeRng(1234);
    for (let i = 0; i < 500; i++) expectRoundTrip(tok, randomString(rng));
  });

  it('round-trips very long pre-tokens quickly', () => {
    const long = 'ab'.repeat(50_000) + '😀'.repeat(1000) + ' '.repeat(5000) + '!'.repeat(3000);
    const t0 = performance.now();
    expectRoundTrip(tok, long);
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it('compresses text it was trained on', () => {
    const ids = tok.encode(fixtureText);
    expect(ids.length).toBeLessThan(new TextEncoder().encode(fixtureText).length * 0.8);
    expect(tok.decode(ids)).toBe(fixtureText);
  });

  it('keeps a leading byte-order mark: U+FEFF is text like any other', () => {
    expectRoundTrip(tok, '\ufeffhello');
  });

  it('cuts long pre-tokens every 128 code points (not UTF-16 units), never inside a surrogate pair', () => {
    expect(MAX_PIECE_CODE_POINTS).toBe(128);
    const codePoints = (pieces: string[]) => pieces.map((p) => [...p].length);
    expect(codePoints(pretokenize('😀'.repeat(300)))).toEqual([128, 128, 44]);
    expect(codePoints(pretokenize(' '.repeat(300)))).toEqual([128, 128, 44]);
    // 127 letters and an astral letter (two units) make one 128-code-point piece of 129 units.
    const word = 'a'.repeat(127) + '𝒜𝒜';
    expect(pretokenize(word)).toEqual(['a'.repeat(127) + '𝒜', '𝒜']);
    expect(pretokenize('a'.repeat(128))).toEqual(['a'.repeat(128)]);
  });

  it('replaces lone surrogates (not valid UTF-16) by U+FFFD', () => {
    expect(tok.decode(tok.encode('a\ud800b'))).toBe('a\ufffdb');
  });

  it('decode skips <pad>, renders other specials, or drops them on request', () => {
    const ids = [SPECIAL_TOKENS.bos, ...tok.encode('hi'), SPECIAL_TOKENS.mask, SPECIAL_TOKENS.pad, SPECIAL_TOKENS.eos];
    expect(tok.decode(ids)).toBe('<bos>hi<mask><eos>');
    expect(tok.decode(ids, { skipSpecials: true })).toBe('hi');
    expect(tok.decode(new Int32Array(tok.encode('typed')))).toBe('typed');
    expect(() => tok.decode([tok.vocabSize])).toThrow(RangeError);
    expect(() => tok.decode([1.5])).toThrow(RangeError);
  });

  it('decodeToken shows partial UTF-8 as the replacement character', () => {
    const ids = Tokenizer.train('', 0).encode('é'); // two byte tokens
    expect(ids).toHaveLength(2);
    expect(tok.decodeToken(ids[0])).toBe('\ufffd');
    const copy = tok.tokenBytes(ids[0]);
    copy[0] = 0;
    expect(tok.tokenBytes(ids[0])[0]).toBe(0xc3);
  });

  it('training is deterministic', () => {
    const again = Tokenizer.train(fixtureText, 60);
    expect(JSON.stringify(again.toJSON())).toBe(JSON.stringify(tok.toJSON()));
  });

  it('truncation equals training with fewer merges', () => {
    expect(tok.truncate(20).toJSON()).toEqual(Tokenizer.train(fixtureText, 20).toJSON());
  });

  it('survives a JSON round trip', () => {
    const back = Tokenizer.fromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
    expect(back.toJSON()).toEqual(tok.toJSON());
    expect(back.encode(fixtureText)).toEqual(tok.encode(fixtureText));
  });

  it('fromJSON rejects malformed input with a clear error', () => {
    const good = tok.toJSON();
    const bad: unknown[] = [
      null,
      [],
      'tokenizer',
      { ...good, type: 'gpt2' },
      { ...good, version: 2 },
      { ...good, pattern: '\\w+' },
      { ...good, specials: ['<pad>', '<bos>', '<eos>'] },
      { ...good, merges: 'nope' },
      { ...good, merges: [[4, 5, 6]] , vocabSize: 261 },
      { ...good, merges: [[4, 260]], vocabSize: 261 },
      { ...good, merges: [[0, 5]], vocabSize: 261 },
      { ...good, merges: [[4, 5.5]], vocabSize: 261 },
      { ...good, merges: [[4, 5], [4, 5]], vocabSize: 262 },
      { ...good, vocabSize: good.vocabSize + 1 },
    ];
    for (const b of bad) expect(() => Tokenizer.fromJSON(b as TokenizerJSON)).toThrow(/invalid tokenizer JSON/);
  });
});

describe('shipped public/weights/tokenizer.json', () => {
  const path = join(ROOT, 'public/weights/tokenizer.json');

  it('loads, has a sensible size and round-trips', () => {
    const tok = Tokenizer.fromJSON(JSON.parse(readFileSync(path, 'utf8')));
    expect(tok.vocabSize % 64).toBe(0);
    expect(tok.vocabSize).toBeLessThanOrEqual(4096 + 260);
    for (const s of SAMPLES) expectRoundTrip(tok, s);
    const rng = makeRng(99);
    for (let i = 0; i < 300; i++) expectRoundTrip(tok, randomString(rng));
    const prose = 'Once upon a time there was a little hen who lived on a farm with her friends.';
    expect(new TextEncoder().encode(prose).length / tok.encode(prose).length).toBeGreaterThan(3);
  });
});
