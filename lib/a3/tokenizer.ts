/**
 * Byte-level BPE tokenizer with GPT-2-style pre-tokenisation.
 *
 * Vocabulary layout:
 *   0..3     special tokens <pad>, <bos>, <eos>, <mask>
 *   4..259   the 256 byte values (byte b has id 4 + b)
 *   260..    merges, in rank order (merge i creates id 260 + i)
 *
 * Text is only ever encoded as bytes, so special-token look-alikes such as
 * "<mask>" in the input are ordinary text. Encoding goes through UTF-8, so
 * every well-formed JS string round-trips exactly; lone surrogates (not valid
 * UTF-16) become U+FFFD, as with any UTF-8 encoder.
 *
 * No Node imports: the same module runs in Node, workers and the browser.
 *
 * Longer than most: encoding, decoding, BPE training (with its pair heap) and
 * JSON validation share the vocabulary layout above, kept in one file so that
 * layout is defined once.
 */

export const SPECIAL_TOKENS = { pad: 0, bos: 1, eos: 2, mask: 3 } as const;
/** What an open position holds: in a decode before it is committed, and in the diffusion baseline's input. */
export const MASK_TOKEN = SPECIAL_TOKENS.mask;
export const SPECIAL_NAMES = ['<pad>', '<bos>', '<eos>', '<mask>'] as const;
export const NUM_SPECIAL = SPECIAL_NAMES.length;
export const BYTE_OFFSET = NUM_SPECIAL;
export const FIRST_MERGE_ID = BYTE_OFFSET + 256;

/** GPT-2 pre-tokenisation pattern; every character of the input matches it. */
export const PRETOKENIZE_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/**
 * Pre-tokens are cut into pieces of at most this many code points: bounds
 * the quadratic merge loop on pathological input (a megabyte without spaces)
 * and the size of cache entries. Decoding concatenates bytes, so the cut
 * never affects round-tripping. Counted in code points (not UTF-16 units) so
 * that a regex engine can express the same cut (`[\s\S]{1,128}`): the
 * Hugging Face export relies on it (see hf-tokenizer.ts).
 */
export const MAX_PIECE_CODE_POINTS = 128;
/** Cache entries are cheap, but stop growing the cache on huge inputs. */
const MAX_CACHE_ENTRIES = 200_000;

export interface TokenizerJSON {
  type: 'a3-byte-bpe';
  version: 1;
  pattern: string;
  specials: string[];
  vocabSize: number;
  /** merges[i] = [left, right] ids; the merged token gets id 260 + i. */
  merges: [number, number][];
}

export interface TrainOptions {
  /** Stop early when the best pair occurs fewer times than this (default 2). */
  minPairCount?: number;
  /** Called every `progressEvery` merges (default 500). */
  onProgress?: (mergesDone: number, bestCount: number) => void;
  progressEvery?: number;
}

export interface DecodeOptions {
  /** Drop all special tokens instead of rendering <bos>/<eos>/<mask>. */
  skipSpecials?: boolean;
}

const encoder = new TextEncoder();
// ignoreBOM: a leading U+FEFF is text like any other (by default TextDecoder would drop it).
const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** Pair key; ids stay far below 2^21, so the product is an exact integer. */
function pairKey(a: number, b: number): number {
  return a * 2097152 + b;
}

/** Split text into pre-token pieces (strings), covering the text exactly. */
export function pretokenize(text: string): string[] {
  const out: string[] = [];
  const re = new RegExp(PRETOKENIZE_PATTERN, 'gu');
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    // The pattern matches every character; guard anyway so no text is lost.
    if (m.index > last) pushPieces(out, text.slice(last, m.index));
    pushPieces(out, m[0]);
    last = m.index + m[0].length;
  }
  if (last < text.length) pushPieces(out, text.slice(last));
  return out;
}

function pushPieces(out: string[], word: string): void {
  // A word has at most as many code points as UTF-16 units: a short one cannot exceed the limit.
  if (word.length <= MAX_PIECE_CODE_POINTS) {
    out.push(word);
    return;
  }
  let start = 0;
  let codePoints = 0;
  for (let i = 0; i < word.length; codePoints++) {
    if (codePoints === MAX_PIECE_CODE_POINTS) {
      out.push(word.slice(start, i));
      start = i;
      codePoints = 0;
    }
    i += isSurrogatePair(word, i) ? 2 : 1;
  }
  out.push(word.slice(start));
}

