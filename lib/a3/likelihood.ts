/**
 * Exact likelihoods and the training losses built on the same forward.
 *
 * For a fixed partition, log P(x) = Σ_i log p(x_i | x_{G<gid[i]}) is exact
 * (A3.md §1), and the A3 training loss is its per-token mean. Both go through
 * `scoredPositions` + `weightedCrossEntropySum`, so they cannot disagree.
 */
import * as tf from '@tensorflow/tfjs';
import { arForward, forward, forwardRows, logitsFromStates, twoStreamRows, type A3Model, type SequenceBatch } from './model';
import { flatTargetIndex, weightedCrossEntropySum } from './ops';

/**
 * 1 where a position is scored: not padding and not given. `given` marks
 * conditioning positions (e.g. group 0 of an infilling problem).
 */
export function scoredPositions(seq: { tokens: Int32Array; pad?: Uint8Array }, given?: ArrayLike<boolean | number>): Float32Array {
  const w = new Float32Array(seq.tokens.length);
  for (let i = 0; i < w.length; i++) w[i] = seq.pad?.[i] || given?.[i] ? 0 : 1;
  return w;
}

/** Number of scored positions; a loss over none is an error, not NaN. */
function scoredCount(weights: Float32Array): number {
  let n = 0;
  for (const w of weights) n += w;
  if (n === 0) throw new Error('nothing to score: every position is padding or given');
  return n;
}

/** Σ weight_i · (−log p(target_i)) from logits [N, V]. */
function crossEntropySum(logits: tf.Tensor2D, targets: ArrayLike<number>, weights: Float32Array): tf.Scalar {
  const vocab = logits.shape[1];
  return weightedCrossEntropySum(logits, tf.tensor1d(flatTargetIndex(targets, vocab), 'int32'), tf.tensor1d(weights));
}

/** A3 training loss: mean CE over scored positions of the query-stream logits (no shift). */
export function a3Loss(model: A3Model, seq: SequenceBatch, given?: ArrayLike<boolean | number>): tf.Scalar {
  const weights = scoredPositions(seq, given);
  const n = scoredCount(weights);
  return tf.tidy(() => tf.div(crossEntropySum(forward(model, seq).logits, seq.tokens, weights), n) as tf.Scalar);
}

/** Next-token targets and weights for the AR loss: position i predicts token i+1 of the same row. */
export function shiftedTargets(seq: { batch: number; tokens: Int32Array; pad?: Uint8Array }): { targets: Int32Array; weights: Float32Array } {
  const length = seq.tokens.length / seq.batch;
  const targets = new Int32Array(seq.tokens.length);
  const weights = new Float32Array(seq.tokens.length);
  for (let b = 0; b < seq.batch; b++) {
    for (let t = 0; t + 1 < length; t++) {
      const i = b * length + t;
      targets[i] = seq.tokens[i + 1];
      weights[i] = seq.pad?.[i] || seq.pad?.[i + 1] ? 0 : 1;
    }
  }
  return { targets, weights };
}

/** Base-model loss: mean next-token CE of the causal content stream. */
export function arLoss(model: A3Model, seq: Omit<SequenceBatch, 'groupIds'>): tf.Scalar {
  const { targets, weights } = shiftedTargets(seq);
  const n = scoredCount(weights);
  return tf.tidy(() => tf.div(crossEntropySum(arForward(model, seq).logits, targets, weights), n) as tf.Scalar);
}

/**
 * Exact log P(x; partition) of each sequence (natural log), optionally
 * conditioned on `given` positions (their tokens are context, not scored).
 */
export function sequenceLogProb(model: A3Model, seq: SequenceBatch, given?: ArrayLike<boolean | number>): Float64Array {
  const perToken = tokenLogProbs(model, seq);
  const values = perToken.dataSync();
  perToken.dispose();
  return sumPerSequence(seq, values, scoredPositions(seq, given));
}

