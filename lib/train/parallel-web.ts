/**
 * Web Worker transport for data-parallel training (parallel.ts): each replica is a nested module Web Worker
 * running lib/worker/replica-worker.ts, started from the page's training worker. The page's counterpart of
 * parallel-node.ts. A Web Worker has no exit event: a replica that dies shows up as an `error` event.
 */
import { REPLICA_CRASH } from '../worker/protocol';
import type { FromReplica, ReplicaPort, SpawnReplica } from './parallel';

/** The replicas started and not yet terminated (for the test-only crash). */
const live = new Set<Worker>();

/** Test-only (`?faults=1`): the newest live replica throws an uncaught error, as a crashing worker does. False when none runs. */
export function crashReplica(): boolean {
  const worker = [...live].at(-1);
  worker?.postMessage({ type: REPLICA_CRASH });
  return worker !== undefined;
}

export const webReplicas: SpawnReplica = (index) => {
  // A literal `new URL(..., import.meta.url)` inside `new Worker(...)`: the form the bundler turns into a worker chunk.
  const worker = new Worker(new URL('../worker/replica-worker.ts', import.meta.url), { type: 'module', name: `training worker ${index + 1}` });
  live.add(worker);
  const port: ReplicaPort = {
    post: (message, transfer) => worker.postMessage(message, transfer),
    // No once-guard on onDeath: ParallelGradients keeps the first failure and ignores later ones.
    listen: (onMessage, onDeath) => {
      worker.onmessage = (e: MessageEvent<FromReplica>) => onMessage(e.data);
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault(); // reported through onDeath, not as an uncaught error of the training worker
        onDeath(e.message || 'the worker could not start or threw an uncaught error');
      };
      worker.onmessageerror = () => onDeath('a message from it could not be read');
    },
    terminate: async () => {
      live.delete(worker);
      worker.terminate();
    },
  };
  return port;
};
