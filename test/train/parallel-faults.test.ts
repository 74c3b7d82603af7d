/**
 * Data-parallel training when things go wrong, and over a long run: a worker
 * that throws or dies stops the run with a message naming it and the error,
 * and the last checkpoint stays whole; no tensor count grows over 200 steps,
 * in the coordinator or in any worker. Node worker threads, cpu backend, tiny config.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useCpu, tiny, maxAbsDiff } from '../helpers/tf';
import { disposeModel, initModel, trainableVariables, type A3Model } from '@/lib/a3/model';
import { randomWindows, stepSeed } from '@/lib/train/batches';
import { trainLoss, type TrainBatch } from '@/lib/train/losses';
import { ParallelGradients, type SpawnReplica } from '@/lib/train/parallel';
import { nodeReplicas } from '@/lib/train/parallel-node';
import { Trainer, type TrainEvent, type TrainJob } from '@/lib/train/trainer';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint } from '@/scripts/lib/checkpoints';

const B = 2;
const T = 8;
const STREAM = Int32Array.from({ length: 200 }, (_, i) => [4, 9, 5, 12, 7, 10][i % 6]);
const arBatchAt = (step: number): TrainBatch => ({ kind: 'ar', ...randomWindows(STREAM, B, T, stepSeed(3, step)) });

let root: string;
beforeAll(async () => {
  await useCpu();
  root = mkdtempSync(join(tmpdir(), 'a3-parallel-faults-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function job(model: A3Model, steps: number, extra: Partial<TrainJob<TrainBatch>> = {}): TrainJob<TrainBatch> {
  return { model, stage: 'test', steps, schedule: { peak: 1e-2, warmup: 2, total: steps, minRatio: 0.1 }, tokensPerStep: B * T, batchAt: arBatchAt, loss: trainLoss, ...extra };
}

/**
 * A run that checkpoints every step and meets a fault at step 2; returns the
 * error and what the last checkpoint holds against the weights at the fault.
 */
async function runIntoFault(name: string, pool: ParallelGradients, batchAt = arBatchAt) {
  const dir = join(root, name);
  const model = initModel(tiny, 8);
  const events: TrainEvent[] = [];
  const trainer = new Trainer(
    job(model, 6, { gradients: pool, batchAt, onEvent: (e) => events.push(e), checkpointEvery: 1, checkpoint: (s) => saveCheckpoint(dir, model, s).then(() => undefined) }),
  );
  const error = await trainer.run().then(
    () => null,
    (e: unknown) => e as Error,
  );
  const folder = latestCheckpoint(dir);
  expect(folder).not.toBeNull();
  const saved = await loadCheckpoint(folder as string); // not null: checked above
  const drift = Math.max(
    ...trainableVariables(saved.model).map((v, i) => maxAbsDiff(v.dataSync(), trainableVariables(model)[i].dataSync())),
  );
  const result = { error, events, state: saved.state, drift, folders: readdirSync(dir).filter((f) => f.startsWith('step-')) };
  trainer.dispose();
  disposeModel(saved.model);
  disposeModel(model);
  return result;
}

describe('ParallelGradients faults', () => {
  it('a worker that throws stops the run with its error; the last checkpoint is whole', async () => {
    const pool = new ParallelGradients({ workers: 2, spawn: nodeReplicas, backend: 'cpu' });
    // Row 1 (worker 2's share) holds a token outside the vocabulary at step 2.
    const bad = (step: number): TrainBatch => {
      const b = arBatchAt(step);
      if (step === 2) b.tokens[B * T - 1] = 999;
      return b;
    };
    const r = await runIntoFault('throws', pool, bad);
    expect(r.error?.message).toMatch(/^training worker 2 of 2 failed at step 2: token id 999 is outside the vocabulary/);
    expect(r.events.map((e) => e.type)).toEqual(['step', 'checkpoint', 'step', 'checkpoint']);
    expect(r.state.step).toBe(2);
    expect(r.folders).toEqual(['step-000001', 'step-000002']);
    expect(r.drift).toBe(0); // the checkpoint holds exactly the weights the failed step started from
    // The pool stays failed: a later step gets the same message rather than a hang.
    const model = initModel(tiny, 1);
    await expect(pool.compute(model, arBatchAt(0), 0)).rejects.toThrow(/worker 2 of 2 failed at step 2/);
    disposeModel(model);
    await pool.close();
  });

  it('a worker that dies stops the run with a message naming it', async () => {
    // Worker 1 is killed when step 2 is sent to it.
    const dying: SpawnReplica = (index) => {
      const port = nodeReplicas(index);
      if (index !== 0) return port;
      return { ...port, post: (m, transfer) => (m.type === 'step' && m.step === 2 ? void port.terminate() : port.post(m, transfer)) };
    };
    const pool = new ParallelGradients({ workers: 2, spawn: dying, backend: 'cpu' });
    const r = await runIntoFault('dies', pool);
    expect(r.error?.message).toMatch(/^training worker 1 of 2 died at step 2: exited with code/);
    expect(r.state.step).toBe(2);
    expect(r.drift).toBe(0);
    await pool.close();
  });

  it('no tensor count grows over 200 steps, in the coordinator or any worker', async () => {
    const pool = new ParallelGradients({ workers: 2, spawn: nodeReplicas, backend: 'cpu' });
    const model = initModel(tiny, 9);
    const main: number[] = [];
    const workers: number[][] = [];
    const trainer = new Trainer(
      job(model, 200, {
        gradients: pool,
        onEvent: (e) => {
          if (e.type !== 'step') return;
          main.push(tf.memory().numTensors);
          workers.push([...pool.replicaTensors]);
        },
      }),
    );
    await trainer.run();
    expect(main).toHaveLength(200);
    expect(workers[199]).toHaveLength(2);
    expect(main[199]).toBe(main[1]);
    expect(workers[199]).toEqual(workers[1]);
    expect(new Set(workers.slice(1).map((w) => w.join())).size).toBe(1);
    trainer.dispose();
    disposeModel(model);
    await pool.close();
  });
});
