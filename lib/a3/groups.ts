/**
 * Group ids: the one definition of an A3 ordered partition.
 *
 * `gid[i]` is the group of position i; lower ids are earlier groups. Ids need
 * not be dense or follow position order. The model's masks, the mask views and
 * the decoder's trace all use these arrays, never a private re-encoding.
 */
import { makeRng, randomPermutation, type Rng } from './random';

export type GroupIds = Int32Array;

/** Throws a clear error unless `gids` is a valid grouping of `n` positions. */
export function validateGroupIds(gids: ArrayLike<number>, n?: number): void {
  if (n !== undefined && gids.length !== n) {
    throw new Error(`group ids have length ${gids.length}, expected ${n}`);
  }
  for (let i = 0; i < gids.length; i++) {
    const g = gids[i];
    if (!Number.isInteger(g)) throw new Error(`group id at position ${i} is not an integer: ${g}`);
    if (g < 0) throw new Error(`group id at position ${i} is negative: ${g}`);
  }
}

function checkLength(n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`sequence length must be a non-negative integer, got ${n}`);
}

function checkGroupSize(s: number): void {
  if (!Number.isInteger(s) || s < 1) throw new Error(`group size must be an integer >= 1, got ${s}`);
}

/** gid = arange(n): ordinary left-to-right AR. */
export function leftToRight(n: number): GroupIds {
  checkLength(n);
  return Int32Array.from({ length: n }, (_, i) => i);
}

/** Contiguous blocks of size s, left to right: gid[i] = floor(i / s). */
export function contiguous(n: number, s: number): GroupIds {
  checkLength(n);
  checkGroupSize(s);
  return Int32Array.from({ length: n }, (_, i) => Math.floor(i / s));
}

/**
 * Random subsets of size s (the last may be smaller), in random order:
 * the paper's `repeat(arange(ceil(N/s)), s)[randperm(N)]`.
 */
export function randomSubsets(n: number, s: number, rngOrSeed: Rng | number): GroupIds {
  checkLength(n);
  checkGroupSize(s);
  const rng = typeof rngOrSeed === 'number' ? makeRng(rngOrSeed) : rngOrSeed;
  const perm = randomPermutation(n, rng);
  const gids = new Int32Array(n);
  for (let i = 0; i < n; i++) gids[perm[i]] = Math.floor(i / s);
  return gids;
}

/** From an explicit ordered list of groups; every position exactly once. */
export function fromGroups(groups: ArrayLike<number>[], n: number): GroupIds {
  checkLength(n);
  const gids = new Int32Array(n).fill(-1);
  groups.forEach((group, k) => {
    for (let j = 0; j < group.length; j++) {
      const pos = group[j];
      if (!Number.isInteger(pos) || pos < 0 || pos >= n) {
        throw new Error(`group ${k} names position ${pos}, outside 0..${n - 1}`);
      }
      if (gids[pos] !== -1) throw new Error(`position ${pos} is in group ${gids[pos]} and group ${k}`);
      gids[pos] = k;
    }
  });
  const missing = gids.indexOf(-1);
  if (missing !== -1) throw new Error(`position ${missing} is in no group`);
  return gids;
}

/** The inverse of fromGroups: positions of each group, groups in order, positions ascending. */
export function toGroups(gids: GroupIds): number[][] {
  validateGroupIds(gids);
  const byId = new Map<number, number[]>();
  gids.forEach((g, i) => {
    const list = byId.get(g);
    if (list) list.push(i);
    else byId.set(g, [i]);
  });
  return [...byId.keys()].sort((a, b) => a - b).map((g) => byId.get(g)!);
}

/** Relabel to dense ranks 0..K-1 keeping the order (masks and likelihoods are unchanged). */
export function denseRanks(gids: GroupIds): GroupIds {
  const sorted = [...new Set(gids)].sort((a, b) => a - b);
  const rank = new Map(sorted.map((g, r) => [g, r]));
  return Int32Array.from(gids, (g) => rank.get(g)!);
}

export type OpenOrder = 'left-to-right' | 'random' | number[];

/**
 * Decoding plan: given positions form group 0; the open positions are cut into
 * groups of size s (groups 1, 2, ...) visiting them left to right, at random,
 * or in an explicit order (a permutation of the open positions).
 */
export function infillPlan(given: ArrayLike<boolean>, s: number, order: OpenOrder = 'left-to-right', seed = 0): GroupIds {
  checkGroupSize(s);
  const open: number[] = [];
  for (let i = 0; i < given.length; i++) if (!given[i]) open.push(i);
  let visit: number[];
  if (order === 'left-to-right') visit = open;
  else if (order === 'random') visit = Array.from(randomPermutation(open.length, makeRng(seed)), (k) => open[k]);
  else {
    const expected = [...open].sort((a, b) => a - b).join(',');
    if ([...order].sort((a, b) => a - b).join(',') !== expected) {
      throw new Error('explicit order must be a permutation of the open positions');
    }
    visit = order;
  }
  const gids = new Int32Array(given.length);
  visit.forEach((pos, k) => {
    gids[pos] = 1 + Math.floor(k / s);
  });
  return gids;
}
