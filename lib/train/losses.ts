/**
 * Training batches as plain data, tagged with their objective, so that a
 * batch can be split by rows and sent to data-parallel workers (structured
 * clone / transferable arrays) and every worker computes the same loss.
 *
 * Each loss is a mean over its targets; `lossWeight` is that mean's
 * denominator, so the mean over a whole batch is the weighted mean of the
 * means over its row shares: Σ_i (n_i / n) · loss_i with n = Σ_i n_i.
 */
import type * as tf from '@tensorflow/tfjs';
import { a3Loss, arLoss, scoredPositions, shiftedTargets } from '../a3/likelihood';
import { mdlmLoss, type Corruption } from '../a3/mdlm';
import type { A3Model } from '../a3/model';

interface Rows {
  batch: number;
  /** [B, T] row-major. */
  tokens: Int32Array;
  /** [B, T] 1 at padding positions. */
  pad?: Uint8Array;
}

/** Left-to-right next-token loss of the content stream (pretraining). */
export interface ArBatch extends Rows {
  kind: 'ar';
}

/** The A3 loss under the given group ids (adaptation, fine-tuning). */
export interface A3Batch extends Rows {
  kind: 'a3';
  groupIds: Int32Array;
}

/**
 * The masked-diffusion baseline. The corruption is drawn for the whole batch
 * before any split (its random stream runs across rows), then split with it.
 */
export interface MdlmBatch extends Rows {
  kind: 'mdlm';
  corruption: Corruption;
}

export type TrainBatch = ArBatch | A3Batch | MdlmBatch;

/** The mean loss of a batch (what one thread minimises). */
export function trainLoss(model: A3Model, b: TrainBatch): tf.Scalar {
  switch (b.kind) {
    case 'ar':
      return arLoss(model, b);
    case 'a3':
      return a3Loss(model, b);
    case 'mdlm':
      return mdlmLoss(model, b.batch, b.tokens, b.corruption);
  }
}

function sum(weights: Float32Array): number {
  let n = 0;
  for (const w of weights) n += w;
  return n;
}

/** The denominator of `trainLoss`'s mean: scored targets (AR, A3) or tokens (MDLM). 0 = nothing to score. */
export function lossWeight(b: TrainBatch): number {
  switch (b.kind) {
    case 'ar':
      return sum(shiftedTargets(b).weights);
    case 'a3':
      return sum(scoredPositions(b));
    case 'mdlm':
      return b.tokens.length;
  }
}

/** Rows [from, to) of a [B, T] array. */
function rows<A extends Int32Array | Uint8Array | Float32Array>(a: A, length: number, from: number, to: number): A {
  return a.slice(from * length, to * length) as A;
}

/** Rows [from, to) of a batch, same kind. */
export function sliceBatch(b: TrainBatch, from: number, to: number): TrainBatch {
  const length = b.tokens.length / b.batch;
  const base = { batch: to - from, tokens: rows(b.tokens, length, from, to), ...(b.pad ? { pad: rows(b.pad, length, from, to) } : {}) };
  switch (b.kind) {
    case 'ar':
      return { kind: 'ar', ...base };
    case 'a3':
      return { kind: 'a3', ...base, groupIds: rows(b.groupIds, length, from, to) };
    case 'mdlm':
      return {
        kind: 'mdlm',
        ...base,
        corruption: { input: rows(b.corruption.input, length, from, to), weights: rows(b.corruption.weights, length, from, to), ratios: b.corruption.ratios.slice(from, to) },
      };
  }
}

/**
 * Contiguous row shares for `parts` workers: share i is rows
 * [floor(i·B/parts), floor((i+1)·B/parts)); a share may be empty when B < parts.
 */
export function shareBounds(batch: number, parts: number): [number, number][] {
  return Array.from({ length: parts }, (_, i): [number, number] => [Math.floor((i * batch) / parts), Math.floor(((i + 1) * batch) / parts)]);
}

/** The typed arrays of a batch, for a transfer list. */
export function batchBuffers(b: TrainBatch): ArrayBuffer[] {
  const arrays: ArrayBufferView[] = [b.tokens, ...(b.pad ? [b.pad] : [])];
  if (b.kind === 'a3') arrays.push(b.groupIds);
  if (b.kind === 'mdlm') arrays.push(b.corruption.input, b.corruption.weights, b.corruption.ratios);
  return arrays.map((a) => a.buffer as ArrayBuffer);
}
