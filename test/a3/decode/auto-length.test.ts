/**
 * Automatic gap lengths: resizing keeps the rest of the problem, every trial
 * is scored by the exact per-token likelihood, the best trial wins, and a
 * layout past the context is refused before anything runs.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseGapLengths, completionScore, resizeSpan } from '@/lib/a3/decode/auto-length';
import { decodeDynamic } from '@/lib/a3/decode/dynamic';
import { decodeGroupwise } from '@/lib/a3/decode/groupwise';
import type { InfillProblem } from '@/lib/a3/decode/infill';
import { sequenceLogProb } from '@/lib/a3/likelihood';
import { MASK_TOKEN } from '@/lib/a3/mdlm';
import { disposeModel, type A3Model } from '@/lib/a3/model';
import { randomModel, tiny, useCpu } from '../../helpers/tf';

const cfg = { ...tiny, vocabSize: 16, maxLen: 16 };
let model: A3Model;

// [5 6] gap(2) [7] gap(3) [8]
const problem: InfillProblem = {
  tokens: [5, 6, MASK_TOKEN, MASK_TOKEN, 7, MASK_TOKEN, MASK_TOKEN, MASK_TOKEN, 8],
  given: [true, true, false, false, true, false, false, false, true],
  spans: [
    { start: 2, length: 2 },
    { start: 5, length: 3 },
  ],
};

beforeAll(async () => {
  await useCpu();
  model = randomModel(cfg, 41, 0.4);
});

afterAll(() => disposeModel(model));

describe('automatic gap length', () => {
  it('resizes one gap and shifts the later ones', async () => {
    const p = resizeSpan(problem, 0, 4);
    expect(p.tokens).toEqual([5, 6, MASK_TOKEN, MASK_TOKEN, MASK_TOKEN, MASK_TOKEN, 7, MASK_TOKEN, MASK_TOKEN, MASK_TOKEN, 8]);
    expect(Array.from(p.given).filter((g) => !g).length).toBe(7);
    expect(p.spans).toEqual([
      { start: 2, length: 4 },
      { start: 7, length: 3 },
    ]);
    expect(resizeSpan(problem, 1, 1).spans).toEqual([
      { start: 2, length: 2 },
      { start: 5, length: 1 },
    ]);
    expect(problem.tokens.length).toBe(9); // the input is not mutated
  });

  it('scores each trial by exact per-token log-likelihood and keeps the best', async () => {
    const decode = (p: InfillProblem | { tokens: ArrayLike<number>; given: ArrayLike<boolean> }) => decodeGroupwise(model, p, { groupSize: 2, seed: 3 });
    const result = await chooseGapLengths(model, problem, [0, 1], [1, 2, 4], decode);
    expect(result.trials.map((t) => [t.span, t.length])).toEqual([
      [0, 1],
      [0, 2],
      [0, 4],
      [1, 1],
      [1, 2],
      [1, 4],
    ]);
    const bestOf = (span: number) => result.trials.filter((t) => t.span === span).reduce((a, b) => (b.logProbPerToken > a.logProbPerToken ? b : a));
    expect(result.problem.spans.map((s) => s.length)).toEqual([bestOf(0).length, bestOf(1).length]);
    // The returned trace is the decode of the returned problem, and its score is the last winner's.
    expect(result.trace.tokens).toEqual((await decode(result.problem)).tokens);
    expect(await completionScore(model, result.trace)).toBeCloseTo(bestOf(1).logProbPerToken, 6);
    // The score is sequenceLogProb over the decoder's own partition, per open token.
    const { trace } = result;
    const logp = sequenceLogProb(
      model,
      { batch: 1, tokens: Int32Array.from(trace.tokens), groupIds: Int32Array.from(trace.groupIds) },
      Uint8Array.from(trace.given, Number),
    );
    expect(await completionScore(model, trace)).toBeCloseTo(logp[0] / trace.given.filter((g) => !g).length, 6);
  });

  it('works with any strategy and with no gap searched', async () => {
    const dyn = (p: { tokens: ArrayLike<number>; given: ArrayLike<boolean> }) => decodeDynamic(model, p, { perStep: 2, seed: 4 });
    expect((await chooseGapLengths(model, problem, [1], [3, 5], dyn)).trials).toHaveLength(2);
    const none = await chooseGapLengths(model, problem, [], [2], dyn);
    expect(none.trials).toEqual([]);
    expect(none.problem).toBe(problem);
  });

  it('when no length of a later gap scores (NaN), the problem with the earlier gaps chosen is the one decoded and returned', async () => {
    let calls = 0;
    // Trials of gap 1 (after gap 0's three) come back with nothing open: per-token score 0/0 = NaN.
    const decode = async (p: { tokens: ArrayLike<number>; given: ArrayLike<boolean> }) => {
      const trace = await decodeGroupwise(model, p, { groupSize: 2, seed: 3 });
      return ++calls > 3 ? { ...trace, given: trace.given.map(() => true) } : trace;
    };
    const result = await chooseGapLengths(model, problem, [0, 1], [1, 2, 4], decode);
    expect(result.trials.filter((t) => t.span === 1).every((t) => Number.isNaN(t.logProbPerToken))).toBe(true);
    const chosen = result.trials.filter((t) => t.span === 0).reduce((a, b) => (b.logProbPerToken > a.logProbPerToken ? b : a));
    expect(result.problem.spans[0].length).toBe(chosen.length);
    // The trace answers the returned problem: same length, the same token where given.
    expect(result.trace.tokens.length).toBe(result.problem.tokens.length);
    expect(Array.from(result.problem.tokens).every((t, i) => !result.problem.given[i] || result.trace.tokens[i] === t)).toBe(true);
  });

  it('refuses bad searches before decoding anything', async () => {
    const before = tf.memory().numTensors;
    let calls = 0;
    const decode = (p: { tokens: ArrayLike<number>; given: ArrayLike<boolean> }) => {
      calls++;
      return decodeGroupwise(model, p, { groupSize: 1 });
    };
    await expect(chooseGapLengths(model, problem, [0, 1], [2, 8], decode)).rejects.toThrow(/longer than the model's context/);
    await expect(chooseGapLengths(model, problem, [0], [], decode)).rejects.toThrow(/at least one candidate/);
    await expect(chooseGapLengths(model, problem, [0], [0], decode)).rejects.toThrow(/integer >= 1/);
    await expect(chooseGapLengths(model, problem, [2], [1], decode)).rejects.toThrow(/does not exist/);
    expect(calls).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
  });
});
