/**
 * Data-parallel training (lib/train/parallel.ts) on Node worker threads, cpu
 * backend, tiny config: the averaged gradient equals one thread's gradient of
 * the whole batch, N-worker training follows one-thread training, and a
 * resumed N-worker run continues exactly where it stopped.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useCpu, tiny, maxAbsDiff } from '../helpers/tf';
import { corrupt } from '@/lib/a3/mdlm';
import { disposeModel, initModel, trainableVariables, type A3Model } from '@/lib/a3/model';
import { randomWindows, stepSeed } from '@/lib/train/batches';
import { batchGroupIds, stageBatchGrouping } from '@/lib/train/curriculum';
import { trainLoss, type TrainBatch } from '@/lib/train/losses';
import { ParallelGradients } from '@/lib/train/parallel';
import { nodeReplicas } from '@/lib/train/parallel-node';
import { localGradients, Trainer, type TrainEvent, type TrainJob } from '@/lib/train/trainer';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint } from '@/scripts/lib/checkpoints';

const B = 3; // two workers get uneven shares: rows [0, 1) and [1, 3)
const T = 12;
const PATTERN = [4, 9, 5, 12, 7, 10];
const STREAM = Int32Array.from({ length: 300 }, (_, i) => PATTERN[i % PATTERN.length]);

let pool: ParallelGradients;
let root: string;

beforeAll(async () => {
  await useCpu();
  pool = new ParallelGradients({ workers: 2, spawn: nodeReplicas, backend: 'cpu' });
  root = mkdtempSync(join(tmpdir(), 'a3-parallel-'));
});
afterAll(async () => {
  await pool.close();
  rmSync(root, { recursive: true, force: true });
});

/** Row 0 padded at its tail: the shares then hold different numbers of targets (7 vs 24 for A3). */
function padded(): Uint8Array {
  const pad = new Uint8Array(B * T);
  pad.fill(1, T - 5, T);
  return pad;
}

function batches(): Record<string, TrainBatch> {
  const w = randomWindows(STREAM, B, T, 11);
  return {
    ar: { kind: 'ar', ...w, pad: padded() },
    a3: { kind: 'a3', ...w, pad: padded(), groupIds: batchGroupIds({ kind: 'random', size: 4 }, B, T, 'sequence', 5) },
    mdlm: { kind: 'mdlm', ...w, corruption: corrupt(w.tokens, B, 7) },
    // Span infilling gives each row its own context, so the shares score different numbers of A3 targets.
    'a3 span infill': { kind: 'a3', ...w, ...spanGrouping(3) },
    joint: { kind: 'joint', ...w, pad: padded(), groupIds: batchGroupIds({ kind: 'random', size: 4 }, B, T, 'sequence', 5) },
    'joint span infill': { kind: 'joint', ...w, ...spanGrouping(9) },
  };
}

function spanGrouping(seed: number): { groupIds: Int32Array; given?: Uint8Array } {
  const stage = { name: 'spans', steps: 1, lr: 1, warmup: 0, grouping: { kind: 'span-infill', size: 1, order: 'left-to-right' } as const };
  return stageBatchGrouping(stage, B, T, 'sequence', seed);
}

function a3BatchAt(step: number): TrainBatch {
  const w = randomWindows(STREAM, B, T, stepSeed(1, step));
  return { kind: 'a3', ...w, groupIds: batchGroupIds({ kind: 'random', size: 4 }, B, T, 'batch', stepSeed(101, step)) };
}

function job(model: A3Model, steps: number, extra: Partial<TrainJob<TrainBatch>> = {}): TrainJob<TrainBatch> {
  return {
    model,
    stage: 'test',
    steps,
    schedule: { peak: 1e-2, warmup: 2, total: steps, minRatio: 0.1 },
    tokensPerStep: B * T,
    batchAt: a3BatchAt,
    loss: trainLoss,
    ...extra,
  };
}

const weightsOf = (m: A3Model) => trainableVariables(m).map((v) => Float32Array.from(v.dataSync()));
const maxDiff = (a: Float32Array[], b: Float32Array[]) => Math.max(...a.map((x, i) => maxAbsDiff(x, b[i])));

