/**
 * Where a page training run's gradients come from: this thread for one worker, else data-parallel replicas
 * (ParallelGradients over the transport the host passes: nested Web Workers in the page, worker threads in
 * tests). GPU backends stay on this thread: one device, which replicas would only share.
 */
import { getBackend } from '@tensorflow/tfjs';
import type { TrainBatch } from '../train/losses';
import { ParallelGradients, type SpawnReplica } from '../train/parallel';
import type { GradientSource } from '../train/trainer';
import { messageOf } from './models';
import { PARALLEL_BACKENDS } from './protocol';

export interface RunGradients {
  /** Undefined: the Trainer's own (this thread). */
  source?: GradientSource<TrainBatch>;
  /** Stops the replicas (the run's owner calls it once the run's stages are done or failed). */
  close(): Promise<void>;
}

export function runGradients(workers: number, spawn: SpawnReplica | undefined): RunGradients {
  const backend = getBackend();
  if (workers <= 1 || !(PARALLEL_BACKENDS as readonly string[]).includes(backend)) return { close: async () => undefined };
  if (!spawn) throw new Error('this worker cannot start training workers: train with 1 worker');
  const pool = new ParallelGradients({ workers, spawn, backend });
  return {
    source: {
      workers,
      // A replica that fails or dies rejects before any weight changes: say that nothing saved was lost.
      compute: (model, batch, step) =>
        pool.compute(model, batch, step).catch((e: unknown) => {
          throw new Error(`${messageOf(e)}. The run stopped; the checkpoints saved so far are kept.`);
        }),
    },
    close: () => pool.close(),
  };
}
