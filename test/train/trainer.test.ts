import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useCpu, tiny, maxAbsDiff } from '../helpers/tf';
import { disposeModel, initModel, trainableVariables, type A3Model } from '@/lib/a3/model';
import { a3Loss, arLoss } from '@/lib/a3/likelihood';
import { bufferSource, loadModel, serializeModel, MANIFEST_FILE } from '@/lib/a3/weights';
import { randomWindows, stepSeed } from '@/lib/train/batches';
import { batchGroupIds } from '@/lib/train/curriculum';
import { learningRate, type LrSchedule } from '@/lib/train/schedule';
import { Trainer, type TrainEvent, type TrainJob, type TrainerState } from '@/lib/train/trainer';

beforeAll(async () => {
  await useCpu();
});

const B = 4;
const T = 12;
const PATTERN = [4, 9, 5, 12, 7, 10];
/** A small repetitive token stream: the period-6 pattern, learnable in a few dozen steps. */
const STREAM = Int32Array.from({ length: 300 }, (_, i) => PATTERN[i % PATTERN.length]);

interface Batch {
  step: number;
  batch: number;
  tokens: Int32Array;
  groupIds: Int32Array;
}

function batchAt(step: number, seed = 1): Batch {
  const w = randomWindows(STREAM, B, T, stepSeed(seed, step));
  const groupIds = batchGroupIds({ kind: 'random', size: 4 }, B, T, 'batch', stepSeed(seed + 100, step));
  return { step, batch: B, tokens: w.tokens, groupIds };
}

const schedule = (steps: number, peak = 1e-2): LrSchedule => ({ peak, warmup: Math.max(1, Math.floor(steps / 10)), total: steps, minRatio: 0.1 });

function job(model: A3Model, steps: number, extra: Partial<TrainJob<Batch>> = {}): TrainJob<Batch> {
  return {
    model,
    stage: 'test',
    steps,
    schedule: schedule(steps),
    tokensPerStep: B * T,
    batchAt: (s) => batchAt(s),
    loss: (m, b) => arLoss(m, b),
    ...extra,
  };
}

const snapshot = (m: A3Model) => trainableVariables(m).map((v) => Float32Array.from(v.dataSync()));
const same = (a: Float32Array[], b: Float32Array[]) => a.every((x, i) => maxAbsDiff(x, b[i]) === 0);
const stepEvents = (events: TrainEvent[]) => events.filter((e): e is TrainEvent & { type: 'step' } => e.type === 'step');

