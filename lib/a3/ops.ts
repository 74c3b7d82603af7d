/**
 * The few differentiable building blocks of the model, written so that their
 * gradients stay on fast paths of every backend.
 *
 * Why custom gradients: tfjs's own matMul gradient uses the transposeA /
 * transposeB forms, which run 5-30x slower than an explicit transpose plus a
 * plain matMul on the wasm backend (measured, `../shared/ENVIRONMENT.md`).
 * Why a segment-sum kernel: tf.gather's gradient needs UnsortedSegmentSum,
 * which the wasm backend lacks; we register a small one (see below).
 */
import * as tf from '@tensorflow/tfjs';

/** x [N, k] · w [k, n] -> [N, n], gradients via explicit transposes. */
type GradArgs = Array<tf.Tensor | tf.GradSaveFunc>;

/** customGrad passes tensors then the save function; name them. */
function unpack(args: GradArgs): { tensors: tf.Tensor[]; save: tf.GradSaveFunc } {
  return { tensors: args.slice(0, -1) as tf.Tensor[], save: args[args.length - 1] as tf.GradSaveFunc };
}

export const linear2d = tf.customGrad((...args: GradArgs) => {
  const { tensors: [x, w], save } = unpack(args);
  save([x, w]);
  return {
    value: tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as tf.Tensor2D[];
      const dy2 = dy as tf.Tensor2D;
      return [tf.matMul(dy2, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy2)];
    },
  };
}) as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/** x [..., k] · w [k, n] -> [..., n]. */
export function linear(x: tf.Tensor, w: tf.Tensor2D): tf.Tensor {
  const k = x.shape[x.shape.length - 1];
  const lead = x.shape.slice(0, -1);
  return tf.tidy(() => linear2d(x.reshape([-1, k]) as tf.Tensor2D, w).reshape([...lead, w.shape[1]])); // via [prod(lead), n]
}

/**
 * a[g] · c[g] for every g, either operand optionally transposed, as ONE
 * depthwise convolution: wasm's BatchMatMul runs a naive loop for batch > 1
 * (~2 GFLOP/s, XNNPACK only serves the 2-D case), its DepthwiseConv2dNative
 * runs XNNPACK. With the batch g as the channel, x[0, m, k, g] = A[g][m, k]
 * and a 1 x K filter f[0, k, g, n] = C[g][k, n], the valid convolution is
 * out[0, m, 0, g·N + n] = Σ_k A[g][m, k] · C[g][k, n]. Measured here on the
 * attention shapes ([64, 256, 32]·[64, 32, 128] and its gradients), layout
 * transposes included: 3-4x faster than tf.matMul, equal up to float rounding (~1e-5).
 */
function convBatchMatMul(a: tf.Tensor3D, c: tf.Tensor3D, transposeA: boolean, transposeB: boolean): tf.Tensor3D {
  const [g, m, k] = transposeA ? [a.shape[0], a.shape[2], a.shape[1]] : a.shape;
  const n = transposeB ? c.shape[1] : c.shape[2];
  // Moving g to the last axis is the slow transpose; for Aᵀ·C with the wider side on the left (the
  // attention's dV = Pᵀ·dO) computing the transposed product outᵀ = Cᵀ·A moves less (measured 1.4-1.9x).
  if (transposeA && !transposeB && m > n) {
    const x = tf.transpose(c, [2, 1, 0]).reshape([1, n, k, g]) as tf.Tensor4D; // x[0, n, k, g] = C[g][k, n]
    const filter = tf.transpose(a, [1, 0, 2]).reshape([1, k, g, m]) as tf.Tensor4D; // f[0, k, g, m] = A[g][m, k]
    const outT = tf.depthwiseConv2d(x, filter, 1, 'valid'); // [1, n, 1, g·m]
    return tf.transpose(outT.reshape([n, g, m]), [1, 2, 0]) as tf.Tensor3D;
  }
  // One transpose per operand puts g last (x) and k first (filter), whichever way the operand came.
  const x = tf.transpose(a, transposeA ? [2, 1, 0] : [1, 2, 0]).reshape([1, m, k, g]) as tf.Tensor4D;
  const filter = tf.transpose(c, transposeB ? [2, 0, 1] : [1, 0, 2]).reshape([1, k, g, n]) as tf.Tensor4D;
  const out = tf.depthwiseConv2d(x, filter, 1, 'valid'); // [1, m, 1, g·n]
  return tf.transpose(out.reshape([m, g, n]), [1, 0, 2]) as tf.Tensor3D;
}

/** a[g]ᵀ? · c[g]ᵀ? on the fastest path the backend has; never the transposeA/B forms on wasm. */
function batchedProduct(a: tf.Tensor3D, c: tf.Tensor3D, transposeA: boolean, transposeB: boolean): tf.Tensor3D {
  if (a.shape[0] > 1 && tf.getBackend() === 'wasm') return convBatchMatMul(a, c, transposeA, transposeB);
  return tf.matMul(transposeA ? tf.transpose(a, [0, 2, 1]) : a, transposeB ? tf.transpose(c, [0, 2, 1]) : c);
}

