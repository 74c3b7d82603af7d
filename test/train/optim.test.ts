import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useCpu, tiny, maxAbsDiff } from '../helpers/tf';
import { AdamW, DEFAULT_ADAMW } from '@/lib/train/optim';
import { learningRate, type LrSchedule } from '@/lib/train/schedule';
import { disposeModel, initModel, trainableVariables } from '@/lib/a3/model';
import { arLoss } from '@/lib/a3/likelihood';

beforeAll(async () => {
  await useCpu();
});

/** Reference AdamW in float64 for one tensor. */
function refStep(
  x: number[],
  g: number[],
  m: number[],
  v: number[],
  t: number,
  lr: number,
  o: { beta1: number; beta2: number; eps: number; weightDecay: number },
  decayed: boolean,
): void {
  const c1 = 1 - o.beta1 ** t;
  const c2 = 1 - o.beta2 ** t;
  for (let i = 0; i < x.length; i++) {
    m[i] = o.beta1 * m[i] + (1 - o.beta1) * g[i];
    v[i] = o.beta2 * v[i] + (1 - o.beta2) * g[i] * g[i];
    const update = m[i] / c1 / (Math.sqrt(v[i] / c2) + o.eps);
    x[i] = x[i] * (1 - lr * (decayed ? o.weightDecay : 0)) - lr * update;
  }
}

