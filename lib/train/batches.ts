/** Token windows -> batches. Batches are a pure function of (seed, step) so a resumed run sees the same data. */
import { makeRng } from '../a3/random';

export interface TokenBatch {
  batch: number;
  tokens: Int32Array; // [B, T]
}

/** Seed for step `step` of a run seeded `seed`: independent streams per step. */
export function stepSeed(seed: number, step: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(step + 1, 0xc2b2ae35)) >>> 0;
}

/** B random windows of length T from a token stream. */
export function randomWindows(stream: Int32Array, batch: number, length: number, seed: number): TokenBatch {
  if (stream.length < length) throw new Error(`token stream (${stream.length}) is shorter than one window (${length})`);
  const rng = makeRng(seed);
  const tokens = new Int32Array(batch * length);
  for (let b = 0; b < batch; b++) {
    const start = Math.floor(rng() * (stream.length - length + 1));
    tokens.set(stream.subarray(start, start + length), b * length);
  }
  return { batch, tokens };
}

/** Consecutive non-overlapping windows (evaluation: fixed, covers the split evenly). */
export function evalWindows(stream: Int32Array, count: number, length: number): TokenBatch[] {
  const available = Math.floor(stream.length / length);
  const n = Math.min(count, available);
  if (n === 0) throw new Error(`token stream (${stream.length}) is shorter than one window (${length})`);
  const stride = Math.floor(available / n) * length;
  return Array.from({ length: n }, (_, i) => ({ batch: 1, tokens: stream.slice(i * stride, i * stride + length) }));
}

/** Stack single-sequence batches into batches of up to `size`. */
export function stackBatches(items: TokenBatch[], size: number): TokenBatch[] {
  const out: TokenBatch[] = [];
  for (let i = 0; i < items.length; i += size) {
    const group = items.slice(i, i + size);
    const length = group[0].tokens.length / group[0].batch;
    const tokens = new Int32Array(group.reduce((s, g) => s + g.tokens.length, 0));
    let at = 0;
    for (const g of group) {
      tokens.set(g.tokens, at);
      at += g.tokens.length;
    }
    out.push({ batch: tokens.length / length, tokens });
  }
  return out;
}

/** Ids whose text ends a sentence: ".", "!" or "?", optionally followed by closing quotes or brackets. */
export function sentenceEndIds(vocabSize: number, decode: (id: number) => string): Set<number> {
  const ends = new Set<number>();
  for (let id = 0; id < vocabSize; id++) if (/[.!?]["'”’)\]]*$/.test(decode(id))) ends.add(id);
  return ends;
}

/**
 * Sentence boundaries inside one window, for span-infill sentence spans
 * (groups.ts DrawOptions.sentenceStarts): every position right after a
 * sentence end. The window's first and last sentences are usually cut, so
 * neither 0 nor the length counts as a boundary unless a sentence ends there.
 */
export function sentenceStarts(row: ArrayLike<number>, ends: Set<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < row.length; i++) if (ends.has(row[i])) out.push(i + 1);
  return out;
}
