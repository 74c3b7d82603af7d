/**
 * Data-parallel training speed: tokens/s of the real Trainer loop (gradients,
 * averaging, clipping, AdamW, weight broadcast) with 1 worker (this thread)
 * and with 2, 3, 4 worker threads, same global batch, for the AR step and the
 * two-stream step. Rounds are interleaved and the best of each kept, so a
 * burst of load from another process hurts no worker count more than another.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '@/lib/a3/config';
import { disposeModel, initModel } from '@/lib/a3/model';
import { trainLoss, type TrainBatch } from '@/lib/train/losses';
import { ParallelGradients } from '@/lib/train/parallel';
import { nodeReplicas } from '@/lib/train/parallel-node';
import { Trainer } from '@/lib/train/trainer';
import { randomBatch } from './train-step';

export type StepKind = 'ar' | 'a3';

export interface ScalingRow {
  workers: number;
  /** Best tokens/s over the rounds, per step kind. */
  tokensPerSec: Record<StepKind, number>;
}

function batchOf(cfg: ModelConfig, kind: StepKind, batch: number, length: number, step: number): TrainBatch {
  const seq = randomBatch(cfg, batch, length, 1 + step);
  return kind === 'ar' ? { kind: 'ar', batch, tokens: seq.tokens } : { kind: 'a3', ...seq };
}

/** tokens/s over `timed` steps after `warmup` (kernel set-up, worker start). */
async function measure(cfg: ModelConfig, kind: StepKind, source: ParallelGradients | undefined, batch: number, length: number, warmup: number, timed: number): Promise<number> {
  const model = initModel(cfg, 0);
  const stamps: number[] = [];
  const trainer = new Trainer({
    model,
    stage: 'bench',
    steps: warmup + timed,
    schedule: { peak: 1e-3, warmup: 1, total: warmup + timed, minRatio: 0.1 },
    tokensPerStep: batch * length,
    batchAt: (step) => batchOf(cfg, kind, batch, length, step),
    loss: trainLoss,
    gradients: source,
    onEvent: (e) => e.type === 'step' && stamps.push(performance.now()),
  });
  await trainer.run();
  trainer.dispose();
  disposeModel(model);
  const ms = stamps[stamps.length - 1] - stamps[warmup - 1];
  return (timed * batch * length) / (ms / 1000);
}

export async function benchTrainScaling(
  cfg: ModelConfig,
  batch: number,
  length: number,
  { workerCounts = [1, 2, 3, 4], rounds = 2, warmup = 1, timed = 2 }: { workerCounts?: number[]; rounds?: number; warmup?: number; timed?: number } = {},
): Promise<ScalingRow[]> {
  const backend = tf.getBackend();
  // One pool per count, kept across rounds: worker start-up is not a training cost.
  const pools = new Map(workerCounts.filter((n) => n > 1).map((n) => [n, new ParallelGradients({ workers: n, spawn: nodeReplicas, backend })]));
  const rows: ScalingRow[] = workerCounts.map((workers) => ({ workers, tokensPerSec: { ar: 0, a3: 0 } }));
  try {
    for (let round = 0; round < rounds; round++) {
      for (const row of rows) {
        for (const kind of ['ar', 'a3'] as const) {
          const rate = await measure(cfg, kind, pools.get(row.workers), batch, length, warmup, timed);
          row.tokensPerSec[kind] = Math.max(row.tokensPerSec[kind], rate);
        }
      }
    }
  } finally {
    await Promise.all([...pools.values()].map((p) => p.close()));
  }
  return rows;
}
