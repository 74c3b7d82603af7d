/**
 * Data-parallel training speed: tokens/s of the real Trainer loop (gradients,
 * averaging, clipping, AdamW, weight broadcast) with 1 worker (this thread)
 * and with 2, 3, 4 worker threads, same global batch, for the AR step and the
 * two-stream step. Rounds are interleaved (each in a rotated order) and the
 * best of each kept, so a burst of load from another process hurts no worker
 * count more than another. Process CPU time per step (coordinator and worker
 * threads together) is kept too: the cost of parallelism, whatever the load.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '@/lib/a3/config';
import { disposeModel, initModel, trainableVariables } from '@/lib/a3/model';
import { batchBuffers, shareBounds, sliceBatch, trainLoss, type TrainBatch } from '@/lib/train/losses';
import { packWeights, ParallelGradients, type FromReplica, type ToReplica } from '@/lib/train/parallel';
import { WorkerPool } from '@/lib/train/worker-pool';
import { nodeReplicas } from '@/lib/train/parallel-node';
import { Trainer } from '@/lib/train/trainer';
import { randomBatch } from './train-step';

export type StepKind = 'ar' | 'a3';

export interface ScalingRow {
  workers: number;
  /** Best tokens/s over the rounds, per step kind. */
  tokensPerSec: Record<StepKind, number>;
  /** Least process CPU time per step over the rounds (all threads), per step kind. */
  cpuMsPerStep: Record<StepKind, number>;
  /**
   * Cores this process kept busy (CPU time / wall time) in the best round: below
   * the worker count, other processes held the cores and wall-clock scaling says
   * more about the machine's load than about the code.
   */
  coresBusy: Record<StepKind, number>;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function batchOf(cfg: ModelConfig, kind: StepKind, batch: number, length: number, step: number): TrainBatch {
  const seq = randomBatch(cfg, batch, length, 1 + step);
  return kind === 'ar' ? { kind: 'ar', batch, tokens: seq.tokens } : { kind: 'a3', ...seq };
}

/** tokens/s and CPU-ms per step over `timed` steps after `warmup` (kernel set-up, worker start). */
async function measure(
  cfg: ModelConfig,
  kind: StepKind,
  source: ParallelGradients | undefined,
  batch: number,
  length: number,
  warmup: number,
  timed: number,
): Promise<{ tokensPerSec: number; cpuMsPerStep: number; coresBusy: number }> {
  const model = initModel(cfg, 0);
  const stamps: { wall: number; cpu: number }[] = [];
  const trainer = new Trainer({
    model,
    stage: 'bench',
    steps: warmup + timed,
    schedule: { peak: 1e-3, warmup: 1, total: warmup + timed, minRatio: 0.1 },
    tokensPerStep: batch * length,
    batchAt: (step) => batchOf(cfg, kind, batch, length, step),
    loss: trainLoss,
    gradients: source,
    onEvent: (e) => e.type === 'step' && stamps.push({ wall: performance.now(), cpu: cpuMs() }),
  });
  await trainer.run();
  trainer.dispose();
  disposeModel(model);
  const [from, to] = [stamps[warmup - 1], stamps[stamps.length - 1]];
  const wallMs = to.wall - from.wall;
  const cpu = to.cpu - from.cpu;
  return { tokensPerSec: (timed * batch * length) / (wallMs / 1000), cpuMsPerStep: cpu / timed, coresBusy: cpu / wallMs };
}