describe('ParallelGradients', () => {
  it('2 workers give the gradient of the whole batch (AR, A3, joint, MDLM, span infilling; uneven, padded shares)', async () => {
    const model = initModel(tiny, 3);
    for (const [kind, batch] of Object.entries(batches())) {
      const one = await localGradients(trainLoss).compute(model, batch, 0);
      const two = await pool.compute(model, batch, 0);
      expect(Object.keys(two.grads).sort(), kind).toEqual(Object.keys(one.grads).sort());
      expect(two.loss.dataSync()[0], kind).toBeCloseTo(one.loss.dataSync()[0], 5);
      for (const name of Object.keys(one.grads)) {
        const scale = Math.max(1e-3, ...Array.from(one.grads[name].abs().max().dataSync()));
        expect(maxAbsDiff(two.grads[name].dataSync(), one.grads[name].dataSync()) / scale, `${kind} ${name}`).toBeLessThan(1e-4);
      }
      tf.dispose([one.loss, two.loss, ...Object.values(one.grads), ...Object.values(two.grads)]);
    }
    // The AR loss never reaches w: no gradient for it, from either source.
    const ar = await pool.compute(model, batches().ar, 0);
    expect(ar.grads[model.queryEmbed.name]).toBeUndefined();
    tf.dispose([ar.loss, ...Object.values(ar.grads)]);
    disposeModel(model);
  });

  it('k steps with 2 workers match k steps on one thread; the run is deterministic', async () => {
    const steps = 6;
    const runs: Float32Array[][] = [];
    const events: TrainEvent[] = [];
    for (const gradients of [undefined, pool, pool]) {
      const model = initModel(tiny, 4);
      const trainer = new Trainer(job(model, steps, { gradients, onEvent: (e) => events.push(e) }));
      const done = await trainer.run();
      expect(done).toMatchObject({ reason: 'finished', step: steps });
      runs.push(weightsOf(model));
      trainer.dispose();
      disposeModel(model);
    }
    expect(maxDiff(runs[1], runs[0])).toBeLessThan(1e-4);
    expect(maxDiff(runs[2], runs[1])).toBe(0); // same seed, same worker count: bit for bit
    const workers = events.filter((e): e is TrainEvent & { type: 'step' } => e.type === 'step').map((e) => e.workers);
    expect(workers).toEqual([...Array(steps).fill(1), ...Array(2 * steps).fill(2)]);
  });

  it('a 2-worker run resumed from its checkpoint continues as if never stopped', async () => {
    const steps = 6;
    const straight = initModel(tiny, 5);
    const full = new Trainer(job(straight, steps, { gradients: pool }));
    await full.run();
    const dir = join(root, 'resume');
    const first = initModel(tiny, 5);
    let n = 0;
    const stopped = new Trainer(
      job(first, steps, {
        gradients: pool,
        shouldStop: () => n >= 3,
        betweenSteps: async () => void n++,
        checkpoint: (state) => saveCheckpoint(dir, first, state).then(() => undefined),
      }),
    );
    expect(await stopped.run()).toMatchObject({ reason: 'stopped', step: 3 });
    const folder = latestCheckpoint(dir);
    expect(folder).not.toBeNull();
    const { model: resumedModel, state } = await loadCheckpoint(folder as string); // checked just above
    const resumed = new Trainer(job(resumedModel, steps, { gradients: pool }), state);
    await resumed.run();
    expect(resumed.history.map((h) => h.step)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(resumed.history[3].loss).toBe(full.history[3].loss);
    expect(resumed.history.map((h) => h.loss)).toEqual(full.history.map((h) => h.loss));
    expect(maxDiff(weightsOf(resumedModel), weightsOf(straight))).toBe(0);
    [full, stopped, resumed].forEach((t) => t.dispose());
    [straight, first, resumedModel].forEach(disposeModel);
  });

  it('refuses a bad worker count, and a second step while one is in flight', async () => {
    expect(() => new ParallelGradients({ workers: 0, spawn: nodeReplicas, backend: 'cpu' })).toThrow(/positive integer/);
    const model = initModel(tiny, 6);
    const first = pool.compute(model, a3BatchAt(0), 0);
    await expect(pool.compute(model, a3BatchAt(1), 1)).rejects.toThrow(/one step at a time/);
    const done = await first;
    tf.dispose([done.loss, ...Object.values(done.grads)]);
    disposeModel(model);
  });
});