/** A high surrogate followed by a low one: one code point in two units (a lone surrogate counts as one). */
function isSurrogatePair(s: string, i: number): boolean {
  const hi = s.charCodeAt(i);
  const lo = s.charCodeAt(i + 1);
  return hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff;
}

/** Byte ids of a piece before any merge. */
function byteIds(piece: string): number[] {
  const bytes = encoder.encode(piece);
  const ids = new Array<number>(bytes.length);
  for (let i = 0; i < bytes.length; i++) ids[i] = bytes[i] + BYTE_OFFSET;
  return ids;
}

export class Tokenizer {
  private readonly merges: [number, number][];
  /** pairKey -> merge rank. */
  private readonly ranks: Map<number, number>;
  /** Bytes of every token id (specials: the UTF-8 of their name). */
  private readonly bytesById: Uint8Array[];
  private readonly cache = new Map<string, number[]>();

  private constructor(merges: [number, number][]) {
    this.merges = merges;
    this.ranks = new Map();
    merges.forEach(([a, b], i) => this.ranks.set(pairKey(a, b), i));
    this.bytesById = SPECIAL_NAMES.map((n) => encoder.encode(n));
    for (let b = 0; b < 256; b++) this.bytesById.push(Uint8Array.of(b));
    for (const [a, b] of merges) this.bytesById.push(concatBytes(this.bytesById[a], this.bytesById[b]));
  }

  /** Learn `numMerges` merges from `text` (deterministic). */
  static train(text: string, numMerges: number, opts: TrainOptions = {}): Tokenizer {
    if (!Number.isInteger(numMerges) || numMerges < 0) throw new RangeError(`numMerges must be a non-negative integer, got ${numMerges}`);
    const counts = new Map<string, number>();
    for (const piece of pretokenize(text)) counts.set(piece, (counts.get(piece) ?? 0) + 1);
    return new Tokenizer(learnMerges(counts, numMerges, opts));
  }

  /** Rebuild from JSON, validating everything; throws a descriptive Error. */
  static fromJSON(json: unknown): Tokenizer {
    return new Tokenizer(validateJSON(json));
  }

  toJSON(): TokenizerJSON {
    return {
      type: 'a3-byte-bpe',
      version: 1,
      pattern: PRETOKENIZE_PATTERN,
      specials: [...SPECIAL_NAMES],
      vocabSize: this.vocabSize,
      merges: this.merges.map(([a, b]) => [a, b]),
    };
  }

  get vocabSize(): number {
    return FIRST_MERGE_ID + this.merges.length;
  }

  get numMerges(): number {
    return this.merges.length;
  }

  /** A tokenizer with only the first `n` merges (BPE merges form a prefix order). */
  truncate(n: number): Tokenizer {
    return new Tokenizer(this.merges.slice(0, Math.max(0, Math.min(n, this.merges.length))));
  }

