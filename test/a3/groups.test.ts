import { describe, it, expect } from 'vitest';
import {
  contiguous,
  denseRanks,
  fromGroups,
  infillPlan,
  leftToRight,
  randomSubsets,
  toGroups,
  validateGroupIds,
} from '@/lib/a3/groups';
import { makeRng } from '@/lib/a3/random';

const arr = (a: ArrayLike<number>) => Array.from(a);

/** Multiset of values as a sorted array. */
const sorted = (a: ArrayLike<number>) => Array.from(a).sort((x, y) => x - y);

describe('leftToRight / contiguous', () => {
  it('leftToRight is arange(n)', () => {
    expect(leftToRight(5)).toBeInstanceOf(Int32Array);
    expect(arr(leftToRight(5))).toEqual([0, 1, 2, 3, 4]);
    expect(arr(leftToRight(0))).toEqual([]);
  });

  it('contiguous blocks of size s, last block may be short', () => {
    expect(arr(contiguous(7, 2))).toEqual([0, 0, 1, 1, 2, 2, 3]);
    expect(arr(contiguous(8, 4))).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    expect(arr(contiguous(3, 1))).toEqual([0, 1, 2]);
    expect(arr(contiguous(3, 10))).toEqual([0, 0, 0]);
  });

  it('rejects bad lengths and group sizes', () => {
    expect(() => leftToRight(-1)).toThrow(/sequence length must be a non-negative integer, got -1/);
    expect(() => leftToRight(2.5)).toThrow(/sequence length must be a non-negative integer/);
    expect(() => contiguous(4, 0)).toThrow(/group size must be an integer >= 1, got 0/);
    expect(() => contiguous(4, 1.5)).toThrow(/group size must be an integer >= 1/);
    expect(() => randomSubsets(4, 0, 1)).toThrow(/group size must be an integer >= 1/);
    expect(() => infillPlan([true, false], 0)).toThrow(/group size must be an integer >= 1/);
  });
});

describe('randomSubsets', () => {
  it("is a permutation of repeat(arange(ceil(N/s)), s) truncated to N: every group has s members except possibly the last", () => {
    for (const [n, s] of [
      [16, 4],
      [13, 4],
      [10, 3],
      [7, 8],
      [5, 1],
    ]) {
      for (let seed = 0; seed < 5; seed++) {
        const g = randomSubsets(n, s, seed);
        expect(g.length).toBe(n);
        const k = Math.ceil(n / s);
        const expected = Array.from({ length: n }, (_, i) => Math.floor(i / s));
        expect(sorted(g)).toEqual(expected);
        const counts = new Array(k).fill(0);
        for (const id of g) counts[id]++;
        counts.slice(0, -1).forEach((c) => expect(c).toBe(s));
        expect(counts[k - 1]).toBe(n - (k - 1) * s);
      }
    }
  });

  it('is deterministic per seed, differs across seeds, and accepts an Rng', () => {
    expect(arr(randomSubsets(16, 4, 42))).toEqual(arr(randomSubsets(16, 4, 42)));
    expect(arr(randomSubsets(16, 4, 42))).not.toEqual(arr(randomSubsets(16, 4, 43)));
    expect(arr(randomSubsets(16, 4, makeRng(7)))).toEqual(arr(randomSubsets(16, 4, 7)));
    // Not simply contiguous: across several seeds at least one grouping is non-contiguous.
    const contiguousIds = arr(contiguous(16, 4));
    const seeds = [1, 2, 3, 4, 5].map((s) => arr(randomSubsets(16, 4, s)));
    expect(seeds.some((g) => g.join() !== contiguousIds.join())).toBe(true);
  });
});