export async function benchTrainScaling(
  cfg: ModelConfig,
  batch: number,
  length: number,
  { workerCounts = [1, 2, 3, 4], rounds = 4, warmup = 1, timed = 2 }: { workerCounts?: number[]; rounds?: number; warmup?: number; timed?: number } = {},
): Promise<ScalingRow[]> {
  const backend = tf.getBackend();
  // One pool per count, kept across rounds: worker start-up is not a training cost.
  const pools = new Map(workerCounts.filter((n) => n > 1).map((n) => [n, new ParallelGradients({ workers: n, spawn: nodeReplicas, backend })]));
  const rows: ScalingRow[] = workerCounts.map((workers) => ({
    workers,
    tokensPerSec: { ar: 0, a3: 0 },
    cpuMsPerStep: { ar: Infinity, a3: Infinity },
    coresBusy: { ar: 0, a3: 0 },
  }));
  try {
    for (let round = 0; round < rounds; round++) {
      const order = rows.map((_, i) => rows[(i + round) % rows.length]);
      for (const row of order) {
        for (const kind of ['ar', 'a3'] as const) {
          const m = await measure(cfg, kind, pools.get(row.workers), batch, length, warmup, timed);
          if (m.tokensPerSec > row.tokensPerSec[kind]) {
            row.tokensPerSec[kind] = m.tokensPerSec;
            row.coresBusy[kind] = m.coresBusy;
          }
          row.cpuMsPerStep[kind] = Math.min(row.cpuMsPerStep[kind], m.cpuMsPerStep);
        }
      }
    }
  } finally {
    await Promise.all([...pools.values()].map((p) => p.close()));
  }
  return rows;
}

/**
 * Two threads' gradient compute alone: two replica threads each computing
 * the gradients of half the batch at once, against one replica thread
 * computing the whole batch; no exchange, no update, the same threads and
 * kernels. Below 2x where two threads slow each other down (shared caches
 * and memory bandwidth). Context, not a bound on the Trainer loop's ratio:
 * that loop's 1-worker row also runs the update, clipping and batching in its
 * one thread, which the 2-worker loop overlaps with the replicas' compute
 * (measured 2026-12-02: this 1.53x, the loop 1.74x for the AR step).
 * Best of interleaved rounds.
 */
export async function benchComputeOnlyScaling(cfg: ModelConfig, batch: number, length: number, rounds = 4): Promise<Record<StepKind, number>> {
  const backend = tf.getBackend();
  // Thread 0 always computes whole batches, threads 1 and 2 always halves: each keeps one shape, as in training.
  const pool = new WorkerPool<ToReplica, FromReplica>(3, nodeReplicas, (i) => `bench worker ${i + 1}`);
  const model = initModel(cfg, 0);
  const weights = await packWeights(trainableVariables(model));
  disposeModel(model);
  const gradients = (index: number, rows: TrainBatch, share: number) => {
    const copy = weights.slice();
    return pool.request(index, { type: 'step', step: 0, weights: copy, batch: rows, share }, [copy.buffer, ...batchBuffers(rows)], 'in the bench');
  };
  const timed = async (run: () => Promise<unknown>) => {
    const t0 = performance.now();
    await run();
    return performance.now() - t0;
  };
  const best: Record<StepKind, { one: number; two: number }> = { ar: { one: Infinity, two: Infinity }, a3: { one: Infinity, two: Infinity } };
  try {
    await Promise.all([0, 1, 2].map((i) => pool.request(i, { type: 'init', backend, config: cfg }, [], 'while starting')));
    // One kind at a time, so a thread's tensor shapes stay the same from one request to the next.
    for (const kind of ['ar', 'a3'] as const) {
      for (let round = 0; round <= rounds; round++) {
        const whole = () => batchOf(cfg, kind, batch, length, round);
        const one = await timed(() => gradients(0, whole(), 1));
        const halves = shareBounds(batch, 2).map(([from, to]) => sliceBatch(whole(), from, to));
        const two = await timed(() => Promise.all(halves.map((rows, i) => gradients(i + 1, rows, 0.5))));
        if (round === 0) continue; // kernel set-up and the first allocations
        best[kind] = { one: Math.min(best[kind].one, one), two: Math.min(best[kind].two, two) };
      }
    }
  } finally {
    await pool.close();
  }
  return { ar: best.ar.one / best.ar.two, a3: best.a3.one / best.a3.two };
}