  /** Encode text to ids; no special tokens are added. */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const piece of pretokenize(text)) {
      const pieceIds = this.encodePiece(piece);
      for (let i = 0; i < pieceIds.length; i++) ids.push(pieceIds[i]);
    }
    return ids;
  }

  /**
   * Decode ids to text. <pad> is skipped; <bos>, <eos> and <mask> are
   * rendered as their names (or dropped with `skipSpecials`). Byte sequences
   * that are not valid UTF-8 decode to U+FFFD. Throws on unknown ids.
   */
  decode(ids: ArrayLike<number>, opts: DecodeOptions = {}): string {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = this.checkId(ids[i]);
      if (id === SPECIAL_TOKENS.pad || (opts.skipSpecials && id < NUM_SPECIAL)) continue;
      parts.push(this.bytesById[id]);
      total += this.bytesById[id].length;
    }
    const all = new Uint8Array(total);
    let off = 0;
    for (const p of parts) {
      all.set(p, off);
      off += p.length;
    }
    return decoder.decode(all);
  }

  /** Display text of one token: specials by name, partial UTF-8 as U+FFFD. */
  decodeToken(id: number): string {
    const checked = this.checkId(id);
    if (checked < NUM_SPECIAL) return SPECIAL_NAMES[checked];
    return decoder.decode(this.bytesById[checked]);
  }

  /** The bytes a token stands for (a copy). Specials: their name in UTF-8. */
  tokenBytes(id: number): Uint8Array {
    return this.bytesById[this.checkId(id)].slice();
  }

  isSpecial(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < NUM_SPECIAL;
  }

  private checkId(id: number): number {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new RangeError(`token id ${id} out of range [0, ${this.vocabSize})`);
    }
    return id;
  }

  private encodePiece(piece: string): number[] {
    const hit = this.cache.get(piece);
    if (hit) return hit;
    const ids = applyMerges(byteIds(piece), this.ranks);
    if (this.cache.size < MAX_CACHE_ENTRIES) this.cache.set(piece, ids);
    return ids;
  }
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Standard BPE encoding of one piece: repeatedly merge the lowest-rank pair. */
function applyMerges(ids: number[], ranks: Map<number, number>): number[] {
  while (ids.length > 1) {
    let bestRank = Infinity;
    let bestPos = -1;
    for (let i = 0; i + 1 < ids.length; i++) {
      const r = ranks.get(pairKey(ids[i], ids[i + 1]));
      if (r !== undefined && r < bestRank) {
        bestRank = r;
        bestPos = i;
      }
    }
    if (bestPos < 0) break;
    const a = ids[bestPos];
    const b = ids[bestPos + 1];
    const merged = FIRST_MERGE_ID + bestRank;
    const out: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) {
        out.push(merged);
        i++;
      } else out.push(ids[i]);
    }
    ids = out;
  }
  return ids;
}

// ---------------------------------------------------------------------------
// Training
// ---------------------------------------------------------------------------

/**
 * Max-heap of (count, pair) with lazy invalidation: stale entries (whose
 * count no longer matches) are skipped when popped. Ties break on the smaller
 * pair key, which makes training deterministic.
 */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];

  get size(): number {
    return this.counts.length;
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    this.up(this.counts.length - 1);
  }

  /** Remove and return the top entry as [count, key]. */
  pop(): [number, number] {
    const top: [number, number] = [this.counts[0], this.keys[0]];
    const lastCount = this.counts.pop() as number;
    const lastKey = this.keys.pop() as number;
    if (this.counts.length > 0) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      this.down(0);
    }
    return top;
  }

  private better(i: number, j: number): boolean {
    return this.counts[i] > this.counts[j] || (this.counts[i] === this.counts[j] && this.keys[i] < this.keys[j]);
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j], this.counts[i]];
    [this.keys[i], this.keys[j]] = [this.keys[j], this.keys[i]];
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.better(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const n = this.counts.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < n && this.better(l, best)) best = l;
      if (r < n && this.better(r, best)) best = r;
      if (best === i) break;
      this.swap(i, best);
      i = best;
    }
  }
}

/** Word table used during training: distinct pieces with their counts. */
interface WordTable {
  words: number[][];
  freqs: number[];
  pairCounts: Map<number, number>;
  /** pairKey -> indices of words that (may) contain the pair. */
  where: Map<number, Set<number>>;
}

function buildWordTable(counts: Map<string, number>): WordTable {
  // Sort pieces so the table (and thus every tie-break) is order-independent.
  const pieces = [...counts.keys()].sort();
  const table: WordTable = { words: [], freqs: [], pairCounts: new Map(), where: new Map() };
  pieces.forEach((piece, w) => {
    const ids = byteIds(piece);
    const f = counts.get(piece) as number;
    table.words.push(ids);
    table.freqs.push(f);
    addWordPairs(table, w, ids, f);
  });
  return table;
}

function addWordPairs(table: WordTable, w: number, ids: number[], sign: number, changed?: Set<number>): void {
  for (let i = 0; i + 1 < ids.length; i++) {
    const k = pairKey(ids[i], ids[i + 1]);
    table.pairCounts.set(k, (table.pairCounts.get(k) ?? 0) + sign);
    if (sign > 0) {
      let set = table.where.get(k);
      if (!set) table.where.set(k, (set = new Set()));
      set.add(w);
    }
    changed?.add(k);
  }
}

function mergeWord(ids: number[], a: number, b: number, merged: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) {
      out.push(merged);
      i++;
    } else out.push(ids[i]);
  }
  return out;
}