describe('AdamW', () => {
  it('matches a hand-computed AdamW update for 2 steps; decays matrices only', async () => {
    const opts = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, clipNorm: Infinity };
    const vec = tf.variable(tf.tensor1d([0.5, -1.5]), true, 'opt_test/vec'); // rank 1: no decay
    const mat = tf.variable(tf.tensor2d([[0.3, -0.7]]), true, 'opt_test/mat'); // rank 2: decayed
    const opt = new AdamW([vec, mat], opts);
    const a = [2, -3];
    // L = a·vec + Σ mat², dL/dvec = a, dL/dmat = 2·mat
    const lossFn = () => tf.add(tf.sum(tf.mul(vec, tf.tensor1d(a))), tf.sum(tf.square(mat))) as tf.Scalar;

    const x = [0.5, -1.5];
    const w = [0.3, -0.7];
    const mx = [0, 0], vx = [0, 0], mw = [0, 0], vw = [0, 0];
    const lrs = [0.1, 0.05];
    for (let t = 1; t <= 2; t++) {
      const gw = w.map((wi) => 2 * wi);
      const r = await opt.minimize(lossFn, lrs[t - 1]);
      expect(r.applied).toBe(true);
      refStep(x, a, mx, vx, t, lrs[t - 1], opts, false);
      refStep(w, gw, mw, vw, t, lrs[t - 1], opts, true);
      expect(maxAbsDiff(vec.dataSync(), x)).toBeLessThan(1e-6);
      expect(maxAbsDiff(mat.dataSync(), w)).toBeLessThan(1e-6);
    }
    expect(opt.step).toBe(2);

    // Same gradients, no decay at all: the rank-1 variable must be identical (it was never decayed).
    const vec2 = tf.variable(tf.tensor1d([0.5, -1.5]), true, 'opt_test/vec2');
    const opt2 = new AdamW([vec2], { ...opts, weightDecay: 0 });
    const lossFn2 = () => tf.sum(tf.mul(vec2, tf.tensor1d(a))) as tf.Scalar;
    await opt2.minimize(lossFn2, lrs[0]);
    await opt2.minimize(lossFn2, lrs[1]);
    expect(maxAbsDiff(vec2.dataSync(), vec.dataSync())).toBe(0);

    opt.dispose();
    opt2.dispose();
    tf.dispose([vec, mat, vec2]);
  });

  it('clips the global gradient norm: moments see the scaled gradient', async () => {
    const x = tf.variable(tf.tensor1d([0, 0]), true, 'opt_test/clip');
    const opt = new AdamW([x], { clipNorm: 1, weightDecay: 0 });
    const g = [30, 40]; // norm 50
    const r = await opt.minimize(() => tf.sum(tf.mul(x, tf.tensor1d(g))) as tf.Scalar, 0.01);
    expect(r.gradNorm).toBeCloseTo(50, 4);
    const state = await opt.getState();
    const b1 = DEFAULT_ADAMW.beta1;
    const b2 = DEFAULT_ADAMW.beta2;
    expect(maxAbsDiff(state.slots[0].m, [(1 - b1) * 0.6, (1 - b1) * 0.8])).toBeLessThan(1e-6);
    expect(maxAbsDiff(state.slots[0].v, [(1 - b2) * 0.36, (1 - b2) * 0.64])).toBeLessThan(1e-6);

    // Below the threshold nothing is scaled.
    const y = tf.variable(tf.tensor1d([0, 0]), true, 'opt_test/noclip');
    const opt2 = new AdamW([y], { clipNorm: 100, weightDecay: 0 });
    await opt2.minimize(() => tf.sum(tf.mul(y, tf.tensor1d(g))) as tf.Scalar, 0.01);
    const s2 = await opt2.getState();
    expect(maxAbsDiff(s2.slots[0].m, [(1 - b1) * 30, (1 - b1) * 40])).toBeLessThan(1e-4);

    // With a large eps Adam is no longer scale-free: the clipped update is smaller.
    const z1 = tf.variable(tf.tensor1d([0, 0]), true, 'opt_test/eps1');
    const z2 = tf.variable(tf.tensor1d([0, 0]), true, 'opt_test/eps2');
    const o1 = new AdamW([z1], { clipNorm: 1, weightDecay: 0, eps: 1 });
    const o2 = new AdamW([z2], { clipNorm: Infinity, weightDecay: 0, eps: 1 });
    await o1.minimize(() => tf.sum(tf.mul(z1, tf.tensor1d(g))) as tf.Scalar, 0.1);
    await o2.minimize(() => tf.sum(tf.mul(z2, tf.tensor1d(g))) as tf.Scalar, 0.1);
    const u1 = Math.hypot(...z1.dataSync());
    const u2 = Math.hypot(...z2.dataSync());
    expect(u1).toBeLessThan(u2 * 0.8);
    // clipped grad (0.6, 0.8): update = lr * g / (|g| + eps)
    expect(maxAbsDiff(z1.dataSync(), [-0.1 * 0.6 / 1.6, -0.1 * 0.8 / 1.8])).toBeLessThan(1e-6);

    [opt, opt2, o1, o2].forEach((o) => o.dispose());
    tf.dispose([x, y, z1, z2]);
  });

  it('leaves variables without a gradient untouched (w under the AR loss)', async () => {
    const model = initModel(tiny, 3);
    const vars = trainableVariables(model);
    const opt = new AdamW(vars, { weightDecay: 0.1 });
    const before = vars.map((v) => Float32Array.from(v.dataSync()));
    const tokens = Int32Array.from({ length: 2 * 8 }, (_, i) => 4 + ((i * 5) % 11));
    const r = await opt.minimize(() => arLoss(model, { batch: 2, tokens }), 1e-2);
    expect(r.applied).toBe(true);
    const wIndex = vars.indexOf(model.queryEmbed);
    expect(maxAbsDiff(model.queryEmbed.dataSync(), before[wIndex])).toBe(0);
    const state = await opt.getState();
    expect(state.slots[wIndex].m.every((x) => x === 0)).toBe(true);
    expect(state.slots[wIndex].v.every((x) => x === 0)).toBe(true);
    // every other weight moved
    vars.forEach((v, i) => {
      if (i !== wIndex) expect(maxAbsDiff(v.dataSync(), before[i]), v.name).toBeGreaterThan(0);
    });
    opt.dispose();
    disposeModel(model);
  });

  it('getState/setState round trip continues identically', async () => {
    const mk = (name: string): tf.Variable[] => [
      tf.variable(tf.tensor2d([[0.1, 0.2], [0.3, -0.4]]), true, `${name}/a`),
      tf.variable(tf.tensor1d([1, -1]), true, `${name}/b`),
    ];
    const loss = (vs: tf.Variable[]) => () =>
      tf.add(tf.sum(tf.square(tf.sub(vs[0], 1))), tf.sum(tf.mul(vs[1], tf.sum(vs[0], 0)))) as tf.Scalar;
    const A = mk('rt_a');
    const optA = new AdamW(A, { weightDecay: 0.05 });
    await optA.minimize(loss(A), 0.05);
    await optA.minimize(loss(A), 0.05);
    const state = await optA.getState();
    expect(state.step).toBe(2);
    expect(state.slots.map((s) => s.name)).toEqual(A.map((v) => v.name));

    const B = mk('rt_b');
    B.forEach((v, i) => v.assign(A[i]));
    const optB = new AdamW(B, { weightDecay: 0.05 });
    optB.setState(state);
    const again = await optB.getState();
    expect(again.step).toBe(2);
    again.slots.forEach((s, i) => {
      expect(maxAbsDiff(s.m, state.slots[i].m)).toBe(0);
      expect(maxAbsDiff(s.v, state.slots[i].v)).toBe(0);
    });
    await optA.minimize(loss(A), 0.05);
    await optB.minimize(loss(B), 0.05);
    A.forEach((v, i) => expect(maxAbsDiff(v.dataSync(), B[i].dataSync())).toBe(0));

    // wrong shapes are refused
    expect(() => optB.setState({ step: 1, slots: state.slots.slice(0, 1) })).toThrow(/slots/);
    expect(() =>
      optB.setState({ step: 1, slots: [state.slots[1], state.slots[0]] }),
    ).toThrow(/wrong size/);
    optA.dispose();
    optB.dispose();
    tf.dispose([...A, ...B]);
  });

  it('skips a non-finite step without touching weights or moments', async () => {
    const x = tf.variable(tf.tensor2d([[1, 2]]), true, 'opt_test/nan');
    const opt = new AdamW([x]);
    const r = await opt.minimize(() => tf.mul(tf.sum(x), NaN) as tf.Scalar, 0.1);
    expect(r.applied).toBe(false);
    expect(opt.step).toBe(0);
    expect(Array.from(x.dataSync())).toEqual([1, 2]);
    const s = await opt.getState();
    expect(s.slots[0].m.every((v) => v === 0)).toBe(true);
    opt.dispose();
    x.dispose();
  });
});

