/**
 * Web Worker host: the only place the page's training and decoding run.
 * `new Worker(new URL('../../lib/worker/worker.ts', import.meta.url))` from the page (StudioProvider).
 */
import { runDecodeRequest } from '../a3/decode/run';
import { crashReplica, webReplicas } from '../train/parallel-web';
import { IndexedDbCheckpointStore } from '../train/storage';
import { WorkerCore } from './core';
import { isSignal, isWorkerCommand, type WorkerEvent } from './protocol';

const scope = self as unknown as { postMessage(e: WorkerEvent, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent) => void) | null };

const core = new WorkerCore({
  post: (event, transfer) => scope.postMessage(event, transfer ?? []),
  store: new IndexedDbCheckpointStore(),
  decode: runDecodeRequest,
  replicas: webReplicas,
  crashReplica,
});

// Requests run in arrival order. Signals (pause, resume, step, stop, simulate-fault, simulate-worker-crash) must reach a running loop,
// so they skip the queue; so does a training run, which lasts minutes: it runs beside the queue (its steps
// yield between them) so decoding and the checkpoint list need not wait, and the core refuses a second run.
let queue: Promise<void> = Promise.resolve();
scope.onmessage = (e: MessageEvent) => {
  const cmd: unknown = e.data;
  if (!isWorkerCommand(cmd)) {
    scope.postMessage({ type: 'error', message: 'the worker received a malformed command' });
    return;
  }
  if (isSignal(cmd) || cmd.type === 'train' || cmd.type === 'resume-run') {
    void core.handle(cmd);
    return;
  }
  queue = queue.then(() => core.handle(cmd));
};
