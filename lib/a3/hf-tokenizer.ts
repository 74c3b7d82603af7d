/**
 * Our tokenizer as a Hugging Face `tokenizers` file (tokenizer.json), and back, so HF tools (transformers,
 * tokenizers, tokenizers.js) load the exported model with the ids it was trained on.
 *
 * Ours (tokenizer.ts) is byte-level BPE: GPT-2's pre-tokenisation regex, pieces cut every 128 code points,
 * ids = 4 specials, then the 256 bytes, then the merges in rank order. The HF construction giving the same ids:
 *   normalizer     none
 *   pre_tokenizer  Sequence[ Split(HF_PRETOKENIZE_PATTERN, Isolated), Split([\s\S]{1,128}, Isolated),
 *                            ByteLevel(add_prefix_space: false, use_regex: false) ]
 *   model          BPE over GPT-2's byte-to-unicode alphabet: token i is the byte-level string of its bytes,
 *                  merge i is "left right" and creates token 260 + i
 *   decoder        ByteLevel; post_processor none (our encode adds no special token)
 *   added_tokens   <pad> <bos> <eos> <mask> at ids 0-3, special
 * Why not ByteLevel(use_regex: true), whose built-in regex is the same text: it means the engine's `\s`, and
 * Oniguruma's (Rust tokenizers; tokenizers.js emulates it) is Unicode White_Space, which has U+0085 and lacks
 * U+FEFF, while ours is JavaScript's. HF_PRETOKENIZE_PATTERN spells JavaScript's `\s` out as a class, so every
 * engine splits alike; ByteLevel alone also cannot express the 128-code-point cut.
 *
 * One difference is HF's convention and cannot be switched off in the file: HF tools take the literal strings
 * "<pad>", "<bos>", "<eos>", "<mask>" in input text as those special tokens, while our encode() reads them as
 * plain text (so a user's text can never inject a special). Text without those strings gets identical ids.
 *
 * Pure TS, no tfjs: usable from the page, the worker and Node.
 */
import { BYTE_OFFSET, FIRST_MERGE_ID, MAX_PIECE_CODE_POINTS, NUM_SPECIAL, PRETOKENIZE_PATTERN, SPECIAL_NAMES, Tokenizer, type TokenizerJSON } from './tokenizer';

/** JavaScript's `\s` (WhiteSpace + LineTerminator, ECMA-262), as literal characters for a class. */
const JS_WHITESPACE = '\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff';

/**
 * PRETOKENIZE_PATTERN with `\s` and `\S` written as explicit classes of JS_WHITESPACE: the same splits in
 * JavaScript (tested over every code point) and in engines whose `\s` differs.
 */
const WS = JS_WHITESPACE;
export const HF_PRETOKENIZE_PATTERN = `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WS}\\p{L}\\p{N}]+|[${WS}]+(?![^${WS}])|[${WS}]+`;

/** Our cut of long pieces: `[\s\S]` is any code point in every engine, whatever `\s` means there. */
export const HF_PIECE_PATTERN = `[\\s\\S]{1,${MAX_PIECE_CODE_POINTS}}`;

interface HfSplit {
  type: 'Split';
  pattern: { Regex: string };
  behavior: 'Isolated';
  invert: false;
}