describe('fromGroups / toGroups', () => {
  it('round-trips, including non-contiguous groups out of position order', () => {
    const groups = [[1, 4], [0], [2, 3, 5]];
    const gids = fromGroups(groups, 6);
    expect(arr(gids)).toEqual([1, 0, 2, 2, 0, 2]); // A3.md §2 example
    expect(toGroups(gids)).toEqual(groups);
    for (let seed = 0; seed < 5; seed++) {
      const g = randomSubsets(11, 3, seed);
      expect(arr(fromGroups(toGroups(g), 11))).toEqual(arr(g));
    }
  });

  it('toGroups sorts sparse ids and positions; denseRanks keeps the order', () => {
    const gids = Int32Array.from([30, 7, 30, 100, 7]);
    expect(toGroups(gids)).toEqual([[1, 4], [0, 2], [3]]);
    expect(arr(denseRanks(gids))).toEqual([1, 0, 1, 2, 0]);
  });

  it('rejects a position in two groups, a missing position, and out-of-range positions', () => {
    expect(() => fromGroups([[0, 1], [1, 2]], 3)).toThrow(/position 1 is in group 0 and group 1/);
    expect(() => fromGroups([[0], [2]], 3)).toThrow(/position 1 is in no group/);
    expect(() => fromGroups([[0, 1, 3]], 3)).toThrow(/group 0 names position 3, outside 0\.\.2/);
    expect(() => fromGroups([[0, -1]], 3)).toThrow(/group 0 names position -1/);
    expect(() => fromGroups([[0, 1.5]], 3)).toThrow(/group 0 names position 1\.5/);
  });
});

describe('validateGroupIds', () => {
  it('accepts valid ids (sparse, any order)', () => {
    expect(() => validateGroupIds([5, 0, 9, 9], 4)).not.toThrow();
    expect(() => validateGroupIds([])).not.toThrow();
  });

  it('rejects wrong length, negative and non-integer ids with clear messages', () => {
    expect(() => validateGroupIds([0, 1, 2], 4)).toThrow(/group ids have length 3, expected 4/);
    expect(() => validateGroupIds([0, -1, 2])).toThrow(/group id at position 1 is negative: -1/);
    expect(() => validateGroupIds([0, 1, 2.5])).toThrow(/group id at position 2 is not an integer: 2\.5/);
    expect(() => validateGroupIds([0, NaN])).toThrow(/group id at position 1 is not an integer: NaN/);
    expect(() => toGroups(Int32Array.from([0, -3]))).toThrow(/negative/);
  });
});

describe('infillPlan', () => {
  const given = [true, false, false, true, false, false, false, true];
  const open = [1, 2, 4, 5, 6];

  it('given positions are group 0; open positions are cut left to right into groups of s', () => {
    expect(arr(infillPlan(given, 2))).toEqual([0, 1, 1, 0, 2, 2, 3, 0]);
    expect(arr(infillPlan(given, 2, 'left-to-right'))).toEqual([0, 1, 1, 0, 2, 2, 3, 0]);
    expect(arr(infillPlan(given, 1))).toEqual([0, 1, 2, 0, 3, 4, 5, 0]);
    expect(arr(infillPlan(given, 10))).toEqual([0, 1, 1, 0, 1, 1, 1, 0]);
  });

  it('random order: groups of s over the open positions, seeded', () => {
    const a = infillPlan(given, 2, 'random', 3);
    expect(arr(a)).toEqual(arr(infillPlan(given, 2, 'random', 3)));
    given.forEach((g, i) => {
      if (g) expect(a[i]).toBe(0);
    });
    expect(sorted(open.map((i) => a[i]))).toEqual([1, 1, 2, 2, 3]);
    const variants = new Set([0, 1, 2, 3, 4, 5, 6, 7].map((seed) => arr(infillPlan(given, 2, 'random', seed)).join()));
    expect(variants.size).toBeGreaterThan(1);
  });

  it('explicit order visits the open positions in that order', () => {
    expect(arr(infillPlan(given, 2, [6, 1, 5, 2, 4]))).toEqual([0, 1, 2, 0, 3, 2, 1, 0]);
    expect(arr(infillPlan(given, 1, [6, 5, 4, 2, 1]))).toEqual([0, 5, 4, 0, 3, 2, 1, 0]);
  });

  it('an explicit order that is not a permutation of the open positions throws', () => {
    const msg = /explicit order must be a permutation of the open positions/;
    expect(() => infillPlan(given, 2, [1, 2, 4, 5])).toThrow(msg); // missing 6
    expect(() => infillPlan(given, 2, [1, 2, 4, 5, 6, 6])).toThrow(msg); // duplicate
    expect(() => infillPlan(given, 2, [1, 2, 4, 5, 0])).toThrow(msg); // a given position
    expect(() => infillPlan(given, 2, [1, 1, 4, 5, 6])).toThrow(msg); // duplicate in place of a missing one
  });

  it('all given gives all zeros; nothing given starts at group 1', () => {
    expect(arr(infillPlan([true, true], 2))).toEqual([0, 0]);
    expect(arr(infillPlan([false, false, false], 2))).toEqual([1, 1, 2]);
  });
});
