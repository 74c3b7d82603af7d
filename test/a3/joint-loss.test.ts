/**
 * The joint objective (likelihood.ts `jointLoss`): AR loss of the content
 * stream + A3 loss of the query stream equals the two computed separately,
 * on the one-forward path (left-to-right groupings) and the two-forward path
 * (any other grouping), with padding and given positions; it trains both.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useCpu, tiny, randomModel } from '../helpers/tf';
import { disposeModel, initModel, trainableVariables, type A3Model, type SequenceBatch } from '@/lib/a3/model';
import { a3Loss, arLoss, isLeftToRightGrouping, jointLoss } from '@/lib/a3/likelihood';
import { leftToRight, randomSubsets } from '@/lib/a3/groups';
import { AdamW } from '@/lib/train/optim';
import { stageBatch, trainLoss } from '@/lib/train/losses';

const read = (t: tf.Scalar) => {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
};

let model: A3Model;
beforeAll(async () => {
  await useCpu();
  model = randomModel(tiny, 11, 0.3);
});
afterAll(() => disposeModel(model));

const T = 10;
const tokens = Int32Array.from([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 7, 8, 9, 7, 9, 3, 2, 3, 8, 4]);
const pad = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
const rows = (a: Int32Array, b: Int32Array) => Int32Array.from([...a, ...b]);

describe('jointLoss', () => {
  const cases: [string, SequenceBatch, Uint8Array | undefined][] = [
    ['left to right (one forward)', { batch: 2, tokens, groupIds: rows(leftToRight(T), leftToRight(T)) }, undefined],
    ['monotone relabelling of arange, padded (one forward)', { batch: 2, tokens, pad, groupIds: rows(Int32Array.from(leftToRight(T), (g) => 3 * g + 1), leftToRight(T)) }, undefined],
    ['random subsets (two forwards)', { batch: 2, tokens, groupIds: rows(randomSubsets(T, 3, 1), randomSubsets(T, 3, 2)) }, undefined],
    ['span infilling with given context, padded (two forwards)', { batch: 2, tokens, pad, groupIds: Int32Array.from([0, 0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 1, 1, 2, 0, 0, 0, 0, 0, 0]) }, Uint8Array.from([1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1])],
  ];

  it('picks the one-forward path exactly for left-to-right groupings', () => {
    expect(cases.map(([, seq]) => isLeftToRightGrouping(seq))).toEqual([true, true, false, false]);
  });

  for (const [name, seq, given] of cases) {
    it(`= arLoss + a3Loss computed separately: ${name}`, () => {
      const before = tf.memory().numTensors;
      const joint = read(jointLoss(model, seq, given));
      const separate = read(arLoss(model, seq)) + read(a3Loss(model, seq, given));
      expect(Math.abs(joint - separate)).toBeLessThan(1e-5 * Math.max(1, separate));
      const weighted = read(jointLoss(model, seq, given, { ar: 0.25, a3: 2 }));
      expect(Math.abs(weighted - (0.25 * read(arLoss(model, seq)) + 2 * read(a3Loss(model, seq, given))))).toBeLessThan(1e-5 * Math.max(1, weighted));
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it("the stage objective 'joint' is jointLoss; 'ar' and 'a3' are the single losses", () => {
    const [, seq, given] = cases[3];
    const grouping = { groupIds: seq.groupIds, given };
    const loss = (objective: 'joint' | 'ar' | 'a3' | undefined) => read(trainLoss(model, stageBatch(objective, seq, grouping)));
    expect(loss('joint')).toBeCloseTo(read(jointLoss(model, seq, given)), 6);
    expect(loss('ar')).toBeCloseTo(read(arLoss(model, seq)), 6);
    expect(loss('a3')).toBeCloseTo(read(a3Loss(model, seq, given)), 6);
    expect(loss(undefined)).toBeCloseTo(read(a3Loss(model, seq, given)), 6);
  });

  it('gradients reach every weight and w; minimising it lowers both terms (from a fresh init)', async () => {
    const m = initModel(tiny, 3);
    const seq: SequenceBatch = { batch: 2, tokens, groupIds: rows(randomSubsets(T, 2, 5), leftToRight(T)) };
    const vars = trainableVariables(m);
    const { value, grads } = tf.variableGrads(() => jointLoss(m, seq), vars);
    value.dispose();
    for (const v of vars) {
      const norm = read(tf.tidy(() => tf.sum(tf.abs(grads[v.name]))) as tf.Scalar);
      expect(norm, v.name).toBeGreaterThan(0);
    }
    Object.values(grads).forEach((g) => g.dispose());
    const ar0 = read(arLoss(m, seq));
    const a30 = read(a3Loss(m, seq));
    const opt = new AdamW(vars, {});
    for (let k = 0; k < 25; k++) await opt.minimize(() => jointLoss(m, seq), 1e-2);
    expect(read(arLoss(m, seq))).toBeLessThan(ar0 - 0.3);
    expect(read(a3Loss(m, seq))).toBeLessThan(a30 - 0.3);
    opt.dispose();
    disposeModel(m);
  });
});
