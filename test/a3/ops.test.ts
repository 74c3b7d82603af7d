import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { useCpu, maxAbsDiff } from '../helpers/tf';
import { applyRope, batchMatMul, flatTargetIndex, linear, linear2d, ropeTables, weightedCrossEntropySum } from '@/lib/a3/ops';

beforeAll(async () => {
  await useCpu();
});

const TOL = 1e-5;

function close(a: tf.Tensor, b: tf.Tensor, tol = TOL) {
  expect(a.shape).toEqual(b.shape);
  expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBeLessThan(tol);
}

describe('custom-gradient ops match plain tfjs autodiff', () => {
  it('linear2d: value and both gradients', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([5, 7], 0, 1, 'float32', 1) as tf.Tensor2D;
      const w = tf.randomNormal([7, 3], 0, 1, 'float32', 2) as tf.Tensor2D;
      const dy = tf.randomNormal([5, 3], 0, 1, 'float32', 3);
      // A non-trivial upstream gradient: loss = sum(f(x, w) * dy).
      const ours = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(linear2d(a as tf.Tensor2D, b as tf.Tensor2D), dy)));
      const ref = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), dy)));
      close(linear2d(x, w), tf.matMul(x, w));
      const [gx, gw] = ours([x, w]);
      const [rx, rw] = ref([x, w]);
      close(gx, rx);
      close(gw, rw);
    });
  });

  it('linear over leading axes equals a reshape + matMul', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 3, 4, 5], 0, 1, 'float32', 4);
      const w = tf.randomNormal([5, 6], 0, 1, 'float32', 5) as tf.Tensor2D;
      const y = linear(x, w);
      expect(y.shape).toEqual([2, 3, 4, 6]);
      close(y, tf.matMul(x.reshape([-1, 5]), w).reshape([2, 3, 4, 6]));
    });
  });

  it('batchMatMul: value and both gradients', () => {
    tf.tidy(() => {
      const a = tf.randomNormal([3, 4, 5], 0, 1, 'float32', 6) as tf.Tensor3D;
      const c = tf.randomNormal([3, 5, 2], 0, 1, 'float32', 7) as tf.Tensor3D;
      const dy = tf.randomNormal([3, 4, 2], 0, 1, 'float32', 8);
      const ours = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(batchMatMul(p as tf.Tensor3D, q as tf.Tensor3D), dy)));
      const ref = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.matMul(p as tf.Tensor3D, q as tf.Tensor3D), dy)));
      close(batchMatMul(a, c), tf.matMul(a, c));
      const [ga, gc] = ours([a, c]);
      const [ra, rc] = ref([a, c]);
      close(ga, ra);
      close(gc, rc);
    });
  });

  it('batchMatMul on wasm (one depthwise convolution) equals the cpu result, value and both gradients', async () => {
    const shapes: [number, number, number, number][] = [
      [3, 4, 5, 2],
      [8, 16, 4, 12], // attention-like: many small products
    ];
    const run = () =>
      shapes.map(([g, m, k, n], i) =>
        tf.tidy(() => {
          const a = tf.tensor3d(Float32Array.from({ length: g * m * k }, (_, j) => Math.sin(j + i)), [g, m, k]);
          const c = tf.tensor3d(Float32Array.from({ length: g * k * n }, (_, j) => Math.cos(3 * j + i)), [g, k, n]);
          const dy = tf.tensor3d(Float32Array.from({ length: g * m * n }, (_, j) => Math.sin(7 * j)), [g, m, n]);
          const grads = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(batchMatMul(p as tf.Tensor3D, q as tf.Tensor3D), dy)))([a, c]);
          return [batchMatMul(a, c), ...grads].map((t) => Array.from(t.dataSync()));
        }),
      );
    const onCpu = run();
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    await tf.setBackend('wasm');
    try {
      const onWasm = run();
      onWasm.forEach((outputs, i) => outputs.forEach((values, j) => expect(maxAbsDiff(values, onCpu[i][j]), `shape ${i} output ${j}`).toBeLessThan(TOL)));
    } finally {
      await tf.setBackend('cpu');
    }
  });

  it('weightedCrossEntropySum: value and logits gradient equal -sum(oneHot * logSoftmax * w)', () => {
    tf.tidy(() => {
      const n = 6;
      const v = 5;
      const logits = tf.mul(tf.randomNormal([n, v], 0, 1, 'float32', 9), 3) as tf.Tensor2D;
      const targets = [0, 4, 2, 2, 1, 3];
      const weights = tf.tensor1d([1, 0, 1, 0.5, 2, 1]);
      const idx = tf.tensor1d(flatTargetIndex(targets, v), 'int32');
      const oneHot = tf.oneHot(tf.tensor1d(targets, 'int32'), v);
      const refFn = (l: tf.Tensor) => tf.neg(tf.sum(tf.mul(tf.mul(oneHot, tf.logSoftmax(l)), weights.reshape([n, 1]))));
      const oursFn = (l: tf.Tensor) => weightedCrossEntropySum(l as tf.Tensor2D, idx, weights);
      close(oursFn(logits), refFn(logits));
      // Upstream gradient != 1 exercises the dy scaling.
      const g = tf.grad((l: tf.Tensor) => tf.mul(oursFn(l), 2.5))(logits);
      const r = tf.grad((l: tf.Tensor) => tf.mul(refFn(l), 2.5))(logits);
      close(g, r);
    });
  });

  it('flatTargetIndex is row * V + target', () => {
    expect(Array.from(flatTargetIndex([2, 0, 3], 4))).toEqual([2, 4, 11]);
  });
});

