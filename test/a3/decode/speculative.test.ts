/**
 * Speculative sampling is lossless: over many seeds its samples follow the
 * model's own joint for the order (exact, by enumeration; chi-square test).
 * The diffusion decoder unmasks the scheduled number of positions per step.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeDiffusion, diffusionSchedule } from '@/lib/a3/decode/diffusion';
import { decodeGroupwise } from '@/lib/a3/decode/groupwise';
import { decodeSpeculative } from '@/lib/a3/decode/speculative';
import { sequenceLogProb } from '@/lib/a3/likelihood';
import { randomModel, tiny, useCpu } from '../../helpers/tf';

const V = 3;
const cfg = { ...tiny, vocabSize: V, maxLen: 8 };
const problem = { tokens: [1, 0, 0, 0], given: [true, false, false, false] };
// Ids 0-2 are this toy vocabulary's whole alphabet, not special tokens: the exact joint samples all of them.
const sampling = { allowSpecial: true };

/** Exact joint over the 27 completions, for the left-to-right singleton order after the given token. */
function exactJoint(model: ReturnType<typeof randomModel>): Float64Array {
  const seqs: number[] = [];
  for (let c = 0; c < V ** 3; c++) seqs.push(1, Math.floor(c / 9) % 3, Math.floor(c / 3) % 3, c % 3);
  const batch = V ** 3;
  const logp = sequenceLogProb(
    model,
    { batch, tokens: Int32Array.from(seqs), groupIds: Int32Array.from({ length: 4 * batch }, (_, i) => i % 4) },
    Uint8Array.from({ length: 4 * batch }, (_, i) => (i % 4 === 0 ? 1 : 0)),
  );
  return Float64Array.from(logp, Math.exp);
}

function chiSquare(counts: number[], probs: Float64Array, n: number): number {
  return counts.reduce((s, c, i) => s + (c - n * probs[i]) ** 2 / (n * probs[i]), 0);
}

describe('speculative sampling', () => {
  beforeAll(useCpu);

  it('follows the model joint (chi-square, 26 dof, fixed seeds) and accepts > 1 token per round sometimes', async () => {
    const model = randomModel(cfg, 21, 0.8);
    const joint = exactJoint(model);
    expect(joint.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    const n = 2000;
    const counts = new Array(V ** 3).fill(0);
    let multi = 0;
    for (let seed = 0; seed < n; seed++) {
      const t = await decodeSpeculative(model, problem, { draft: 3, seed, sampling });
      counts[t.tokens[1] * 9 + t.tokens[2] * 3 + t.tokens[3]] += 1;
      if (t.rounds.some((r) => r.accepted > 1)) multi += 1;
    }
    // 26 degrees of freedom: the 0.999 quantile is 54.05.
    expect(chiSquare(counts, joint, n)).toBeLessThan(54.05);
    expect(multi).toBeGreaterThan(0);
    // The draft-only sampler (group-wise with all three in one group) is NOT the joint: the test has power.
    const naive = new Array(V ** 3).fill(0);
    for (let seed = 0; seed < n; seed++) {
      const t = await decodeGroupwise(model, problem, { groupSize: 3, seed, sampling });
      naive[t.tokens[1] * 9 + t.tokens[2] * 3 + t.tokens[3]] += 1;
    }
    expect(chiSquare(naive, joint, n)).toBeGreaterThan(54.05);
  }, 120_000);

  it('gives the same tokens cached and uncached, and leaks nothing', async () => {
    const model = randomModel({ ...cfg, vocabSize: 12, maxLen: 16 }, 22, 0.5);
    const p = { tokens: [3, 4, 0, 0, 0, 0, 0, 0, 5], given: [true, true, false, false, false, false, false, false, true] };
    const before = tf.memory().numTensors;
    const a = await decodeSpeculative(model, p, { draft: 3, seed: 5, cached: true });
    const b = await decodeSpeculative(model, p, { draft: 3, seed: 5, cached: false });
    expect(a.tokens).toEqual(b.tokens);
    expect(a.acceptedPerForward).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('diffusion decoding', () => {
  beforeAll(useCpu);

  it('schedules an even split per block and unmasks that many per step', async () => {
    expect(diffusionSchedule(8, 4, 8)).toEqual([[2, 2, 2, 2]]);
    expect(diffusionSchedule(7, 4, 4)).toEqual([[2, 2], [2, 1]]);
    expect(() => diffusionSchedule(8, 1, 4)).toThrow(/cannot cover/);
    const model = randomModel({ ...tiny, vocabSize: 12, maxLen: 16 }, 23, 0.5);
    const p = { tokens: [3, 4, 0, 0, 0, 0, 0, 0, 0], given: [true, true, false, false, false, false, false, false, false] };
    for (const remasking of ['low_confidence', 'random'] as const) {
      const t = await decodeDiffusion(model, p, { steps: 4, blockLength: 4, remasking, seed: 1 });
      expect(t.nfe).toBe(4);
      expect(t.steps.map((s) => s.committed.length)).toEqual(diffusionSchedule(7, 4, 4).flat());
      expect(t.tokens.slice(0, 2)).toEqual([3, 4]);
      expect(t.groupIds.every((g) => g >= 0)).toBe(true); // every open position was unmasked
    }
  });
});
