/**
 * Validation figures shared by the scripts and the page: exact A3 NLL under a
 * fixed grouping, the base model's AR NLL, and the diffusion baseline's bound.
 * All in nats/token over the same fixed windows.
 *
 * Every read is asynchronous (`data()`, never `dataSync()`): the page's worker calls these during a
 * fine-tune, and on WebGPU a synchronous read after an asynchronous one breaks. The Node scripts await the
 * same functions (one read per batch of 16 windows, next to a forward pass): no synchronous variant is kept.
 */
import type * as tf from '@tensorflow/tfjs';
import { a3Loss, arLoss } from '../a3/likelihood';
import { corrupt, mdlmLoss } from '../a3/mdlm';
import type { A3Model } from '../a3/model';
import { stackBatches, type TokenBatch } from './batches';
import { groupingLabel, type GroupingSpec } from '../a3/groups';
import { stageBatchGrouping } from './curriculum';

const EVAL_BATCH = 16;

/** Token-weighted mean of per-batch mean losses, one batch at a time (each batch's tensors freed before the next). */
async function meanOver(windows: TokenBatch[], perBatch: (b: TokenBatch, i: number) => { loss: tf.Scalar; count: number }): Promise<number> {
  let sum = 0;
  let count = 0;
  const batches = stackBatches(windows, EVAL_BATCH);
  for (const [i, b] of batches.entries()) {
    const r = perBatch(b, i);
    sum += (await scalar(r.loss)) * r.count;
    count += r.count;
  }
  return sum / count;
}

/** The value of a scalar, which is then freed (also when the read fails, e.g. on a lost device). */
async function scalar(t: tf.Scalar): Promise<number> {
  try {
    return (await t.data())[0];
  } finally {
    t.dispose();
  }
}

/**
 * Exact A3 NLL with every sequence under `grouping` (random ones seeded per
 * window). Span infilling scores the spans given the context (group 0 is given).
 */
export function a3Nll(model: A3Model, windows: TokenBatch[], grouping: GroupingSpec, seed = 7): Promise<number> {
  const stage = { name: 'eval', steps: 1, lr: 1, warmup: 0, grouping };
  return meanOver(windows, (b, i) => {
    const length = b.tokens.length / b.batch;
    const { groupIds, given } = stageBatchGrouping(stage, b.batch, length, 'sequence', seed + i * EVAL_BATCH);
    const count = given ? given.reduce((n, g) => n + (g ? 0 : 1), 0) : b.tokens.length;
    return { loss: a3Loss(model, { batch: b.batch, tokens: b.tokens, groupIds }, given), count };
  });
}

/** Base-model next-token NLL. */
export function arNll(model: A3Model, windows: TokenBatch[]): Promise<number> {
  return meanOver(windows, (b) => ({ loss: arLoss(model, b), count: b.batch * (b.tokens.length / b.batch - 1) }));
}

/**
 * Diffusion NLL upper bound: ∫ E[Σ_masked CE]/t dt estimated with `samples`
 * stratified ratios t_k = (k + 1/2)/samples per window (fixed seeds).
 */
export async function mdlmBound(model: A3Model, windows: TokenBatch[], samples = 8, seed = 11): Promise<number> {
  let total = 0;
  for (let k = 0; k < samples; k++) {
    const t = (k + 0.5) / samples;
    total += await meanOver(windows, (b, i) => {
      const c = corrupt(b.tokens, b.batch, seed + 1000 * k + i, new Float32Array(b.batch).fill(t));
      return { loss: mdlmLoss(model, b.batch, b.tokens, c), count: b.tokens.length };
    });
  }
  return total / samples;
}

/** A3 NLL under each evaluation grouping, keyed by its label. */
export async function a3NllTable(model: A3Model, windows: TokenBatch[], groupings: GroupingSpec[]): Promise<Record<string, number>> {
  const table: Record<string, number> = {};
  for (const g of groupings) table[groupingLabel(g)] = await a3Nll(model, windows, g);
  return table;
}

/**
 * A small fixed slice of validation tokens stored next to shipped weights,
 * with the loss the training run measured on it: loading the weights anywhere
 * and recomputing it guards against shipping mismatched files.
 */
export interface GuardSlice {
  kind: 'ar' | 'a3' | 'mdlm';
  length: number;
  tokens: number[];
  loss: number;
}

export function guardLoss(model: A3Model, kind: GuardSlice['kind'], tokens: Int32Array, length: number): Promise<number> {
  const count = tokens.length / length;
  const windows = Array.from({ length: count }, (_, i) => ({ batch: 1, tokens: tokens.slice(i * length, (i + 1) * length) }));
  if (kind === 'ar') return arNll(model, windows);
  if (kind === 'a3') return a3Nll(model, windows, { kind: 'random', size: 4 });
  return mdlmBound(model, windows, 4);
}