describe('RoPE', () => {
  const hd = 8;
  const maxLen = 40;
  const tables = ropeTables(maxLen, hd, 10000);

  /** Rotate one head vector (given as [hd]) to absolute position p. */
  function rotate(vec: tf.Tensor1D, p: number): tf.Tensor1D {
    return tf.tidy(() => {
      const cos = tf.tensor(tables.cos.slice(p * hd, (p + 1) * hd), [1, 1, 1, hd]);
      const sin = tf.tensor(tables.sin.slice(p * hd, (p + 1) * hd), [1, 1, 1, hd]);
      return applyRope(vec.reshape([1, 1, 1, hd]) as tf.Tensor4D, cos, sin).reshape([hd]) as tf.Tensor1D;
    });
  }

  it('position 0 is the identity', () => {
    tf.tidy(() => {
      const q = tf.randomNormal([hd], 0, 1, 'float32', 10) as tf.Tensor1D;
      close(rotate(q, 0), q, 1e-6);
    });
  });

  it('preserves vector norms (batched layout [B, R, H, hd])', () => {
    tf.tidy(() => {
      const B = 2;
      const R = 5;
      const H = 3;
      const x = tf.randomNormal([B, R, H, hd], 0, 1, 'float32', 11) as tf.Tensor4D;
      const positions = tf.tensor1d([0, 3, 7, 20, 39, 1, 2, 15, 30, 38], 'int32');
      const cos = tf.gather(tf.tensor2d(tables.cos, [maxLen, hd]), positions).reshape([B, R, 1, hd]);
      const sin = tf.gather(tf.tensor2d(tables.sin, [maxLen, hd]), positions).reshape([B, R, 1, hd]);
      const y = applyRope(x, cos, sin);
      close(tf.norm(y, 'euclidean', -1), tf.norm(x, 'euclidean', -1), 1e-5);
      // And it is not the identity away from position 0.
      expect(maxAbsDiff(y.dataSync(), x.dataSync())).toBeGreaterThan(1e-2);
    });
  });

  it('dot products depend only on relative position', () => {
    tf.tidy(() => {
      const q = tf.randomNormal([hd], 0, 1, 'float32', 12) as tf.Tensor1D;
      const k = tf.randomNormal([hd], 0, 1, 'float32', 13) as tf.Tensor1D;
      const dot = (p: number, pk: number) => tf.dot(rotate(q, p), rotate(k, pk)).dataSync()[0];
      const values = new Set<number>();
      for (const [p, pk] of [
        [5, 2],
        [2, 5],
        [0, 0],
        [9, 1],
      ]) {
        const base = dot(p, pk);
        values.add(Math.round(base * 1e3));
        for (const c of [1, 4, 17, 30]) expect(Math.abs(dot(p + c, pk + c) - base)).toBeLessThan(1e-4);
      }
      // The dot product does change with the relative offset.
      expect(values.size).toBeGreaterThan(1);
    });
  });
});
