/**
 * `npm run eval -- --workers N`: the scoring of eval-scoring.ts spread over N
 * Node worker threads (the worker pool and transport of data-parallel
 * training, lib/train/worker-pool.ts and parallel-node.ts), each loading the
 * same weights on its own backend and running eval-worker.ts. Items go to
 * whichever worker is free next; results[i] is always items[i]'s, so the
 * figures equal `--workers 1`'s exactly. A worker that throws or dies rejects
 * the call with a message naming it and the item, and stops the others.
 */
import { nodeWorker } from '@/lib/train/parallel-node';
import { WorkerPool, type WorkerPort } from '@/lib/train/worker-pool';
import { localScoring, type ModelSources, type Scoring, type ScoringContext, type TaskItem, type TaskName, type TaskResult } from './eval-scoring';

/** Coordinator -> scoring worker. */
export type ToScorer = { type: 'init'; backend: 'wasm' | 'cpu'; models: ModelSources } | { type: 'score'; task: TaskName; item: TaskItem<TaskName> };

/** Scoring worker -> coordinator. */
export type FromScorer = { type: 'ready'; backend: string } | { type: 'scored'; result: TaskResult<TaskName> } | { type: 'failed'; message: string };

export type SpawnScorer = (index: number) => WorkerPort<ToScorer, FromScorer>;

export const nodeScorers: SpawnScorer = (index) => nodeWorker(new URL('./eval-worker.ts', import.meta.url), `eval worker ${index + 1}`);

export interface WorkerScoringOptions {
  workers: number;
  backend: 'wasm' | 'cpu';
  models: ModelSources;
  /** Tests swap in ports that misbehave. */
  spawn?: SpawnScorer;
}

/** Starts the workers and waits until every one has loaded the models. */
export async function workerScoring(o: WorkerScoringOptions): Promise<Scoring> {
  const pool = new WorkerPool<ToScorer, FromScorer>(o.workers, o.spawn ?? nodeScorers, (i) => `eval worker ${i + 1} of ${o.workers}`);
  const workers = Array.from({ length: o.workers }, (_, i) => i);
  try {
    const replies = await Promise.all(workers.map((i) => pool.request(i, { type: 'init', backend: o.backend, models: o.models }, [], 'while loading the models')));
    replies.forEach((r, i) => {
      // Exactly the coordinator's backend: another would compute other numbers.
      if (r.type !== 'ready' || r.backend !== o.backend) throw new Error(`eval worker ${i + 1} of ${o.workers} runs on ${r.type === 'ready' ? r.backend : '?'}, not ${o.backend}`);
    });
  } catch (e) {
    await pool.close();
    throw e;
  }
  return {
    workers: o.workers,
    map: async <K extends TaskName>(task: K, items: TaskItem<K>[]): Promise<TaskResult<K>[]> => {
      const results: TaskResult<K>[] = new Array(items.length);
      let next = 0;
      const drain = async (w: number) => {
        while (next < items.length) {
          const i = next++;
          const reply = await pool.request(w, { type: 'score', task, item: items[i] }, [], `on ${task} item ${i + 1} of ${items.length}`);
          if (reply.type !== 'scored') throw new Error(`eval worker ${w + 1} of ${o.workers} answered a ${task} item with "${reply.type}"`);
          // The worker ran scoreItem(task, items[i]): its result is TaskResult<K>.
          results[i] = reply.result as TaskResult<K>;
        }
      };
      await Promise.all(workers.map(drain));
      return results;
    },
    close: () => pool.close(),
  };
}

/** `--workers 1` scores in this thread (no threads, no second copy of the models); more start worker threads. */
export function evalScoring(o: WorkerScoringOptions, here: ScoringContext): Promise<Scoring> {
  return o.workers === 1 ? Promise.resolve(localScoring(here)) : workerScoring(o);
}