describe('Trainer', () => {
  it('reduces the AR loss on the tiny config; step events carry the documented fields', async () => {
    const model = initModel(tiny, 1);
    const events: TrainEvent[] = [];
    const steps = 30;
    const trainer = new Trainer(job(model, steps, { onEvent: (e) => events.push(e) }));
    const done = await trainer.run();
    expect(done).toMatchObject({ type: 'done', reason: 'finished', step: steps, stage: 'test' });
    const s = stepEvents(events);
    expect(s).toHaveLength(steps);
    s.forEach((e, i) => {
      expect(e.stage).toBe('test');
      expect(e.step).toBe(i + 1);
      expect(e.steps).toBe(steps);
      expect(Number.isFinite(e.loss)).toBe(true);
      expect(e.lr).toBeCloseTo(learningRate(schedule(steps), i), 12);
      expect(e.gradNorm).toBeGreaterThan(0);
      expect(e.tokensPerSec).toBeGreaterThan(0);
      expect(Number.isFinite(e.tokensPerSec)).toBe(true);
      expect(e.etaSec).toBeGreaterThanOrEqual(0);
      expect(e.elapsedSec).toBeGreaterThan(0);
    });
    expect(s[steps - 1].etaSec).toBe(0);
    expect(events[events.length - 1]).toEqual(done);
    expect(trainer.history.map((h) => h.step)).toEqual(Array.from({ length: steps }, (_, i) => i));
    const first = s[0].loss;
    const last = (s[steps - 1].loss + s[steps - 2].loss + s[steps - 3].loss) / 3;
    expect(first).toBeGreaterThan(Math.log(tiny.vocabSize) * 0.8);
    expect(last).toBeLessThan(first * 0.6);
    trainer.dispose();
    disposeModel(model);
  });

  it('reduces the A3 loss (random s=4 groupings) on the tiny config', async () => {
    const model = initModel(tiny, 2);
    const trainer = new Trainer(job(model, 30, { loss: (m, b) => a3Loss(m, b) }));
    await trainer.run();
    const h = trainer.history.map((x) => x.loss);
    const last = (h[h.length - 1] + h[h.length - 2] + h[h.length - 3]) / 3;
    expect(last).toBeLessThan(h[0] - 0.5);
    trainer.dispose();
    disposeModel(model);
  });

  it('checkpoint + resume continues exactly like an uninterrupted run', async () => {
    const N = 6;
    const k = 3;
    const model = initModel(tiny, 3);
    const reference: number[] = [];
    let saved: { files: Record<string, ArrayBuffer | string>; state: TrainerState } | null = null;
    const hookSteps: number[] = [];
    const uninterrupted = new Trainer(
      job(model, N, {
        loss: (m, b) => a3Loss(m, b),
        onEvent: (e) => e.type === 'step' && reference.push(e.loss),
        checkpointEvery: k,
        checkpoint: async (state) => {
          hookSteps.push(state.step);
          if (state.step !== k) return;
          const { manifest, shards } = await serializeModel(model);
          // what a storage backend does: copy the state when it is handed over
          saved = { files: { [MANIFEST_FILE]: JSON.stringify(manifest), ...shards }, state: structuredClone(state) };
        },
      }),
    );
    await uninterrupted.run();
    expect(hookSteps).toEqual([k, N]);
    expect(reference).toHaveLength(N);
    uninterrupted.dispose();

    const { model: fresh } = await loadModel(bufferSource(saved!.files));
    const resumedLosses: number[] = [];
    const resumed = new Trainer(
      job(fresh, N, { loss: (m, b) => a3Loss(m, b), onEvent: (e) => e.type === 'step' && resumedLosses.push(e.loss) }),
      saved!.state,
    );
    expect(resumed.step).toBe(k);
    const done = await resumed.run();
    expect(done.step).toBe(N);
    expect(resumedLosses).toHaveLength(N - k);
    expect(maxAbsDiff(resumedLosses, reference.slice(k))).toBeLessThan(1e-4);
    expect(maxAbsDiff(resumed.history.map((h) => h.loss), reference)).toBeLessThan(1e-4);
    // the two models end in the same place
    const a = snapshot(model);
    const b = snapshot(fresh);
    a.forEach((x, i) => expect(maxAbsDiff(x, b[i])).toBeLessThan(1e-5));
    resumed.dispose();
    disposeModel(model);
    disposeModel(fresh);
  });

  it('refuses to resume a checkpoint of another stage', () => {
    const model = initModel(tiny, 4);
    const state: TrainerState = { stage: 'other', step: 1, optimizer: { step: 1, slots: [] }, history: [], evals: [], elapsedSec: 0 };
    expect(() => new Trainer(job(model, 3), state)).toThrow(/stage "other"/);
    disposeModel(model);
  });

  // BUG (lib/train/trainer.ts saveCheckpoint / constructor): the state handed to the checkpoint
  // hook is a shallow copy `{ ...this.state }`, so its `history`/`evals` arrays are the trainer's own
  // and keep growing after the hook returns; likewise `this.state = { ...resume }` pushes into the
  // caller's resume object. A hook that keeps the object (in-memory/IndexedDB store, UI) gets a
  // state whose history no longer matches its step.
  it('the state handed to the checkpoint hook is a snapshot (later steps do not change it)', async () => {
    const model = initModel(tiny, 5);
    const states: TrainerState[] = [];
    const trainer = new Trainer(job(model, 4, { checkpointEvery: 2, checkpoint: async (s) => void states.push(s) }));
    await trainer.run();
    expect(states.map((s) => s.step)).toEqual([2, 4]);
    expect(states[0].history).toHaveLength(2);
    const resumeFrom = structuredClone(states[1]);
    const before = resumeFrom.history.length;
    const resumed = new Trainer(job(model, 6), resumeFrom);
    await resumed.run();
    expect(resumeFrom.history, 'resume must not write into the caller’s state').toHaveLength(before);
    trainer.dispose();
    resumed.dispose();
    disposeModel(model);
  });

  it('skips a non-finite step without touching the weights, then carries on', async () => {
    const model = initModel(tiny, 6);
    const bad = 2;
    const events: TrainEvent[] = [];
    let afterStep: Float32Array[] = [];
    let atSkip: Float32Array[] = [];
    const trainer = new Trainer(
      job(model, 5, {
        loss: (m, b) => (b.step === bad ? (tf.mul(arLoss(m, b), NaN) as tf.Scalar) : arLoss(m, b)),
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'step' && e.step === bad) afterStep = snapshot(model); // after step index bad-1
          if (e.type === 'skip') atSkip = snapshot(model);
        },
      }),
    );
    const done = await trainer.run();
    const skips = events.filter((e) => e.type === 'skip');
    expect(skips).toHaveLength(1);
    expect(skips[0]).toMatchObject({ type: 'skip', stage: 'test', step: bad });
    expect((skips[0] as { reason: string }).reason).toMatch(/non-finite/);
    expect(afterStep.length).toBeGreaterThan(0);
    expect(same(afterStep, atSkip)).toBe(true);
    expect(done.reason).toBe('finished');
    expect(done.step).toBe(5);
    expect(stepEvents(events).map((e) => e.step)).toEqual([1, 2, 4, 5]);
    expect(trainer.history.map((h) => h.step)).toEqual([0, 1, 3, 4]);
    expect(snapshot(model).every((x) => x.every(Number.isFinite))).toBe(true);
    trainer.dispose();
    disposeModel(model);
  });

  it('stops as diverged after maxNonFinite bad steps in a row and keeps the last good checkpoint', async () => {
    const model = initModel(tiny, 7);
    const hook: { step: number; weights: Float32Array[] }[] = [];
    const events: TrainEvent[] = [];
    const trainer = new Trainer(
      job(model, 20, {
        loss: (m, b) => (b.step >= 4 ? (tf.add(arLoss(m, b), Infinity) as tf.Scalar) : arLoss(m, b)),
        maxNonFinite: 3,
        checkpointEvery: 2,
        checkpoint: async (s) => void hook.push({ step: s.step, weights: snapshot(model) }),
        onEvent: (e) => events.push(e),
      }),
    );
    const done = await trainer.run();
    expect(done.reason).toBe('diverged');
    expect(done.warning).toMatch(/^the loss diverged: 3 steps in a row had a non-finite loss or gradient/);
    expect(events.filter((e) => e.type === 'skip').map((e) => e.step)).toEqual([4, 5, 6]);
    expect(hook.map((h) => h.step)).toEqual([2, 4]);
    expect(events.filter((e) => e.type === 'checkpoint').map((e) => e.step)).toEqual([2, 4]);
    // the last checkpoint's weights are the model's weights: the bad steps changed nothing
    expect(same(hook[1].weights, snapshot(model))).toBe(true);
    trainer.dispose();
    disposeModel(model);
  });

  it('stops as diverged when the loss climbs far above its start: no evaluation, no checkpoint of that state', async () => {
    const model = initModel(tiny, 9);
    // 3 nats for ten steps, then 20: the 10-step mean passes 3 + 3 at the second bad step (index 11).
    const script = (step: number) => (step < 10 ? 3 : 20);
    const saved: number[] = [];
    const events: TrainEvent[] = [];
    const trainer = new Trainer(
      job(model, 30, {
        loss: (m, b) => tf.tidy(() => tf.add(tf.mul(arLoss(m, b), 0), script(b.step)) as tf.Scalar),
        checkpointEvery: 5,
        checkpoint: async (s) => void saved.push(s.step),
        evalEvery: 4,
        evaluate: () => ({ valLoss: 0 }),
        onEvent: (e) => events.push(e),
      }),
    );
    const done = await trainer.run();
    expect(done).toMatchObject({ type: 'done', reason: 'diverged', step: 12 });
    expect(done.warning).toMatch(/^the loss diverged: 6\.40 nats\/token over the last 10 steps, against 3\.00 at the start of the stage/);
    expect(saved).toEqual([5, 10]);
    expect(events.filter((e) => e.type === 'eval').map((e) => e.step)).toEqual([4, 8]);
    expect(stepEvents(events).at(-1)).toMatchObject({ step: 12, loss: 20 });
    expect(events.at(-1)).toEqual(done);
    trainer.dispose();
    disposeModel(model);
  });

  it('non-finite steps that are not consecutive do not count as divergence', async () => {
    const model = initModel(tiny, 8);
    const trainer = new Trainer(
      job(model, 8, {
        loss: (m, b) => (b.step % 2 === 1 ? (tf.mul(arLoss(m, b), NaN) as tf.Scalar) : arLoss(m, b)),
        maxNonFinite: 2,
      }),
    );
    const done = await trainer.run();
    expect(done.reason).toBe('finished');
    expect(trainer.history).toHaveLength(4);
    trainer.dispose();
    disposeModel(model);
  });

  it('shouldStop ends the run as stopped and writes a checkpoint', async () => {
    const model = initModel(tiny, 9);
    const hookSteps: number[] = [];
    const events: TrainEvent[] = [];
    let n = 0;
    const trainer = new Trainer(
      job(model, 10, {
        shouldStop: () => n >= 3,
        betweenSteps: async () => void n++,
        checkpoint: async (s) => void hookSteps.push(s.step),
        onEvent: (e) => events.push(e),
      }),
    );
    const done = await trainer.run();
    expect(done).toMatchObject({ reason: 'stopped', step: 3 });
    expect(hookSteps).toEqual([3]);
    expect(events.map((e) => e.type)).toEqual(['step', 'step', 'step', 'checkpoint', 'done']);
    trainer.dispose();
    disposeModel(model);
  });

  it('runs evaluation every evalEvery steps and at the end', async () => {
    const model = initModel(tiny, 10);
    const events: TrainEvent[] = [];
    const trainer = new Trainer(job(model, 5, { evalEvery: 2, evaluate: () => ({ nll: 1 }), onEvent: (e) => events.push(e) }));
    await trainer.run();
    expect(events.filter((e) => e.type === 'eval').map((e) => e.step)).toEqual([2, 4, 5]);
    expect(trainer.evals.map((e) => e.step)).toEqual([2, 4, 5]);
    trainer.dispose();
    disposeModel(model);
  });

  it('does not grow the tensor count across steps (A3 and AR losses)', async () => {
    const model = initModel(tiny, 11);
    for (const loss of [(m: A3Model, b: Batch) => a3Loss(m, b), (m: A3Model, b: Batch) => arLoss(m, b)]) {
      const counts: number[] = [];
      const trainer = new Trainer(job(model, 8, { loss, onEvent: (e) => e.type === 'step' && counts.push(tf.memory().numTensors) }));
      await trainer.run();
      expect(counts).toHaveLength(8);
      expect(counts[7]).toBe(counts[1]);
      trainer.dispose();
    }
    disposeModel(model);
  });

  // BUG (lib/train/optim.ts, AdamW constructor, lines 40-41): `tf.variable(tf.zerosLike(variable), false)`
  // never disposes the zerosLike tensor, so every AdamW (one per Trainer, i.e. per curriculum stage)
  // leaks 2 tensors per model variable (moment-sized memory) even after dispose().
  it('Trainer.dispose frees everything its optimizer allocated', () => {
    const model = initModel(tiny, 12);
    const base = tf.memory().numTensors;
    const t2 = new Trainer(job(model, 1));
    t2.dispose();
    expect(tf.memory().numTensors).toBe(base);
    disposeModel(model);
  });
});
