/**
 * Data-parallel training: a GradientSource for the one Trainer that splits
 * each global batch by rows over N workers ("replicas"), each holding its own
 * tfjs backend and copy of the model, and averages their gradients into the
 * gradient of the whole batch.
 *
 * One step:
 *   coordinator  weights (flat float32) + row share i + its weight n_i / n ──▶ replica i
 *                (n_i = the denominator of share i's mean loss, n = Σ n_i)
 *   replica i    loads the weights, tf.variableGrads of (n_i / n) · its share's mean loss
 *   replica i    flat gradient + mean loss ──▶ coordinator
 *   coordinator  Σ_i of the gradients (= the gradient of the whole batch's mean), on the backend
 *   Trainer      clip, NaN guard, one AdamW update on the coordinator's model
 * Only the coordinator applies the update; the new weights travel with the
 * next step ("apply once, broadcast"). The alternative, every replica running
 * the same AdamW on the averaged gradient, sends as many floats and needs the
 * optimizer moments in every replica (and in every resume). Measured here
 * (base config, 1.1M parameters, wasm, a ~600 ms two-worker AR step of
 * 16x128): packing the weights 1-2 ms, loading them in a replica 1-5 ms,
 * summing the replies ~2 ms, one AdamW update 12-25 ms. Replicating the
 * update would save at most those few ms on idle cores and nothing once
 * replicas and coordinator share the cores: broadcast it is, and the replicas
 * hold no state of their own. Two threads computing half-batch gradients
 * at once slow each other down (the AR step is memory-bound: each B=8 share
 * takes ~550 ms beside the other against ~480 ms alone); `npm run bench`
 * prints that compute-only ratio beside the Trainer loop's 1-vs-2-worker
 * ratios. The coordinator computing a share itself (2 threads instead of 3)
 * was tried and was not faster (684 vs 648 ms a step).
 *
 * Buffers move as transferables (a copy per replica, then zero-copy), not a
 * SharedArrayBuffer: the page then needs no cross-origin isolation (COOP/COEP)
 * and nothing measured here is bound by the copy.
 *
 * Deterministic for a given seed and worker count: shares are fixed row
 * ranges, replies are summed in worker order, and each replica runs the same
 * kernels on the same inputs.
 *
 * Transport-neutral (no Node or DOM imports): a `SpawnReplica` makes the
 * workers — Node worker_threads (parallel-node.ts) for the scripts; a browser
 * worker can host Web Workers the same way (each running `serveReplica`).
 *
 * Longer than most: the message types, the coordinator (ParallelGradients) and
 * the protocol notes above describe one exchange, and splitting the two ends of
 * it would put each side's half of the protocol in a different file.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../a3/config';
import { trainableVariables, type A3Model } from '../a3/model';
import { batchBuffers, jointShares, lossWeight, shareBounds, sliceBatch, type JointBatch, type TrainBatch } from './losses';
import type { GradientSource } from './trainer';
import { WorkerPool, type WorkerPort } from './worker-pool';

/** Coordinator -> replica. */
export type ToReplica =
  | { type: 'init'; backend: string; config: ModelConfig }
  /**
   * `weights`: every trainable variable, flattened in trainableVariables order.
   * `share`: n_i / n, the weight of this share's mean in the whole batch's mean.
   */
  | { type: 'step'; step: number; weights: Float32Array; batch: TrainBatch; share: number };

/** Replica -> coordinator. */
export type FromReplica =
  | { type: 'ready'; backend: string }
  | {
      type: 'grads';
      step: number;
      /** The share's mean loss (not weighted). */
      loss: number;
      /** Gradients of share · mean loss, flattened like the weights; zeros where `present` is 0. */
      grads: Float32Array;
      /** Per variable, 1 when the loss reaches it (w gets no gradient from the AR loss). */
      present: Uint8Array;
      /** tf.memory().numTensors in the replica after the step: it must not grow. */
      tensors: number;
    }
  | { type: 'failed'; step: number | null; message: string };

/** The coordinator's handle on one replica (a worker thread, a Web Worker, ...). */
export type ReplicaPort = WorkerPort<ToReplica, FromReplica>;

/** Starts replica `index` (0-based). */
export type SpawnReplica = (index: number) => ReplicaPort;

export interface ParallelOptions {
  workers: number;
  spawn: SpawnReplica;
  /** The tfjs backend every replica runs on (the coordinator's, so replicas compute what it would). */
  backend: string;
}

type Grads = Extract<FromReplica, { type: 'grads' }>;

/** Every trainable variable's values, one flat array (in trainableVariables order: what a replica loads). */
export async function packWeights(variables: tf.Variable[]): Promise<Float32Array> {
  const values = await Promise.all(variables.map((v) => v.data()));
  const flat = new Float32Array(values.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of values) {
    flat.set(a, at);
    at += a.length;
  }
  return flat;
}

/**
 * The sum of the replies' (already weighted) gradients per variable reached by
 * any of them, added in worker order on the backend (a JS loop over a million
 * floats costs ~10 ns each; the backend's add, a fraction of that).
 */
