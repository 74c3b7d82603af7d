import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useCpu, tiny, maxAbsDiff } from '../helpers/tf';
import { disposeModel, initModel, type A3Model } from '@/lib/a3/model';
import { MASK_TOKEN, bidirectionalLogits, corrupt, mdlmLoss } from '@/lib/a3/mdlm';

let model: A3Model;
beforeAll(async () => {
  await useCpu();
  model = initModel(tiny, 11);
});
afterAll(() => disposeModel(model));

/** Tokens 4..15 (never the mask id 3). */
const tokensOf = (n: number, mul = 7) => Int32Array.from({ length: n }, (_, i) => 4 + ((i * mul + (i >> 3)) % 12));

describe('corrupt', () => {
  it('masks with the given ratio over a long sequence, with input = MASK and weight = 1/t exactly there', () => {
    expect(MASK_TOKEN).toBe(3);
    const clean = tokensOf(20000);
    for (const t of [0.1, 0.5, 0.9]) {
      const c = corrupt(clean, 1, 123, [t]);
      let masked = 0;
      let bad = 0;
      for (let i = 0; i < clean.length; i++) {
        if (c.input[i] === MASK_TOKEN) {
          masked++;
          if (c.weights[i] !== Math.fround(1 / t)) bad++;
        } else if (c.weights[i] !== 0 || c.input[i] !== clean[i]) bad++;
      }
      expect(bad).toBe(0);
      const frac = masked / clean.length;
      expect(Math.abs(frac - t)).toBeLessThan(4 * Math.sqrt((t * (1 - t)) / clean.length));
      expect(c.ratios[0]).toBeCloseTo(t, 6);
    }
  });

  it('draws t ~ U(0,1) per sequence when no ratio is given; weights match the drawn t', () => {
    const batch = 200;
    const clean = tokensOf(batch * 64);
    const c = corrupt(clean, batch, 9);
    const rs = Array.from(c.ratios);
    rs.forEach((t) => expect(t > 0 && t < 1).toBe(true));
    const mean = rs.reduce((a, b) => a + b, 0) / batch;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.08);
    for (let b = 0; b < batch; b++) {
      for (let i = b * 64; i < (b + 1) * 64; i++) {
        if (c.input[i] === MASK_TOKEN) expect(c.weights[i]).toBeCloseTo(1 / c.ratios[b], 3);
        else expect(c.weights[i]).toBe(0);
      }
    }
  });

  it('always masks at least one position per sequence', () => {
    const clean = tokensOf(4 * 8);
    for (let seed = 0; seed < 20; seed++) {
      const c = corrupt(clean, 4, seed, [1e-6, 1e-6, 1e-6, 1e-6]);
      for (let b = 0; b < 4; b++) {
        const n = Array.from(c.input.subarray(b * 8, (b + 1) * 8)).filter((x) => x === MASK_TOKEN).length;
        expect(n).toBe(1);
        const w = Array.from(c.weights.subarray(b * 8, (b + 1) * 8)).filter((x) => x !== 0);
        expect(w).toEqual([Math.fround(1e6)]);
      }
    }
  });

  it('is deterministic per seed and leaves the clean tokens alone', () => {
    const clean = tokensOf(256);
    const copy = Int32Array.from(clean);
    const a = corrupt(clean, 4, 5);
    const b = corrupt(clean, 4, 5);
    const c = corrupt(clean, 4, 6);
    expect(Array.from(a.input)).toEqual(Array.from(b.input));
    expect(Array.from(a.weights)).toEqual(Array.from(b.weights));
    expect(Array.from(a.ratios)).toEqual(Array.from(b.ratios));
    expect(Array.from(a.input)).not.toEqual(Array.from(c.input));
    expect(Array.from(clean)).toEqual(Array.from(copy));
  });
});

describe('mdlmLoss and bidirectional logits', () => {
  it('equals Σ masked CE / t / numTokens computed from bidirectionalLogits', () => {
    const batch = 3;
    const T = 10;
    const clean = tokensOf(batch * T, 5);
    const c = corrupt(clean, batch, 17, [0.3, 0.6, 0.9]);
    const loss = mdlmLoss(model, batch, clean, c);
    const got = loss.dataSync()[0];
    loss.dispose();
    const logits = bidirectionalLogits(model, batch, c.input);
    const lp = tf.logSoftmax(logits);
    const values = lp.arraySync() as number[][];
    tf.dispose([logits, lp]);
    let sum = 0;
    for (let i = 0; i < clean.length; i++) {
      if (c.input[i] === MASK_TOKEN) sum += -values[i][clean[i]] / c.ratios[Math.floor(i / T)];
    }
    const expected = sum / clean.length;
    expect(got).toBeGreaterThan(0);
    expect(Math.abs(got - expected)).toBeLessThan(1e-4 * Math.max(1, expected));
  });

  it('bidirectional logits at i depend on tokens after i (AR logits would not)', () => {
    const T = 8;
    const a = tokensOf(T);
    const b = Int32Array.from(a);
    b[T - 1] = a[T - 1] === 5 ? 6 : 5; // change only the last token
    const la = bidirectionalLogits(model, 1, a);
    const lb = bidirectionalLogits(model, 1, b);
    const da = la.arraySync() as number[][];
    const db = lb.arraySync() as number[][];
    tf.dispose([la, lb]);
    for (let i = 0; i < T - 1; i++) expect(maxAbsDiff(da[i], db[i]), `position ${i}`).toBeGreaterThan(1e-6);
  });

  it('does not leak tensors', () => {
    const clean = tokensOf(16);
    const c = corrupt(clean, 2, 1);
    tf.dispose(mdlmLoss(model, 2, clean, c));
    const before = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) tf.dispose(mdlmLoss(model, 2, clean, c));
    expect(tf.memory().numTensors).toBe(before);
  });
});
