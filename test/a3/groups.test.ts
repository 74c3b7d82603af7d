import { describe, it, expect } from 'vitest';
import {
  contiguous,
  denseRanks,
  describeGrouping,
  drawSpanLength,
  fromGroups,
  groupIdsFor,
  groupingLabel,
  groupZeroIsContext,
  infillPlan,
  leftToRight,
  randomSubsets,
  spanInfillSpans,
  spanMask,
  SPAN_LENGTHS,
  toGroups,
  validateGroupIds,
  validateGroupingSpec,
  type SpanInfillSpec,
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

describe('GroupingSpec: groupIdsFor / describeGrouping', () => {
  it('the paper kinds equal their builders; explicit pads with group 0', () => {
    expect(arr(groupIdsFor({ kind: 'left-to-right' }, 5))).toEqual(arr(leftToRight(5)));
    expect(arr(groupIdsFor({ kind: 'contiguous', size: 3 }, 7))).toEqual(arr(contiguous(7, 3)));
    expect(arr(groupIdsFor({ kind: 'random', size: 4, seed: 9 }, 13))).toEqual(arr(randomSubsets(13, 4, 9)));
    // The draw's seed overrides the spec's (the curriculum redraws per batch).
    expect(arr(groupIdsFor({ kind: 'random', size: 4, seed: 9 }, 13, { seed: 2 }))).toEqual(arr(randomSubsets(13, 4, 2)));
    expect(arr(groupIdsFor({ kind: 'explicit', gids: [2, 1] }, 4))).toEqual([2, 1, 0, 0]);
    expect(() => groupIdsFor({ kind: 'contiguous', size: 0 }, 4)).toThrow(/group size must be an integer >= 1/);
  });

  it('labels and sentences', () => {
    expect(groupingLabel({ kind: 'left-to-right' })).toBe('left-to-right s=1');
    expect(groupingLabel({ kind: 'random', size: 8 })).toBe('random s=8');
    expect(groupingLabel({ kind: 'span-infill', size: 1, order: 'random' })).toBe('span-infill s=1 random order');
    expect(describeGrouping({ kind: 'random', size: 4, seed: 7 })).toBe('random subsets of 4 (seed 7)');
    expect(describeGrouping({ kind: 'span-infill', size: 2, order: 'left-to-right' })).toBe('span infilling: context is group 0, 1-3 spans of 1-32 tokens filled left to right, groups of 2');
    expect(describeGrouping({ kind: 'explicit', gids: [] })).toBe('custom groups');
  });
});

describe('span infilling', () => {
  /** Checks every partition property the issue names; returns the spans' open positions in group order. */
  function checkPartition(spec: SpanInfillSpec, n: number, seed: number): void {
    const spans = spanInfillSpans(spec, n, { seed });
    const gids = groupIdsFor(spec, n, { seed });
    const open = spanMask(spans, n);
    const where = `n=${n} seed=${seed} ${JSON.stringify(spec)}`;
    expect(gids.length, where).toBe(n);
    validateGroupIds(gids, n);
    // Every position in exactly one group: fromGroups(toGroups(.)) round-trips (it throws on a duplicate or a gap).
    expect(arr(fromGroups(toGroups(gids), n))).toEqual(arr(gids));
    // 1-maxSpans spans, sorted, disjoint, not adjacent, inside the sequence, at least one context position.
    expect(spans.length).toBeGreaterThanOrEqual(1);
    expect(spans.length).toBeLessThanOrEqual(spec.maxSpans ?? 3);
    spans.forEach((s, k) => {
      expect(s.length, where).toBeGreaterThanOrEqual(1);
      expect(s.start + s.length).toBeLessThanOrEqual(n);
      if (k > 0) expect(s.start, where).toBeGreaterThan(spans[k - 1].start + spans[k - 1].length);
    });
    expect(open.reduce((a, b) => a + b, 0), where).toBeLessThan(n);
    // Context = group 0; span positions never in group 0.
    for (let i = 0; i < n; i++) expect(gids[i] === 0, where).toBe(open[i] === 0);
    // Span positions in the declared order: left to right = ids non-decreasing along positions, in blocks of s.
    const openPos = Array.from({ length: n }, (_, i) => i).filter((i) => open[i]);
    const ids = openPos.map((i) => gids[i]);
    if (spec.order === 'left-to-right') expect(ids, where).toEqual(openPos.map((_, k) => 1 + Math.floor(k / spec.size)));
    else expect(sorted(ids), where).toEqual(openPos.map((_, k) => 1 + Math.floor(k / spec.size)));
  }

  it('are valid partitions for fuzzed lengths, seeds, group sizes and orders', () => {
    const rng = makeRng(2026);
    for (let trial = 0; trial < 400; trial++) {
      const n = 2 + Math.floor(rng() * 300);
      const spec: SpanInfillSpec = {
        kind: 'span-infill',
        size: 1 + Math.floor(rng() * 6),
        order: rng() < 0.5 ? 'left-to-right' : 'random',
        ...(rng() < 0.3 ? { maxSpans: 1 + Math.floor(rng() * 4) } : {}),
        ...(rng() < 0.3 ? { maxSpanLength: 1 + Math.floor(rng() * 64) } : {}),
      };
      checkPartition(spec, n, Math.floor(rng() * 1e6));
    }
    // The smallest sequences: one context position, one span position.
    for (let seed = 0; seed < 20; seed++) checkPartition({ kind: 'span-infill', size: 1, order: 'left-to-right' }, 2, seed);
  });

  it('span lengths follow the documented log-uniform law over 1..32', () => {
    const rng = makeRng(5);
    const counts = new Array(33).fill(0);
    const draws = 40000;
    for (let i = 0; i < draws; i++) counts[drawSpanLength(rng)]++;
    expect(counts[0]).toBe(0);
    for (let l = 1; l <= 32; l++) {
      const p = Math.log((l + 1) / l) / Math.log(33);
      expect(Math.abs(counts[l] / draws - p), `P(L=${l})`).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / draws) + 1e-3);
    }
    expect(SPAN_LENGTHS).toMatchObject({ min: 1, max: 32 });
  });

  it('is deterministic per seed; spans, count and visiting order vary with it', () => {
    const spec: SpanInfillSpec = { kind: 'span-infill', size: 1, order: 'random' };
    expect(arr(groupIdsFor(spec, 64, { seed: 3 }))).toEqual(arr(groupIdsFor(spec, 64, { seed: 3 })));
    const draws = Array.from({ length: 60 }, (_, seed) => spanInfillSpans(spec, 128, { seed }));
    expect(new Set(draws.map((d) => d.length))).toEqual(new Set([1, 2, 3]));
    expect(new Set(draws.map((d) => JSON.stringify(d))).size).toBeGreaterThan(50);
    expect(Math.max(...draws.flat().map((s) => s.length))).toBeGreaterThan(16);
  });

  it('fixed spans: the gap as singletons, blocks of s, or one group', () => {
    const spans = [{ start: 2, length: 5 }];
    expect(arr(groupIdsFor({ kind: 'span-infill', size: 1, order: 'left-to-right', spans }, 9))).toEqual([0, 0, 1, 2, 3, 4, 5, 0, 0]);
    expect(arr(groupIdsFor({ kind: 'span-infill', size: 2, order: 'left-to-right', spans }, 9))).toEqual([0, 0, 1, 1, 2, 2, 3, 0, 0]);
    expect(arr(groupIdsFor({ kind: 'span-infill', size: 5, order: 'left-to-right', spans }, 9))).toEqual([0, 0, 1, 1, 1, 1, 1, 0, 0]);
    const two = [{ start: 0, length: 2 }, { start: 4, length: 1 }];
    expect(arr(groupIdsFor({ kind: 'span-infill', size: 1, order: 'left-to-right', spans: two }, 6))).toEqual([1, 2, 0, 0, 3, 0]);
    expect(() => groupIdsFor({ kind: 'span-infill', size: 1, order: 'left-to-right', spans: [{ start: 3, length: 2 }, { start: 4, length: 1 }] }, 8)).toThrow(/sorted and disjoint/);
    expect(() => groupIdsFor({ kind: 'span-infill', size: 1, order: 'left-to-right', spans: [{ start: 6, length: 3 }] }, 8)).toThrow(/runs past the sequence of 8/);
  });

  it('with sentence boundaries, a draw is sometimes exactly one whole sentence', () => {
    const starts = [3, 10, 18, 30]; // sentences [3,10), [10,18), [18,30)
    const spec: SpanInfillSpec = { kind: 'span-infill', size: 1, order: 'left-to-right', sentence: 1 };
    for (let seed = 0; seed < 30; seed++) {
      const spans = spanInfillSpans(spec, 32, { seed, sentenceStarts: starts });
      expect(spans).toHaveLength(1);
      expect([[3, 7], [10, 8], [18, 12]]).toContainEqual([spans[0].start, spans[0].length]);
    }
    // sentence 0 never draws one; a boundary list with no sentence that leaves context falls back to token spans.
    // (A sentence draw is always exactly one span, token draws have 1-3.)
    const spanCounts = (o: Partial<SpanInfillSpec>, sentenceStarts: number[]) =>
      new Set(Array.from({ length: 30 }, (_, seed) => spanInfillSpans({ ...spec, ...o }, 32, { seed, sentenceStarts }).length));
    expect(spanCounts({ sentence: 0 }, starts)).toEqual(new Set([1, 2, 3]));
    expect(spanCounts({}, [0, 32])).toEqual(new Set([1, 2, 3]));
  });

  it('validateGroupingSpec rejects what cannot be drawn', () => {
    expect(() => validateGroupingSpec({ kind: 'span-infill', size: 0, order: 'left-to-right' })).toThrow(/group size/);
    expect(() => validateGroupingSpec({ kind: 'span-infill', size: 1, order: 'sideways' as 'random' })).toThrow(/span order/);
    expect(() => validateGroupingSpec({ kind: 'span-infill', size: 1, order: 'random', maxSpans: 0 })).toThrow(/maxSpans/);
    expect(() => validateGroupingSpec({ kind: 'span-infill', size: 1, order: 'random', sentence: 2 })).toThrow(/sentence probability/);
    expect(() => validateGroupingSpec({ kind: 'explicit', gids: [0, -1] })).toThrow(/negative/);
    expect(validateGroupingSpec({ kind: 'random', size: 3 })).toEqual({ kind: 'random', size: 3 });
    expect(groupZeroIsContext({ kind: 'span-infill', size: 1, order: 'random' })).toBe(true);
    expect(groupZeroIsContext({ kind: 'random', size: 4 })).toBe(false);
  });
});