function sumReplies(replies: Grads[], variables: tf.Variable[]): tf.NamedTensorMap {
  const named: tf.NamedTensorMap = {};
  let at = 0;
  variables.forEach((v, k) => {
    const parts = replies.filter((r) => r.present[k]).map((r) => r.grads.subarray(at, at + v.size));
    if (parts.length) named[v.name] = tf.tidy(() => parts.map((p) => tf.tensor(p, v.shape)).reduce((a, b) => tf.add(a, b)));
    at += v.size;
  });
  return named;
}

export class ParallelGradients implements GradientSource<TrainBatch> {
  readonly workers: number;
  /** Started on first use. */
  private pool: WorkerPool<ToReplica, FromReplica> | null = null;
  private initialised: string | null = null;
  private closing = false;
  private inFlight = false;
  private tensorCounts: number[] = [];

  constructor(private readonly options: ParallelOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new Error(`workers must be a positive integer, got ${options.workers}`);
    this.workers = options.workers;
  }

  /** tf.memory().numTensors in each replica after its last step (for leak checks). */
  get replicaTensors(): readonly number[] {
    return this.tensorCounts;
  }

  /** One step at a time: each replica holds one request, and the weights sent must be the ones the step starts from. */
  async compute(model: A3Model, batch: TrainBatch, step: number): Promise<{ loss: tf.Scalar; grads: tf.NamedTensorMap }> {
    if (this.pool?.failure) throw this.pool.failure;
    if (this.closing) throw new Error('ParallelGradients is closed: make a new one to train again');
    if (this.inFlight) throw new Error('ParallelGradients computes one step at a time: await the previous step first');
    this.inFlight = true;
    try {
      return await this.computeStep(model, batch, step);
    } finally {
      this.inFlight = false;
    }
  }

  private async computeStep(model: A3Model, batch: TrainBatch, step: number): Promise<{ loss: tf.Scalar; grads: tf.NamedTensorMap }> {
    const pool = await this.ready(model.config);
    const variables = trainableVariables(model);
    const weights = await packWeights(variables);
    const split = shareBounds(batch.batch, this.workers)
      .map(([from, to], index) => {
        const rows = from < to ? sliceBatch(batch, from, to) : null;
        return { index, rows, weight: rows ? lossWeight(rows) : 0 };
      })
      .filter((s): s is { index: number; rows: TrainBatch; weight: number } => s.rows !== null && s.weight > 0);
    if (split.length === 0) throw new Error('nothing to score: every position is padding or given');
    // A joint share carries its own term weights and counts whole (weight 1 of a total of 1 each).
    const shares =
      batch.kind === 'joint'
        ? jointShares(batch, split.map((s) => s.rows as JointBatch)).map((rows, k) => ({ index: split[k].index, rows, weight: 1 }))
        : split;
    const total = batch.kind === 'joint' ? 1 : shares.reduce((n, s) => n + s.weight, 0);
    // Each replica gets its own copy: a transferred buffer is gone from this side.
    const requests = shares.map(({ index, rows, weight }, k) => {
      const copy = k === shares.length - 1 ? weights : weights.slice();
      const message: ToReplica = { type: 'step', step, weights: copy, batch: rows, share: weight / total };
      return pool.request(index, message, [copy.buffer as ArrayBuffer, ...batchBuffers(rows)], `at step ${step}`);
    });
    const replies = (await Promise.all(requests)).map((r): Grads => {
      if (r.type !== 'grads') throw new Error(`a training worker answered a step with "${r.type}"`);
      return r;
    });
    for (const [k, r] of replies.entries()) this.tensorCounts[shares[k].index] = r.tensors;
    const loss = replies.reduce((sum, r, k) => sum + (shares[k].weight / total) * r.loss, 0);
    return { loss: tf.scalar(loss), grads: sumReplies(replies, variables) };
  }

  /** Stops every replica. Safe to call twice, and after a failure. */
  async close(): Promise<void> {
    this.closing = true;
    await this.pool?.close();
  }

  /** Starts the replicas on first use; re-initialises them for a model with another config. */
  private async ready(config: ModelConfig): Promise<WorkerPool<ToReplica, FromReplica>> {
    const pool = (this.pool ??= new WorkerPool(this.workers, this.options.spawn, (i) => `training worker ${i + 1} of ${this.workers}`));
    const key = JSON.stringify(config);
    if (this.initialised === key) return pool;
    const init: ToReplica = { type: 'init', backend: this.options.backend, config };
    const replies = await Promise.all(Array.from({ length: this.workers }, (_, i) => pool.request(i, init, [], 'while starting')));
    replies.forEach((r, i) => {
      if (r.type === 'ready' && r.backend !== this.options.backend) {
        pool.fail(new Error(`training worker ${i + 1} of ${this.workers} runs on ${r.backend}, not ${this.options.backend}`));
      }
    });
    if (pool.failure) throw pool.failure;
    this.initialised = key;
    return pool;
  }
}
