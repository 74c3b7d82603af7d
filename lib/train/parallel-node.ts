/**
 * Node transport for data-parallel training (parallel.ts): each replica is a
 * worker_threads Worker running parallel-node-replica.ts. Used by the
 * scripts (`--workers N`), the tests and the bench.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FromReplica, ReplicaPort, SpawnReplica } from './parallel';

/** The default worker count: one per core this process may use. */
export function defaultWorkerCount(): number {
  return availableParallelism();
}

/**
 * Worker threads for replicas. The entry is TypeScript, and neither vitest's
 * transform nor (in Node 20) an inherited `--import tsx` reaches a worker's
 * entry module, so a two-line bootstrap registers tsx's loader first.
 */
function bootstrap(): string {
  // The ESM build of tsx's API (the exports map's "./esm/api" import target); require.resolve would pick the CJS one.
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsx = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./parallel-node-replica.ts', import.meta.url).href;
  return `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); });`;
}

export const nodeReplicas: SpawnReplica = (index) => {
  const worker = new Worker(bootstrap(), { eval: true, name: `training worker ${index + 1}` });
  const port: ReplicaPort = {
    post: (message, transfer) => worker.postMessage(message, transfer),
    listen: (onMessage, onDeath) => {
      let dead = false;
      const die = (reason: string) => {
        if (dead) return;
        dead = true;
        onDeath(reason);
      };
      worker.on('message', (m: FromReplica) => onMessage(m));
      worker.on('error', (e) => die(e instanceof Error ? e.message : String(e)));
      worker.on('messageerror', (e) => die(`a message could not be read: ${e.message}`));
      worker.on('exit', (code) => die(`exited with code ${code}`));
    },
    terminate: async () => {
      await worker.terminate();
    },
  };
  return port;
};
