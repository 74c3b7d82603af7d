/**
 * Node transport for worker pools (worker-pool.ts): worker_threads Workers on
 * a TypeScript entry. Data-parallel training's replicas run
 * parallel-node-replica.ts (the scripts' `--workers N`, the tests, the bench);
 * `npm run eval`'s scoring workers run scripts/lib/eval-worker.ts.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, Worker } from 'node:worker_threads';
import type { SpawnReplica } from './parallel';
import type { WorkerHost, WorkerPort } from './worker-pool';

/** The default worker count: one per core this process may use. */
export function defaultWorkerCount(): number {
  return availableParallelism();
}

/**
 * A worker thread running the TypeScript module `entry`. Neither vitest's
 * transform nor (in Node 20) an inherited `--import tsx` reaches a worker's
 * entry module, so a two-line bootstrap registers tsx's loader first.
 */
function bootstrap(entry: URL): string {
  // The ESM build of tsx's API (the exports map's "./esm/api" import target); require.resolve would pick the CJS one.
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsx = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href;
  return `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); });`;
}

/** Starts a worker thread on `entry` (a module that serves its parentPort, see `parentHost`); `name` shows in Node's diagnostics. */
export function nodeWorker<In, Out>(entry: URL, name: string): WorkerPort<In, Out> {
  const worker = new Worker(bootstrap(entry), { eval: true, name });
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    listen: (onMessage, onDeath) => {
      let dead = false;
      const die = (reason: string) => {
        if (dead) return;
        dead = true;
        onDeath(reason);
      };
      worker.on('message', (m: Out) => onMessage(m));
      worker.on('error', (e) => die(e instanceof Error ? e.message : String(e)));
      worker.on('messageerror', (e) => die(`a message could not be read: ${e.message}`));
      worker.on('exit', (code) => die(`exited with code ${code}`));
    },
    terminate: async () => {
      await worker.terminate();
    },
  };
}

/** The worker side of `nodeWorker`: the thread's parentPort as a WorkerHost. */
export function parentHost<Out, In>(): WorkerHost<Out, In> {
  const port = parentPort;
  if (!port) throw new Error('this module runs as a worker thread (started by nodeWorker), not on its own');
  return {
    post: (message, transfer) => port.postMessage(message, transfer),
    listen: (onMessage) => port.on('message', onMessage),
  };
}

export const nodeReplicas: SpawnReplica = (index) => nodeWorker(new URL('./parallel-node-replica.ts', import.meta.url), `training worker ${index + 1}`);
