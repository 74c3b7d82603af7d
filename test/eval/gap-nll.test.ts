/**
 * The gap-likelihood evaluator (lib/eval/gap-nll.ts) on hand-built cases: every
 * A3 figure equals `sequenceLogProb` with `given` on group ids written out by
 * hand, the AR figure equals the content stream's next-token log-probs, the
 * diffusion bound equals its definition for a one-token gap; the whole set
 * scoring is deterministic and leaks no tensors; the paired bootstrap and the
 * random-span problems behave as documented.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useCpu, tiny, randomModel } from '../helpers/tf';
import { arForward, disposeModel, type A3Model } from '@/lib/a3/model';
import { sequenceLogProb } from '@/lib/a3/likelihood';
import { bidirectionalLogits, MASK_TOKEN } from '@/lib/a3/mdlm';
import { GAP_SCORERS, gapLogProbs, pairedBootstrap, randomSpanProblems, scoreGapSet, type GapProblem } from '@/lib/eval/gap-nll';

let a3: A3Model;
let base: A3Model;
let mdlm: A3Model;
beforeAll(async () => {
  await useCpu();
  a3 = randomModel(tiny, 21, 0.3);
  base = randomModel(tiny, 22, 0.3);
  mdlm = randomModel(tiny, 23, 0.3);
});
afterAll(() => [a3, base, mdlm].forEach(disposeModel));

const problem: GapProblem = { id: 'hand', prefix: [3, 5], gap: [7, 2, 9, 6, 8], suffix: [4, 1] };
const tokens = [3, 5, 7, 2, 9, 6, 8, 4, 1];
const given = [1, 1, 0, 0, 0, 0, 0, 1, 1];

function exact(model: A3Model, toks: number[], gids: number[], g: number[]): number {
  return sequenceLogProb(model, { batch: 1, tokens: Int32Array.from(toks), groupIds: Int32Array.from(gids) }, g)[0];
}

describe('gapLogProbs on a hand-built problem', () => {
  it('A3 rows equal sequenceLogProb with given = context and the group ids written by hand', () => {
    const got = gapLogProbs({ a3 }, problem);
    const close = (a: number | undefined, b: number) => expect(Math.abs((a ?? NaN) - b)).toBeLessThan(1e-4);
    close(got['a3-both-s1'], exact(a3, tokens, [0, 0, 1, 2, 3, 4, 5, 0, 0], given));
    close(got['a3-both-s2'], exact(a3, tokens, [0, 0, 1, 1, 2, 2, 3, 0, 0], given));
    close(got['a3-both-s4'], exact(a3, tokens, [0, 0, 1, 1, 1, 1, 2, 0, 0], given));
    close(got['a3-both-one'], exact(a3, tokens, [0, 0, 1, 1, 1, 1, 1, 0, 0], given));
    // Prefix only: the suffix is not in the sequence at all.
    close(got['a3-prefix'], exact(a3, tokens.slice(0, 7), [0, 0, 1, 2, 3, 4, 5], given.slice(0, 7)));
    // The suffix changes the both-sides figure (the model reads it) but not the prefix-only one.
    const otherSuffix = gapLogProbs({ a3 }, { ...problem, suffix: [12, 13] });
    expect(Math.abs((otherSuffix['a3-both-s1'] ?? 0) - (got['a3-both-s1'] ?? 0))).toBeGreaterThan(1e-3);
    expect(otherSuffix['a3-prefix']).toBeCloseTo(got['a3-prefix'] ?? NaN, 6);
    expect(got['ar-prefix']).toBeUndefined();
  });

  it('the AR row is the causal content stream: Σ log p(gap_j | prefix, gap_<j)', () => {
    const got = gapLogProbs({ base }, problem)['ar-prefix'];
    const lp = tf.tidy(() => tf.logSoftmax(arForward(base, { batch: 1, tokens: Int32Array.from(tokens.slice(0, 7)) }).logits).arraySync() as number[][]);
    const byHand = problem.gap.reduce((s, tok, j) => s + lp[problem.prefix.length + j - 1][tok], 0);
    expect(Math.abs((got ?? NaN) - byHand)).toBeLessThan(1e-4);
  });

  it('the diffusion row, for a one-token gap, is log p(x | rest, x masked) × mean of 1/t_k', () => {
    const one: GapProblem = { id: 'one', prefix: [3, 5, 7], gap: [2], suffix: [9, 6] };
    const got = gapLogProbs({ mdlm }, one, 4)['mdlm-both'];
    const input = Int32Array.from([3, 5, 7, MASK_TOKEN, 9, 6]);
    const lp = tf.tidy(() => tf.logSoftmax(bidirectionalLogits(mdlm, 1, input)).arraySync() as number[][])[3][2];
    const ratios = Array.from({ length: 8 }, (_, k) => (k + 0.5) / 8);
    const meanInvT = ratios.reduce((s, t) => s + 1 / t, 0) / ratios.length;
    expect(Math.abs((got ?? NaN) - lp * meanInvT)).toBeLessThan(1e-4);
  });

  it('rejects an empty gap or prefix with a clear message', () => {
    expect(() => gapLogProbs({ a3 }, { ...problem, gap: [] })).toThrow(/empty gap/);
    expect(() => gapLogProbs({ a3 }, { ...problem, prefix: [] })).toThrow(/no prefix/);
  });
});

describe('scoreGapSet', () => {
  const problems: GapProblem[] = [problem, { id: 'b', prefix: [1], gap: [4, 4], suffix: [6, 7, 8] }, { id: 'c', prefix: [2, 2, 2], gap: [9], suffix: [] }];

  it('is deterministic, leaks no tensors; rows are per-problem and token-weighted means of the per-problem NLLs', () => {
    const before = tf.memory().numTensors;
    const first = scoreGapSet({ base, a3, mdlm }, problems, { seed: 5, resamples: 300 });
    const again = scoreGapSet({ base, a3, mdlm }, problems, { seed: 5, resamples: 300 });
    expect(tf.memory().numTensors).toBe(before);
    expect(again).toEqual(first);
    expect(first.gapTokens).toBe(8);
    expect(first.rows.map((r) => r.scorer)).toEqual(GAP_SCORERS.map((s) => s.id));
    const ar = first.rows[0];
    for (const row of first.rows) {
      expect(row.ran).toBe(true);
      const nll = first.problems.map((p) => p.nll[row.scorer] ?? NaN);
      expect(row.meanNll).toBeCloseTo((nll[0] / 5 + nll[1] / 2 + nll[2] / 1) / 3, 10);
      expect(row.tokenWeightedNll).toBeCloseTo((nll[0] + nll[1] + nll[2]) / 8, 10);
      if (row.scorer === 'ar-prefix') {
        expect(row.minusArPrefix).toBeUndefined();
        continue;
      }
      for (const [d, m, arM] of [
        [row.minusArPrefix, row.meanNll, ar.meanNll],
        [row.minusArPrefixTokenWeighted, row.tokenWeightedNll, ar.tokenWeightedNll],
      ] as const) {
        expect(d?.mean).toBeCloseTo((m ?? NaN) - (arM ?? NaN), 10);
        expect(d && d.low <= d.mean && d.mean <= d.high).toBe(true);
      }
    }
    expect(first.problems[0].nll['a3-both-s1']).toBeCloseTo(-exact(a3, tokens, [0, 0, 1, 2, 3, 4, 5, 0, 0], given), 4);
  });

  it('a missing model skips its rows (and the AR-relative intervals without the AR model)', () => {
    const r = scoreGapSet({ a3 }, problems, { seed: 1, resamples: 50 });
    expect(r.rows.filter((x) => x.ran).map((x) => x.scorer)).toEqual(['a3-prefix', 'a3-both-s1', 'a3-both-s2', 'a3-both-s4', 'a3-both-one']);
    expect(r.rows.find((x) => x.scorer === 'mdlm-both')?.skipped).toBe('no mdlm model');
    expect(r.rows.every((x) => x.minusArPrefix === undefined)).toBe(true);
  });
});

describe('pairedBootstrap', () => {
  it('a constant difference gives a zero-width interval at that value, with either weighting', () => {
    const a = [4.5, 3.1, 5.0, 2.2];
    const b = a.map((x) => x - 0.5);
    for (const w of [[1, 1, 1, 1], [3, 5, 2, 8]]) {
      const r = pairedBootstrap(a, b, w, 500, 3);
      for (const v of [r.mean, r.low, r.high]) expect(v).toBeCloseTo(0.5, 12);
    }
  });

  it('weights: ones = mean of differences, gap lengths = the token-weighted difference', () => {
    const a = [1, 2, 6];
    const b = [0, 0, 0];
    expect(pairedBootstrap(a, b, [1, 1, 1], 10).mean).toBeCloseTo(3, 12);
    expect(pairedBootstrap(a, b, [1, 1, 2], 10).mean).toBeCloseTo((1 + 2 + 12) / 4, 12);
  });

  it('is deterministic in its seed, brackets the mean, and narrows with more problems', () => {
    const rng = (() => {
      let s = 1;
      return () => ((s = (s * 16807) % 2147483647) / 2147483647);
    })();
    const make = (n: number) => {
      const b = Array.from({ length: n }, () => 4 + rng());
      const a = b.map((x) => x - 0.2 + (rng() - 0.5));
      return { a, b, w: b.map(() => 1) };
    };
    const small = make(20);
    const big = make(400);
    const r = pairedBootstrap(small.a, small.b, small.w, 1000, 9);
    expect(pairedBootstrap(small.a, small.b, small.w, 1000, 9)).toEqual(r);
    expect(r.low).toBeLessThan(r.mean);
    expect(r.high).toBeGreaterThan(r.mean);
    const rb = pairedBootstrap(big.a, big.b, big.w, 1000, 9);
    expect(rb.high - rb.low).toBeLessThan((r.high - r.low) / 2);
    expect(rb.high).toBeLessThan(0); // -0.2 nats/token, clearly separated with 400 problems
    expect(() => pairedBootstrap([], [], [])).toThrow(/non-empty/);
  });
});

describe('randomSpanProblems', () => {
  it('one span of 1-32 tokens per window, a token of context on each side, the window unchanged, seeded', () => {
    const windows = Array.from({ length: 200 }, (_, k) => Int32Array.from({ length: k % 5 === 0 ? 6 : 128 }, (_, i) => (i * 7 + k) % 16));
    const problems = randomSpanProblems(windows, 11);
    expect(randomSpanProblems(windows, 11)).toEqual(problems);
    expect(randomSpanProblems(windows, 12)).not.toEqual(problems);
    problems.forEach((p, k) => {
      expect(p.prefix.length).toBeGreaterThanOrEqual(1);
      expect(p.suffix.length).toBeGreaterThanOrEqual(1);
      expect(p.gap.length).toBeGreaterThanOrEqual(1);
      expect(p.gap.length).toBeLessThanOrEqual(32);
      expect([...p.prefix, ...p.gap, ...p.suffix]).toEqual(Array.from(windows[k]));
    });
    expect(Math.max(...problems.map((p) => p.gap.length))).toBeGreaterThan(20);
    expect(() => randomSpanProblems([Int32Array.from([1, 2])], 1)).toThrow(/one token of context on each side/);
  });
});
