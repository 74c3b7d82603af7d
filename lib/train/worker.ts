/**
 * Web Worker host: the only place the page's training and decoding run.
 * `new Worker(new URL('../lib/train/worker.ts', import.meta.url))` from the page.
 */
import { runDecodeRequest, type DecodeRequest } from '../a3/decode/request';
import { isWorkerCommand, type WorkerEvent } from './protocol';
import { IndexedDbCheckpointStore } from './storage';
import { WorkerCore } from './worker-core';

const scope = self as unknown as { postMessage(e: WorkerEvent, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent) => void) | null };

const core = new WorkerCore({
  post: (event, transfer) => scope.postMessage(event, transfer ?? []),
  store: new IndexedDbCheckpointStore(),
  decode: (model, tokenizer, request) => runDecodeRequest(model, tokenizer, request as DecodeRequest),
});

// Commands run in arrival order, except pause/resume/step/stop/simulate-fault, which must reach a running loop.
let queue: Promise<void> = Promise.resolve();
scope.onmessage = (e: MessageEvent) => {
  const cmd = e.data;
  if (!isWorkerCommand(cmd)) {
    scope.postMessage({ type: 'error', message: 'the worker received a malformed command' });
    return;
  }
  if (cmd.type === 'pause' || cmd.type === 'resume' || cmd.type === 'step' || cmd.type === 'stop' || cmd.type === 'simulate-fault') {
    void core.handle(cmd);
    return;
  }
  if (cmd.type === 'train') {
    // A run lasts minutes: it must not hold the queue, or decoding and the checkpoint list would wait
    // behind it. It runs beside the queue (its steps yield between them); the core refuses a second run.
    void core.handle(cmd);
    return;
  }
  queue = queue.then(() => core.handle(cmd));
};