describe('learning-rate schedule', () => {
  const s: LrSchedule = { peak: 1e-3, warmup: 10, total: 110, minRatio: 0.1 };
  it('warms up linearly and peaks at the end of warm-up', () => {
    for (let k = 0; k < s.warmup; k++) expect(learningRate(s, k)).toBeCloseTo((s.peak * (k + 1)) / s.warmup, 12);
    const diffs = [1, 2, 3, 4].map((k) => learningRate(s, k) - learningRate(s, k - 1));
    diffs.forEach((d) => expect(d).toBeCloseTo(diffs[0], 12));
    expect(learningRate(s, s.warmup - 1)).toBeCloseTo(s.peak, 12);
    expect(learningRate(s, s.warmup)).toBeCloseTo(s.peak, 12);
  });
  it('decays by a cosine to minRatio·peak at total (and stays there)', () => {
    const mid = s.warmup + (s.total - s.warmup) / 2;
    expect(learningRate(s, mid)).toBeCloseTo(s.peak * (s.minRatio + (1 - s.minRatio) * 0.5), 12);
    expect(learningRate(s, s.total)).toBeCloseTo(s.minRatio * s.peak, 12);
    expect(learningRate(s, s.total + 50)).toBeCloseTo(s.minRatio * s.peak, 12);
    for (let k = s.warmup + 1; k <= s.total; k++) expect(learningRate(s, k)).toBeLessThanOrEqual(learningRate(s, k - 1));
    const q = s.warmup + (s.total - s.warmup) / 4;
    expect(learningRate(s, q)).toBeCloseTo(s.peak * (s.minRatio + (1 - s.minRatio) * 0.5 * (1 + Math.cos(Math.PI / 4))), 12);
  });
});
