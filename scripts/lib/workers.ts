/** `--workers N` for the training scripts (data-parallel worker threads, lib/train/parallel.ts, or this thread alone) and for `npm run eval` (its scoring workers). */
import { ParallelGradients } from '@/lib/train/parallel';
import { defaultWorkerCount, nodeReplicas } from '@/lib/train/parallel-node';

/** The flag's value; absent = one worker per core. */
export function parseWorkers(value: string | undefined): number {
  if (value === undefined) return defaultWorkerCount();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--workers must be a positive integer, got "${value}"`);
  return n;
}

export interface TrainingWorkers {
  /** The Trainer's gradient source; undefined = this thread (one worker needs no threads). */
  source: ParallelGradients | undefined;
  close(): Promise<void>;
}

export function trainingWorkers(count: number, backend: string): TrainingWorkers {
  if (count === 1) return { source: undefined, close: async () => undefined };
  const source = new ParallelGradients({ workers: count, spawn: nodeReplicas, backend });
  return { source, close: () => source.close() };
}
