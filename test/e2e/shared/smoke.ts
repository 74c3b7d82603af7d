/**
 * A tiny deterministic computation run both in Node (cpu) and in Chromium (webgpu) by
 * webgpu-smoke.test.ts: a matmul, then one SGD step of a softmax regression. Inputs come from a
 * formula, not a RNG, so both sides see identical numbers without sharing a seed implementation.
 * Everything returned is plain arrays so it crosses page.evaluate unchanged.
 */
import * as tf from '@tensorflow/tfjs';

export interface SmokeResult {
  backend: string;
  matmul: number[];
  lossBefore: number;
  lossAfter: number;
  gradW: number[];
  gradB: number[];
  wAfter: number[];
  /** tf.memory().numTensors after minus before: anything but 0 is a leak. */
  leakedTensors: number;
}

/** Deterministic values in [-1, 1). */
function fill(n: number, salt: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + salt * 78.233) * 0.999);
}

export async function smoke(): Promise<SmokeResult> {
  const before = tf.memory().numTensors;
  const [M, K, N] = [8, 16, 4];

  const mm = tf.tidy(() => tf.matMul(tf.tensor2d(fill(M * K, 1), [M, K]), tf.tensor2d(fill(K * N, 2), [K, N])));
  const matmul = Array.from(await mm.data());
  mm.dispose();

  // Softmax regression: x [M,K] -> logits [M,N]; targets i % N. One SGD step, lr 0.5.
  const x = tf.tensor2d(fill(M * K, 3), [M, K]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: M }, (_, i) => i % N), 'int32'), N));
  // tf.variable keeps its own copy, so the initial values are built (and freed) inside tidy.
  const w = tf.tidy(() => tf.variable(tf.tensor2d(fill(K * N, 4), [K, N]).mul(0.5)));
  const b = tf.tidy(() => tf.variable(tf.zeros([N])));
  const lossFn = () => tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(x, w), b)) as tf.Scalar;
  const { value, grads } = tf.variableGrads(lossFn, [w, b]);
  const lossBefore = (await value.data())[0];
  const gradW = Array.from(await grads[w.name].data());
  const gradB = Array.from(await grads[b.name].data());
  tf.tidy(() => {
    w.assign(w.sub(grads[w.name].mul(0.5)));
    b.assign(b.sub(grads[b.name].mul(0.5)));
  });
  const after = tf.tidy(lossFn);
  const lossAfter = (await after.data())[0];
  const wAfter = Array.from(await w.data());

  for (const t of [x, y, w, b, value, after, ...Object.values(grads)]) t.dispose();
  return { backend: tf.getBackend(), matmul, lossBefore, lossAfter, gradW, gradB, wAfter, leakedTensors: tf.memory().numTensors - before };
}
