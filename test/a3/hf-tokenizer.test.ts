/**
 * The exported tokenizer.json is a real Hugging Face tokenizer: @huggingface/tokenizers (tokenizers.js) loads it
 * and gives our ids on fuzzed text, decodes them to our text, and the file reads back as the same tokenizer.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { HF_PRETOKENIZE_PATTERN, fromHfTokenizer, hfTokenizerFile, parseTokenizerJSON, toHfTokenizer } from '@/lib/a3/hf-tokenizer';
import { makeRng } from '@/lib/a3/random';
import { PRETOKENIZE_PATTERN, SPECIAL_NAMES, SPECIAL_TOKENS, Tokenizer, pretokenize } from '@/lib/a3/tokenizer';

const ROOT = join(__dirname, '../..');
const shipped = Tokenizer.fromJSON(JSON.parse(readFileSync(join(ROOT, 'public/weights/tokenizer.json'), 'utf8')));
const fixtureText = readFileSync(join(ROOT, 'test/fixtures/gutenberg-sample.txt'), 'utf8');
/** Runs longer than the 128-code-point cut, in each class of the regex. */
const LONG = ['a'.repeat(300), 'ab'.repeat(200) + ' end', ' '.repeat(300) + 'x', '\n'.repeat(130), '!'.repeat(260), '😀'.repeat(200), '𝒜'.repeat(129), '中'.repeat(257), 'a'.repeat(127) + '𝒜𝒜', 'abc'.repeat(100)];

/** Trained with the long runs too, so that merges straddle the cut (periods that do not divide 128). */
const small = Tokenizer.train(fixtureText + LONG.join(' \n'), 300);

/** tokenizers.js as a user would load our export (no tokenizer_config.json: we ship three files). */
function loadInHf(tok: Tokenizer): HfTokenizer {
  return new HfTokenizer(JSON.parse(hfTokenizerFile(tok)), { clean_up_tokenization_spaces: false });
}

/** Pieces the fuzzer strings together: each class of text named in the issue, and the tricky whitespace. */
const PARTS = [
  'the', 'The', ' quick', 'brown', ' fox', "it's", "I'll", " we've", "'re", "'d", 'don’t', '123', ' 4.56', '1/2', '٣٤', '²',
  '.', ',', '!?', '...', '—', '–', '“', '”', '‘', '’', '(', ')', '[x]', '{}', '#', '@', '$5', '%', '&', '*', '+', '=', '<', '>', '|', '\\', '~', '`', '^', '_',
  ' ', '  ', '   ', '\t', '\n', '\n\n', '\r\n', '\r', '\u000b', '\u000c', '\u00a0', '\u1680', '\u2003', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff', '\u0085', '\u200b', '\u200d',
  'Café', 'naïve', 'façade', 'e\u0301', 'Ångström', 'Øresund', 'ß', 'İ', 'Ελληνικά', 'кириллица', 'עברית', 'العربية',
  '😀', '👍🏽', '👨‍👩‍👧‍👦', '🇫🇷', '🤖', '\u{1D11E}', '𝒜',
  '中文字符', '测试', '日本語の', 'テキスト', '한국어', '，', '。', '、',
  '\u0000', '\u0001', '\u007f',
];

function fuzzText(rng: () => number, specials: boolean): string {
  let s = '';
  const n = 1 + Math.floor(rng() * 24);
  for (let i = 0; i < n; i++) {
    const r = rng();
    if (specials && r < 0.1) s += SPECIAL_NAMES[Math.floor(rng() * SPECIAL_NAMES.length)];
    else if (r < 0.13) s += String.fromCodePoint(Math.floor(rng() * 0xd800)); // any BMP code point below the surrogates
    else s += PARTS[Math.floor(rng() * PARTS.length)];
  }
  return s;
}

/**
 * Our ids under HF's convention for the special names: HF splits "<pad>" … "<mask>" out of the text as the
 * special tokens and encodes the text between them; ours encodes everything as text (see hf-tokenizer.ts).
 */
function oursWithSpecials(tok: Tokenizer, text: string): number[] {
  const names = new RegExp(SPECIAL_NAMES.map((n) => n.replace(/[<>]/g, '\\$&')).join('|'), 'g');
  const ids: number[] = [];
  let last = 0;
  for (const m of text.matchAll(names)) {
    ids.push(...tok.encode(text.slice(last, m.index)), SPECIAL_NAMES.indexOf(m[0] as (typeof SPECIAL_NAMES)[number]));
    last = m.index + m[0].length;
  }
  ids.push(...tok.encode(text.slice(last)));
  return ids;
}

