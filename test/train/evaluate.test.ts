/**
 * Validation figures (lib/train/evaluate.ts): exact values against the losses computed directly, determinism,
 * no tensor left behind, and only asynchronous reads (the worker calls these during a fine-tune, and on WebGPU
 * a synchronous read after an asynchronous one breaks).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { leftToRight } from '@/lib/a3/groups';
import { a3Loss, arLoss } from '@/lib/a3/likelihood';
import { disposeModel, initModel, type A3Model } from '@/lib/a3/model';
import { evalWindows } from '@/lib/train/batches';
import { a3Nll, a3NllTable, arNll, guardLoss, mdlmBound } from '@/lib/train/evaluate';
import { tiny, useCpu } from '../helpers/tf';

let model: A3Model;
beforeAll(async () => {
  await useCpu();
  model = initModel(tiny, 11);
});
afterAll(() => disposeModel(model));
afterEach(() => vi.restoreAllMocks());

/** Tokens 4..15 (never the mask id 3). */
const tokensOf = (n: number, mul = 7) => Int32Array.from({ length: n }, (_, i) => 4 + ((i * mul + (i >> 3)) % 12));
const stream = tokensOf(20 * 12 + 5, 3);
const windows = evalWindows(stream, 20, 12); // 20 windows -> eval batches of 16 + 4

async function directMean(loss: (w: (typeof windows)[number]) => tf.Scalar): Promise<number> {
  let sum = 0;
  for (const w of windows) {
    const l = loss(w);
    sum += (await l.data())[0];
    l.dispose();
  }
  return sum / windows.length;
}

describe('evaluate.ts', () => {
  it('a3Nll with left-to-right grouping equals the mean of a3Loss computed directly', async () => {
    const got = await a3Nll(model, windows, { kind: 'left-to-right' });
    expect(windows).toHaveLength(20);
    expect(Math.abs(got - (await directMean((w) => a3Loss(model, { batch: 1, tokens: w.tokens, groupIds: leftToRight(12) }))))).toBeLessThan(1e-5);
  });

  it('arNll equals the mean of arLoss computed directly (every window has the same length)', async () => {
    const got = await arNll(model, windows);
    expect(Math.abs(got - (await directMean((w) => arLoss(model, w))))).toBeLessThan(1e-5);
  });

  it('mdlmBound is finite and positive, and deterministic', async () => {
    const few = windows.slice(0, 4);
    const a = await mdlmBound(model, few, 4);
    expect(Number.isFinite(a)).toBe(true);
    expect(a).toBeGreaterThan(0);
    // an untrained model is near uniform: the bound is in the vicinity of log V
    expect(a).toBeGreaterThan(0.5 * Math.log(tiny.vocabSize));
    expect(a).toBeLessThan(3 * Math.log(tiny.vocabSize));
    expect(await mdlmBound(model, few, 4)).toBe(a);
  });

  it('reads only asynchronously and leaves no tensor behind', async () => {
    const dataSync = vi.spyOn(tf.Tensor.prototype, 'dataSync');
    const arraySync = vi.spyOn(tf.Tensor.prototype, 'arraySync');
    const before = tf.memory().numTensors;
    const table = await a3NllTable(model, windows, [{ kind: 'left-to-right' }, { kind: 'random', size: 4 }]);
    expect(Object.keys(table)).toEqual(['left-to-right s=1', 'random s=4']);
    await arNll(model, windows);
    await mdlmBound(model, windows.slice(0, 2), 2);
    for (const kind of ['ar', 'a3', 'mdlm'] as const) expect(Number.isFinite(await guardLoss(model, kind, stream.slice(0, 48), 12))).toBe(true);
    expect(dataSync).not.toHaveBeenCalled();
    expect(arraySync).not.toHaveBeenCalled();
    expect(tf.memory().numTensors).toBe(before);
  });
});