/** a [b, m, k] · c [b, k, n] -> [b, m, n]; gradients are the same product with transposed operands. */
export const batchMatMul = tf.customGrad((...args: GradArgs) => {
  const { tensors: [a, c], save } = unpack(args);
  save([a, c]);
  return {
    value: batchedProduct(a as tf.Tensor3D, c as tf.Tensor3D, false, false),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [as, cs] = saved as tf.Tensor3D[];
      const dy3 = dy as tf.Tensor3D;
      return [batchedProduct(dy3, cs, false, true), batchedProduct(as, dy3, true, false)];
    },
  };
}) as (a: tf.Tensor3D, c: tf.Tensor3D) => tf.Tensor3D;

/** RMSNorm over the last axis: x / rms(x) * weight. */
export function rmsNorm(x: tf.Tensor, weight: tf.Tensor1D, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const meanSquare = tf.mean(tf.square(x), -1, true);
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(meanSquare, eps))), weight);
  });
}

/** SwiGLU activation: silu(gate) * up. */
export function swiglu(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(gate, tf.sigmoid(gate)), up));
}

/** RoPE tables [maxLen, headDim], halves duplicated as in the LLaMA rotate-half form. */
export function ropeTables(maxLen: number, headDim: number, base: number): { cos: Float32Array; sin: Float32Array } {
  const half = headDim / 2;
  const cos = new Float32Array(maxLen * headDim);
  const sin = new Float32Array(maxLen * headDim);
  for (let p = 0; p < maxLen; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p / Math.pow(base, (2 * i) / headDim);
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      cos[p * headDim + i] = c;
      cos[p * headDim + i + half] = c;
      sin[p * headDim + i] = s;
      sin[p * headDim + i + half] = s;
    }
  }
  return { cos, sin };
}

/**
 * Rotate x [B, R, H, hd] by the angles of each row's absolute position;
 * cos/sin are [B, R, 1, hd] (already gathered per row).
 * rotate_half(x) = concat(-x2, x1), x1/x2 the two halves of the head dim.
 */
export function applyRope(x: tf.Tensor4D, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor4D {
  return tf.tidy(() => {
    const [x1, x2] = tf.split(x, 2, 3);
    const rotated = tf.concat([tf.neg(x2), x1], 3);
    return tf.add(tf.mul(x, cos), tf.mul(rotated, sin)) as tf.Tensor4D;
  });
}

/**
 * Sum over rows of -log softmax(logits)[target] * weight, for logits [N, V].
 * Fused so the gradient (softmax - onehot) * weight needs no [N, V] one-hot:
 * the target entries are picked and scattered by flat index.
 */
export const weightedCrossEntropySum = tf.customGrad(
  (...args: GradArgs) => {
    const { tensors: [logits, flatTargetIndex, weights], save } = unpack(args);
    const logProbs = tf.logSoftmax(logits as tf.Tensor2D); // [N, V]
    const picked = tf.gather(logProbs.reshape([-1]), flatTargetIndex); // [N]
    const value = tf.neg(tf.sum(tf.mul(picked, weights))) as tf.Scalar;
    save([logProbs, flatTargetIndex, weights]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [lp, idx, w] = saved;
        const [n, v] = lp.shape;
        const scale = tf.mul(w, dy); // [N]
        const softmaxPart = tf.mul(tf.exp(lp), scale.reshape([n, 1]));
        const targetPart = tf.scatterND(idx.reshape([n, 1]), tf.neg(scale), [n * v]).reshape([n, v]);
        // Targets and weights are constants here (masks, 1/t): they get zero gradients by design.
        return [tf.add(softmaxPart, targetPart), tf.zerosLike(idx), tf.zerosLike(w)];
      },
    };
  },
) as (logits: tf.Tensor2D, flatTargetIndex: tf.Tensor1D, weights: tf.Tensor1D) => tf.Scalar;

/** Flat indices row * V + target, for weightedCrossEntropySum. */
export function flatTargetIndex(targets: ArrayLike<number>, vocabSize: number): Int32Array {
  return Int32Array.from({ length: targets.length }, (_, i) => i * vocabSize + targets[i]);
}

// ---------------------------------------------------------------------------
// UnsortedSegmentSum for the wasm backend (the embedding gradient).

interface WasmLikeBackend {
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: Float32Array): tf.TensorInfo;
}

function unsortedSegmentSumWasm(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const backend = args.backend as WasmLikeBackend;
  const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (args.attrs as { numSegments: number }).numSegments;
  const rows = segmentIds.shape.reduce((a, b) => a * b, 1);
  const width = x.shape.slice(segmentIds.shape.length).reduce((a, b) => a * b, 1);
  const data = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  const out = new Float32Array(numSegments * width);
  for (let r = 0; r < rows; r++) {
    const seg = ids[r];
    if (seg < 0 || seg >= numSegments) continue; // TF semantics: out-of-range ids are dropped
    const src = r * width;
    const dst = seg * width;
    for (let c = 0; c < width; c++) out[dst + c] += data[src + c];
  }
  return backend.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], x.dtype, undefined, out);
}

let segmentSumRegistered = false;
/** Idempotent; harmless where no wasm backend is ever used. */
export function registerWasmKernels(): void {
  if (segmentSumRegistered || tf.getKernel('UnsortedSegmentSum', 'wasm')) return;
  tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSumWasm as tf.KernelFunc });
  segmentSumRegistered = true;
}