/**
 * Greedy BPE on the word-count table. After each merge only the words that
 * contain the merged pair are re-counted (remove their old pairs, add the
 * new ones), and only the pairs whose counts changed are re-pushed on the heap.
 */
function learnMerges(counts: Map<string, number>, numMerges: number, opts: TrainOptions): [number, number][] {
  const minPairCount = opts.minPairCount ?? 2;
  const progressEvery = opts.progressEvery ?? 500;
  const table = buildWordTable(counts);
  const heap = new PairHeap();
  for (const [k, c] of table.pairCounts) heap.push(c, k);

  const merges: [number, number][] = [];
  while (merges.length < numMerges && heap.size > 0) {
    const [count, key] = heap.pop();
    if (table.pairCounts.get(key) !== count) continue; // stale entry
    if (count < minPairCount) break;
    const a = Math.floor(key / 2097152);
    const b = key % 2097152;
    const merged = FIRST_MERGE_ID + merges.length;
    merges.push([a, b]);
    applyMergeToTable(table, key, a, b, merged, heap);
    if (opts.onProgress && merges.length % progressEvery === 0) opts.onProgress(merges.length, count);
  }
  return merges;
}

function applyMergeToTable(table: WordTable, key: number, a: number, b: number, merged: number, heap: PairHeap): void {
  const changed = new Set<number>();
  const wordIdx = [...(table.where.get(key) ?? [])];
  table.where.delete(key);
  for (const w of wordIdx) {
    const ids = table.words[w];
    const next = mergeWord(ids, a, b, merged);
    if (next.length === ids.length) continue; // pair no longer in this word
    addWordPairs(table, w, ids, -table.freqs[w], changed);
    addWordPairs(table, w, next, table.freqs[w], changed);
    table.words[w] = next;
  }
  for (const k of changed) {
    const c = table.pairCounts.get(k) as number;
    if (c <= 0) table.pairCounts.delete(k);
    else heap.push(c, k);
  }
}

// ---------------------------------------------------------------------------
// JSON validation
// ---------------------------------------------------------------------------

function fail(msg: string): never {
  throw new Error(`invalid tokenizer JSON: ${msg}`);
}

function validateJSON(json: unknown): [number, number][] {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('expected an object');
  const o = json as Record<string, unknown>;
  if (o.type !== 'a3-byte-bpe') fail(`type must be "a3-byte-bpe", got ${JSON.stringify(o.type)}`);
  if (o.version !== 1) fail(`unsupported version ${JSON.stringify(o.version)}`);
  if (o.pattern !== PRETOKENIZE_PATTERN) fail('pre-tokenisation pattern differs from this implementation');
  const specials = o.specials;
  if (!Array.isArray(specials) || specials.length !== NUM_SPECIAL || specials.some((s, i) => s !== SPECIAL_NAMES[i])) {
    fail(`specials must be ${JSON.stringify(SPECIAL_NAMES)}`);
  }
  if (!Array.isArray(o.merges)) fail('merges must be an array');
  const merges = o.merges.map((m: unknown, i: number) => validateMerge(m, i));
  const seen = new Set<number>();
  merges.forEach(([a, b], i) => {
    const k = pairKey(a, b);
    if (seen.has(k)) fail(`merge ${i} duplicates an earlier merge [${a}, ${b}]`);
    seen.add(k);
  });
  if (o.vocabSize !== FIRST_MERGE_ID + merges.length) {
    fail(`vocabSize ${JSON.stringify(o.vocabSize)} does not match ${FIRST_MERGE_ID} + ${merges.length} merges`);
  }
  return merges;
}

/** A merge may only combine bytes or earlier merges, never specials. */
function validateMerge(m: unknown, i: number): [number, number] {
  if (!Array.isArray(m) || m.length !== 2) fail(`merge ${i} must be a pair [left, right]`);
  const limit = FIRST_MERGE_ID + i;
  for (const id of m) {
    if (!Number.isInteger(id) || (id as number) < BYTE_OFFSET || (id as number) >= limit) {
      fail(`merge ${i} has id ${JSON.stringify(id)} outside [${BYTE_OFFSET}, ${limit})`);
    }
  }
  return [m[0] as number, m[1] as number];
}
