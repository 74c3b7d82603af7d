/**
 * Training batches as plain data, tagged with their objective, so that a
 * batch can be split by rows and sent to data-parallel workers (structured
 * clone / transferable arrays) and every worker computes the same loss. The
 * one place where a curriculum stage's objective (curriculum.ts
 * `StageObjective`: a3, ar, joint) becomes a loss: the scripts, the page's
 * fine-tune and the parallel replicas all call `trainLoss`.
 *
 * Each loss is a mean over its targets; `lossWeight` is that mean's
 * denominator, so the mean over a whole batch is the weighted mean of the
 * means over its row shares: Σ_i (n_i / n) · loss_i with n = Σ_i n_i.
 * The joint loss is a sum of two means with different denominators, so its
 * shares carry their own term weights instead (`jointShares`).
 */
import type * as tf from '@tensorflow/tfjs';
import { a3Loss, arLoss, jointLoss, scoredPositions, shiftedTargets, type JointWeights } from '../a3/likelihood';
import { mdlmLoss, type Corruption } from '../a3/mdlm';
import type { A3Model } from '../a3/model';
import type { StageObjective } from './curriculum';

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

/** The A3 loss under the given group ids (adaptation, fine-tuning); `given` (span infilling) marks context positions, not scored. */
export interface A3Batch extends Rows {
  kind: 'a3';
  groupIds: Int32Array;
  given?: Uint8Array;
}

/**
 * Both streams at once: the content stream's next-token loss plus the query
 * stream's A3 loss (likelihood.ts `jointLoss`). `termWeights` scale the two
 * means: absent for a whole batch (1 and 1), set on a data-parallel share to
 * its part of each term's targets so that the shares add up to the whole.
 */
export interface JointBatch extends Rows {
  kind: 'joint';
  groupIds: Int32Array;
  given?: Uint8Array;
  termWeights?: JointWeights;
}

/**
 * The masked-diffusion baseline. The corruption is drawn for the whole batch
 * before any split (its random stream runs across rows), then split with it.
 */
export interface MdlmBatch extends Rows {
  kind: 'mdlm';
  corruption: Corruption;
}

export type TrainBatch = ArBatch | A3Batch | JointBatch | MdlmBatch;

/** A stage's batch from its objective, the rows and their grouping (curriculum.ts stageBatchGrouping). */
export function stageBatch(objective: StageObjective | undefined, rows: Rows, grouping: { groupIds: Int32Array; given?: Uint8Array }): TrainBatch {
  switch (objective ?? 'a3') {
    case 'ar':
      return { kind: 'ar', ...rows };
    case 'a3':
      return { kind: 'a3', ...rows, ...grouping };
    case 'joint':
      return { kind: 'joint', ...rows, ...grouping };
  }
}

/** The mean loss of a batch (what one thread minimises). */
export function trainLoss(model: A3Model, b: TrainBatch): tf.Scalar {
  switch (b.kind) {
    case 'ar':
      return arLoss(model, b);
    case 'a3':
      return a3Loss(model, b, b.given);
    case 'joint':
      return jointLoss(model, b, b.given, b.termWeights);
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
      return sum(scoredPositions(b, b.given));
    case 'joint':
      return sum(shiftedTargets(b).weights) + sum(scoredPositions(b, b.given));
    case 'mdlm':
      return b.tokens.length;
  }
}

/**
 * Joint shares with their term weights: share i's AR mean counts with
 * n_ar,i / n_ar and its A3 mean with n_a3,i / n_a3, so Σ_i shares = the whole
 * batch's jointLoss exactly (each share is then sent with weight 1).
 */
export function jointShares(whole: JointBatch, shares: JointBatch[]): JointBatch[] {
  const arCount = (b: JointBatch) => sum(shiftedTargets(b).weights);
  const a3Count = (b: JointBatch) => sum(scoredPositions(b, b.given));
  const ar = arCount(whole);
  const a3 = a3Count(whole);
  return shares.map((s) => ({ ...s, termWeights: { ar: ar > 0 ? arCount(s) / ar : 0, a3: a3 > 0 ? a3Count(s) / a3 : 0 } }));
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
    case 'joint':
      return { ...b, ...base, groupIds: rows(b.groupIds, length, from, to), ...(b.given ? { given: rows(b.given, length, from, to) } : {}) };
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
  if (b.kind === 'a3' || b.kind === 'joint') arrays.push(b.groupIds, ...(b.given ? [b.given] : []));
  if (b.kind === 'mdlm') arrays.push(b.corruption.input, b.corruption.weights, b.corruption.ratios);
  return arrays.map((a) => a.buffer as ArrayBuffer);
}