describe.each([
  ['the shipped tokenizer', shipped],
  ['a tokenizer trained here (300 merges, long runs included)', small],
])('HF tokenizer.json of %s', (_name, tok) => {
  const hf = loadInHf(tok);
  const hfIds = (text: string) => hf.encode(text, { add_special_tokens: false }).ids;

  it('loads in @huggingface/tokenizers with our vocabulary and specials', () => {
    expect(hf.get_vocab().size).toBe(tok.vocabSize);
    SPECIAL_NAMES.forEach((name, id) => expect(hf.token_to_id(name)).toBe(id));
    expect(hf.encode('<eos>', { add_special_tokens: true }).ids).toEqual([SPECIAL_TOKENS.eos]);
  });

  it('gives our ids on fuzzed text: ASCII, punctuation, whitespace runs, accents, emoji, CJK, long runs', () => {
    const rng = makeRng(2026);
    const texts = [...LONG, fixtureText.slice(0, 4000), ...Array.from({ length: 400 }, () => fuzzText(rng, false))];
    for (const text of texts) expect(hfIds(text), JSON.stringify(text)).toEqual(tok.encode(text));
  });

  it('reads the special names in text as the specials (HF convention) and agrees with ours around them', () => {
    const rng = makeRng(7);
    for (let i = 0; i < 200; i++) {
      const text = fuzzText(rng, true);
      expect(hfIds(text), JSON.stringify(text)).toEqual(oursWithSpecials(tok, text));
    }
  });

  it('decodes our ids to our text, specials included', () => {
    const rng = makeRng(99);
    for (let i = 0; i < 200; i++) {
      const ids = tok.encode(fuzzText(rng, false));
      if (ids.length === 0) continue;
      expect(hf.decode(ids, { skip_special_tokens: false })).toBe(tok.decode(ids));
    }
    const withSpecials = [SPECIAL_TOKENS.bos, ...tok.encode('Café 😀'), SPECIAL_TOKENS.mask, SPECIAL_TOKENS.eos];
    expect(hf.decode(withSpecials, { skip_special_tokens: false })).toBe(tok.decode(withSpecials));
    expect(hf.decode(withSpecials, { skip_special_tokens: true })).toBe(tok.decode(withSpecials, { skipSpecials: true }));
  });

  it('reads back as the same tokenizer (the import path), and our own format still reads', () => {
    const back = parseTokenizerJSON(JSON.parse(hfTokenizerFile(tok)));
    expect(back.toJSON()).toEqual(tok.toJSON());
    expect(parseTokenizerJSON(JSON.parse(JSON.stringify(tok.toJSON()))).toJSON()).toEqual(tok.toJSON());
  });
});

describe('HF pre-tokenizer pattern', () => {
  const WS_CLASS = /^\[((?:[^\]])+)\]\+\(\?!/.exec(HF_PRETOKENIZE_PATTERN.split('|').at(-2) ?? '')?.[1] ?? '';

  it("spells out JavaScript's \\s exactly, code point by code point", () => {
    expect(WS_CLASS.length).toBeGreaterThan(0);
    const js = /^\s$/u;
    const ours = new RegExp(`^[${WS_CLASS}]$`, 'u');
    const differ: number[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const c = String.fromCodePoint(cp);
      if (js.test(c) !== ours.test(c)) differ.push(cp);
    }
    expect(differ).toEqual([]);
  });

  it('splits like PRETOKENIZE_PATTERN on fuzzed text', () => {
    const rng = makeRng(3);
    const a = new RegExp(PRETOKENIZE_PATTERN, 'gu');
    const b = new RegExp(HF_PRETOKENIZE_PATTERN, 'gu');
    for (let i = 0; i < 500; i++) {
      const text = fuzzText(rng, true);
      expect(text.match(b)).toEqual(text.match(a));
    }
    expect(pretokenize('a\u0085b\ufeffc')).toEqual(['a', '\u0085', 'b', '\ufeff', 'c']);
  });
});

describe('HF tokenizer.json refusals', () => {
  const good = () => toHfTokenizer(small) as unknown as Record<string, unknown> & { model: Record<string, unknown> };

  it('refuses a tokenizer whose vocabulary has two ids for the same text', () => {
    const [a, b, c] = [...'abc'].map((ch) => 4 + ch.charCodeAt(0));
    const dup = Tokenizer.fromJSON({ type: 'a3-byte-bpe', version: 1, pattern: PRETOKENIZE_PATTERN, specials: [...SPECIAL_NAMES], vocabSize: 264, merges: [[a, b], [b, c], [260, c], [a, 261]] });
    expect(() => toHfTokenizer(dup)).toThrow(/tokens 262 and 263 are the same text "abc"/);
  });

  it('names what differs in a foreign or altered HF file', () => {
    const cases: [string, (j: ReturnType<typeof good>) => void, RegExp][] = [
      ['pre-tokenizer', (j) => void (j.pre_tokenizer = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true }), /pre_tokenizer differs/],
      ['post-processor', (j) => void (j.post_processor = { type: 'TemplateProcessing', single: [] }), /post_processor adds tokens/],
      ['normalizer', (j) => void (j.normalizer = { type: 'NFC' }), /normalizer/],
      ['extra added token', (j) => void (j.added_tokens as unknown[]).push({ id: 999, content: '<x>', special: true }), /added tokens/],
      ['model type', (j) => void (j.model.type = 'WordPiece'), /not BPE/],
      ['byte fallback', (j) => void (j.model.byte_fallback = true), /byte_fallback/],
      ['merge order', (j) => void (j.model.merges as string[]).reverse(), /merge 0 does not create id 260/],
      ['vocab size', (j) => void ((j.model.vocab as Record<string, number>)['zzz'] = 5000), /vocab has/],
    ];
    for (const [name, alter, message] of cases) {
      const j = good();
      alter(j);
      expect(() => fromHfTokenizer(j), name).toThrow(message);
    }
    expect(() => parseTokenizerJSON({ type: 'something' })).toThrow(/neither A3 Studio's tokenizer .* nor a Hugging Face tokenizer.json/);
  });

  it('reads the merges list in the newer ["left", "right"] spelling too', () => {
    const j = good();
    j.model.merges = (j.model.merges as string[]).map((m) => m.split(' '));
    expect(Tokenizer.fromJSON(fromHfTokenizer(j)).toJSON()).toEqual(small.toJSON());
  });
});