interface HfAddedToken {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

export interface HfTokenizerJSON {
  version: '1.0';
  truncation: null;
  padding: null;
  added_tokens: HfAddedToken[];
  normalizer: null;
  pre_tokenizer: { type: 'Sequence'; pretokenizers: [HfSplit, HfSplit, { type: 'ByteLevel'; add_prefix_space: false; trim_offsets: false; use_regex: false }] };
  post_processor: null;
  decoder: { type: 'ByteLevel'; add_prefix_space: false; trim_offsets: false; use_regex: false };
  model: {
    type: 'BPE';
    dropout: null;
    unk_token: null;
    continuing_subword_prefix: null;
    end_of_word_suffix: null;
    fuse_unk: false;
    byte_fallback: false;
    ignore_merges: false;
    vocab: Record<string, number>;
    /** "left right": byte-level strings never contain a space (byte 0x20 is "Ġ"). */
    merges: string[];
  };
}

/** GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the others move to U+0100 onwards. */
const BYTE_CHARS: string[] = (() => {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const chars: string[] = [];
  let shifted = 0;
  for (let b = 0; b < 256; b++) chars.push(String.fromCharCode(printable(b) ? b : 256 + shifted++));
  return chars;
})();

const byteLevel = (bytes: Uint8Array): string => Array.from(bytes, (b) => BYTE_CHARS[b]).join('');

function hfPreTokenizer(): HfTokenizerJSON['pre_tokenizer'] {
  const split = (regex: string): HfSplit => ({ type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false });
  return {
    type: 'Sequence',
    pretokenizers: [split(HF_PRETOKENIZE_PATTERN), split(HF_PIECE_PATTERN), { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false }],
  };
}

/** The HF string of every token id: specials by name, the others byte-level. */
function tokenStrings(tok: Tokenizer): string[] {
  return Array.from({ length: tok.vocabSize }, (_, id) => (id < NUM_SPECIAL ? SPECIAL_NAMES[id] : byteLevel(tok.tokenBytes(id))));
}

/**
 * The tokenizer in HF's format. Throws when two ids stand for the same string (two merge paths to the same
 * bytes, or a merge spelling a special's name): an HF vocabulary is keyed by the string and would merge them.
 */
export function toHfTokenizer(tok: Tokenizer): HfTokenizerJSON {
  const strings = tokenStrings(tok);
  const vocab: Record<string, number> = {};
  strings.forEach((s, id) => {
    if (Object.hasOwn(vocab, s)) {
      throw new Error(`this tokenizer cannot be written as a Hugging Face tokenizer.json: tokens ${vocab[s]} and ${id} are the same text ${JSON.stringify(s)}, and HF vocabularies are keyed by text`);
    }
    vocab[s] = id;
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_NAMES.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: hfPreTokenizer(),
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: tok.toJSON().merges.map(([a, b]) => `${strings[a]} ${strings[b]}`),
    },
  };
}

/** tokenizer.json as the export writes it. */
export function hfTokenizerFile(tok: Tokenizer): string {
  return JSON.stringify(toHfTokenizer(tok));
}

// ---------------------------------------------------------------------------
// Reading back

const WHERE = 'tokenizer.json';

function refuse(what: string): never {
  throw new Error(`${WHERE} is a Hugging Face tokenizer, but not one A3 Studio can use: ${what} (A3 Studio reads the byte-level BPE tokenizers it exports)`);
}

/** Structural equality of JSON values, key order ignored (a file re-saved by another tool may reorder keys). */
function sameJSON(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && sameJSON((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
/** An option another writer may leave out or spell as null / "" where we write null / false. */
const unset = (x: unknown) => x === undefined || x === null || x === '' || x === false;

function checkPipeline(o: Record<string, unknown>): void {
  if (o.normalizer !== null && o.normalizer !== undefined) refuse('it has a normalizer');
  if (!sameJSON(o.pre_tokenizer, hfPreTokenizer())) refuse('its pre_tokenizer differs from ours');
  // A ByteLevel post-processor only trims offsets; anything else (e.g. a template adding <bos>) changes the ids.
  if (o.post_processor !== null && o.post_processor !== undefined && !(isObject(o.post_processor) && o.post_processor.type === 'ByteLevel')) {
    refuse('its post_processor adds tokens');
  }
  if (!isObject(o.decoder) || o.decoder.type !== 'ByteLevel') refuse('its decoder is not ByteLevel');
  const model = o.model as Record<string, unknown>;
  if (model.type !== 'BPE') refuse(`its model is ${JSON.stringify(model.type)}, not BPE`);
  for (const option of ['dropout', 'unk_token', 'continuing_subword_prefix', 'end_of_word_suffix', 'byte_fallback', 'ignore_merges'] as const) {
    if (!unset(model[option])) refuse(`its BPE model sets ${option}`);
  }
}

function checkSpecials(added: unknown): void {
  const ok =
    Array.isArray(added) &&
    added.length === NUM_SPECIAL &&
    added.every((t, i) => isObject(t) && t.id === i && t.content === SPECIAL_NAMES[i]);
  if (!ok) refuse(`its added tokens are not ${SPECIAL_NAMES.join(' ')} at ids 0-${NUM_SPECIAL - 1}`);
}

/** Both spellings HF writes: "left right" (older) and ["left", "right"] (tokenizers 0.20+). */
function mergePair(m: unknown, i: number): [string, string] {
  if (Array.isArray(m) && m.length === 2 && m.every((s) => typeof s === 'string')) return [m[0], m[1]];
  if (typeof m === 'string') {
    const parts = m.split(' ');
    if (parts.length === 2) return [parts[0], parts[1]];
  }
  return refuse(`merge ${i} is ${JSON.stringify(m)}, not a pair`);
}

/** Our JSON from an HF tokenizer.json that has our construction; anything else is refused by name. */
export function fromHfTokenizer(json: unknown): TokenizerJSON {
  if (!isObject(json) || !isObject(json.model)) throw new Error(`${WHERE}: expected a Hugging Face tokenizer object with a "model"`);
  checkPipeline(json);
  checkSpecials(json.added_tokens);
  const { vocab, merges } = json.model;
  if (!isObject(vocab) || !Array.isArray(merges)) refuse('its BPE model lacks a vocab object or a merges list');
  const idOf = (s: string, why: string): number => {
    const id = vocab[s];
    if (typeof id !== 'number') refuse(`${why} ${JSON.stringify(s)} is not in the vocab`);
    return id;
  };
  if (Object.keys(vocab).length !== FIRST_MERGE_ID + merges.length) refuse(`its vocab has ${Object.keys(vocab).length} tokens, not ${FIRST_MERGE_ID} + ${merges.length} merges`);
  SPECIAL_NAMES.forEach((name, id) => {
    if (idOf(name, 'special') !== id) refuse(`${name} is not id ${id}`);
  });
  BYTE_CHARS.forEach((c, b) => {
    if (idOf(c, `byte ${b}`) !== BYTE_OFFSET + b) refuse(`byte ${b} is not id ${BYTE_OFFSET + b}`);
  });
  const pairs = merges.map((m: unknown, i: number): [number, number] => {
    const [left, right] = mergePair(m, i);
    if (idOf(left + right, `merge ${i} result`) !== FIRST_MERGE_ID + i) refuse(`merge ${i} does not create id ${FIRST_MERGE_ID + i}`);
    return [idOf(left, `merge ${i} part`), idOf(right, `merge ${i} part`)];
  });
  return { type: 'a3-byte-bpe', version: 1, pattern: PRETOKENIZE_PATTERN, specials: [...SPECIAL_NAMES], vocabSize: FIRST_MERGE_ID + pairs.length, merges: pairs };
}

/** A parsed tokenizer.json in either format: ours (`type: "a3-byte-bpe"`) or the HF file the export writes. */
export function parseTokenizerJSON(json: unknown): Tokenizer {
  if (isObject(json) && json.type === 'a3-byte-bpe') return Tokenizer.fromJSON(json);
  if (isObject(json) && 'model' in json) return Tokenizer.fromJSON(fromHfTokenizer(json));
  throw new Error(`${WHERE} is neither A3 Studio's tokenizer (type "a3-byte-bpe") nor a Hugging Face tokenizer.json`);
}