/** The same with an asynchronous read: for the page and WebGPU, where synchronous reads break. */
export async function sequenceLogProbAsync(model: A3Model, seq: SequenceBatch, given?: ArrayLike<boolean | number>): Promise<Float64Array> {
  const perToken = tokenLogProbs(model, seq);
  const values = await perToken.data();
  perToken.dispose();
  return sumPerSequence(seq, values, scoredPositions(seq, given));
}

/** log p(x_i | x_{G<gid[i]}) at every position, [B*T]. */
function tokenLogProbs(model: A3Model, seq: SequenceBatch): tf.Tensor1D {
  return tf.tidy(() => {
    const logits = forward(model, seq).logits;
    const logProbs = tf.logSoftmax(logits);
    const idx = tf.tensor1d(flatTargetIndex(seq.tokens, logits.shape[1]), 'int32');
    return tf.gather(logProbs.reshape([-1]), idx) as tf.Tensor1D;
  });
}

function sumPerSequence(seq: SequenceBatch, values: ArrayLike<number>, weights: Float32Array): Float64Array {
  const length = seq.tokens.length / seq.batch;
  const out = new Float64Array(seq.batch);
  for (let i = 0; i < values.length; i++) out[Math.floor(i / length)] += weights[i] * values[i];
  return out;
}

// ---------------------------------------------------------------------------
// Joint training: the content stream's next-token loss and the query stream's
// A3 loss from one batch (issue 13: one set of weights serving both roles).

/** Weights of the two terms of jointLoss (default 1 and 1). */
export interface JointWeights {
  ar?: number;
  a3?: number;
}

/**
 * True when every row's group ids rise strictly along positions: a monotone
 * relabelling of arange, so the content mask is exactly causal (A3.md §6.1).
 */
export function isLeftToRightGrouping(seq: { batch: number; groupIds: Int32Array }): boolean {
  const length = seq.groupIds.length / seq.batch;
  for (let b = 0; b < seq.batch; b++) {
    for (let t = b * length + 1; t < (b + 1) * length; t++) if (seq.groupIds[t] <= seq.groupIds[t - 1]) return false;
  }
  return true;
}

/**
 * ar · arLoss(seq) + a3 · a3Loss(seq, given), each a mean over its own scored
 * positions (the AR term scores every next token: `given` only marks A3 context).
 *
 * How many forwards: the content stream with gid = arange is the AR model
 * (A3.md §6.2), so for a left-to-right grouping ONE two-stream forward gives
 * both terms: its content rows' logits are the AR next-token logits and its
 * query rows' are the A3 ones. Under any other grouping the content rows see
 * their own group both ways (gid[j] <= gid[i]) — not causal, so not the AR
 * model — and a second, content-only causal forward (arForward) supplies the
 * AR term. Stacking both into one batched call would cost more rows (the AR
 * half's query rows are wasted), so two calls it is.
 */
export function jointLoss(model: A3Model, seq: SequenceBatch, given?: ArrayLike<boolean | number>, weights: JointWeights = {}): tf.Scalar {
  const arWeight = weights.ar ?? 1;
  const a3Weight = weights.a3 ?? 1;
  const { targets, weights: arScored } = shiftedTargets(seq);
  const arCount = scoredCount(arScored);
  const a3Scored = scoredPositions(seq, given);
  const a3Count = scoredCount(a3Scored);
  return tf.tidy(() => {
    let arLogits: tf.Tensor2D;
    let a3Logits: tf.Tensor2D;
    if (isLeftToRightGrouping(seq)) {
      const out = forwardRows(model, twoStreamRows(seq), { contentOutput: true });
      // Non-null: contentOutput asks forwardRows to run the last layer's content rows.
      arLogits = logitsFromStates(model, out.content!);
      a3Logits = logitsFromStates(model, out.query);
    } else {
      arLogits = arForward(model, seq).logits;
      a3Logits = forward(model, seq).logits;
    }
    const ar = tf.div(crossEntropySum(arLogits, targets, arScored), arCount);
    const a3 = tf.div(crossEntropySum(a3Logits, seq.tokens, a3Scored), a3Count);
    return tf.add(tf.mul(ar, arWeight), tf.mul(a3, a3Weight)) as tf.Scalar;
  });
}
