/**
 * Checkpoint storage (lib/train/storage.ts), in memory and in IndexedDB (fake-indexeddb): one checkpoint per
 * run and stage, so a second run (same seed) and a diverging run leave the first run's checkpoints as they
 * were; the metadata and the loss series a resumed run needs; explicit deletion; the schema-1 upgrade.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { IDBFactory } from 'fake-indexeddb';
import { disposeModel, initModel } from '@/lib/a3/model';
import { Tokenizer } from '@/lib/a3/tokenizer';
import { MANIFEST_FILE, serializeModel } from '@/lib/a3/weights';
import { defaultCurriculum, type Curriculum } from '@/lib/train/curriculum';
import { prepareData, stageTrainer } from '@/lib/train/finetune';
import {
  IndexedDbCheckpointStore,
  MemoryCheckpointStore,
  checkpointKey,
  checkpointRecord,
  isRunFinished,
  lossesBefore,
  newRunId,
  resumableRuns,
  type CheckpointStore,
  type LegacyCheckpoint,
  type LossPoint,
  type RunSpec,
  type StoredCheckpoint,
} from '@/lib/train/storage';
import type { TrainerState } from '@/lib/train/trainer';
import { tiny, useCpu } from '../helpers/tf';

beforeAll(async () => {
  await useCpu();
});

const TEXT = 'The quick brown fox jumps over the lazy dog. A small cat sat on the warm mat and looked at the moon. '.repeat(12);
const PLAN: Curriculum = { ...defaultCurriculum(20), stages: defaultCurriculum(20).stages.slice(0, 2) };
const SPEC: RunSpec = { text: 'some text', plan: PLAN, batch: 2, seed: 9 };

function state(stage: string, losses: number[], step = losses.length): TrainerState {
  return { stage, step, optimizer: { step, slots: [] }, history: losses.map((loss, i) => ({ step: i, loss })), evals: [], elapsedSec: step / 10 };
}

function record(runId: string, stageIndex: number, losses: number[], earlier: LossPoint[] = [], savedAt = 1000): StoredCheckpoint {
  const files = { [MANIFEST_FILE]: JSON.stringify({ run: runId, stageIndex, step: losses.length }), 'weights-000.bin': Float32Array.of(stageIndex, losses.length).buffer };
  return checkpointRecord({ runId, runStartedAt: 500, run: SPEC, stageIndex, files, state: state(PLAN.stages[stageIndex].name, losses), earlierLosses: earlier, savedAt });
}

const stores: [string, () => CheckpointStore][] = [
  ['memory', () => new MemoryCheckpointStore()],
  ['IndexedDB', () => new IndexedDbCheckpointStore(new IDBFactory())],
];

describe.each(stores)('%s checkpoint store', (_name, makeStore) => {
  it('keeps one checkpoint per run and stage: a second run with the same seed replaces nothing', async () => {
    const store = makeStore();
    await store.put(record('run-a', 0, [5, 4, 3], [], 1000));
    await store.put(record('run-a', 0, [5, 4, 3, 2.5], [], 1100)); // the same stage going on: replaced
    await store.put(record('run-b', 0, [5, 4.5], [], 1200));
    const list = await store.list();
    expect(list.map((c) => c.key)).toEqual([checkpointKey('run-b', 0), checkpointKey('run-a', 0)]);
    expect(list[1]).toEqual({
      key: 'run-a/0',
      label: `run un-a · ${PLAN.stages[0].name} @ step 4`,
      runId: 'run-a',
      runStartedAt: 500,
      stageIndex: 0,
      stage: PLAN.stages[0].name,
      stageSteps: 20,
      stageCount: 2,
      step: 4,
      loss: 3.625,
      savedAt: 1100,
      losses: [5, 4, 3, 2.5].map((loss, step) => ({ stageIndex: 0, step, loss })),
    });
    expect(list[1]).not.toHaveProperty('files');
    const a = await store.get('run-a/0');
    expect(a?.state.step).toBe(4);
    expect(new Float32Array(a?.files['weights-000.bin'] as ArrayBuffer)).toEqual(Float32Array.of(0, 4));
    expect(a?.run).toEqual(SPEC);
    expect(await store.get('nope')).toBeUndefined();
  });

  it("gives a resumed run its history: this stage's in the trainer state, earlier stages' in the series", async () => {
    const store = makeStore();
    const first = record('run-r', 0, Array.from({ length: 20 }, (_, i) => 6 - i / 10));
    await store.put(first);
    await store.put(record('run-r', 1, [4.2, 4.1, 4.0], first.losses));
    const latest = resumableRuns(await store.list());
    expect(latest.map((c) => [c.key, c.step])).toEqual([['run-r/1', 3]]);
    const resumed = await store.get(latest[0].key);
    expect(resumed?.state.history.map((h) => h.loss)).toEqual([4.2, 4.1, 4.0]);
    expect(lossesBefore(latest[0], 1)).toEqual(first.losses);
    expect(latest[0].losses).toHaveLength(23);
    expect(latest[0].losses.slice(20)).toEqual([4.2, 4.1, 4.0].map((loss, step) => ({ stageIndex: 1, step, loss })));
  });

  it('deletes only what it is told: one checkpoint, or every checkpoint of one run', async () => {
    const store = makeStore();
    await store.put(record('run-a', 0, [1]));
    await store.put(record('run-a', 1, [1]));
    await store.put(record('run-b', 0, [1]));
    await store.delete('run-a/0');
    expect((await store.list()).map((c) => c.key).sort()).toEqual(['run-a/1', 'run-b/0']);
    expect(await store.get('run-a/0')).toBeUndefined();
    await store.deleteRun('run-a');
    expect((await store.list()).map((c) => c.key)).toEqual(['run-b/0']);
    expect(await store.get('run-b/0')).toBeDefined();
  });

  it('takes a checkpoint in the schema-1 shape (no run id) and fills in its metadata', async () => {
    const store = makeStore();
    const legacy: LegacyCheckpoint = {
      key: `run-7-${PLAN.stages[1].name}`,
      label: `${PLAN.stages[1].name} @ step 2`,
      savedAt: 42,
      step: 2,
      stage: PLAN.stages[1].name,
      files: { [MANIFEST_FILE]: '{}' },
      state: state(PLAN.stages[1].name, [3, 2]),
      run: { text: 'old text', plan: PLAN },
    };
    await store.put(legacy);
    const [meta] = await store.list();
    expect(meta).toMatchObject({ key: legacy.key, runId: legacy.key, stageIndex: 1, stageSteps: 20, stageCount: 2, step: 2, loss: 2.5, savedAt: 42 });
    expect((await store.get(legacy.key))?.run).toEqual({ text: 'old text', plan: PLAN, batch: null, seed: 7 });
  });
});

describe('run ids and the resume list', () => {
  it('newRunId is fresh on every call, even within one millisecond', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newRunId(1_700_000_000_000)));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^run-[0-9a-z]+-[0-9a-f]{8}$/);
  });

  it('resumableRuns offers each unfinished run once, at its furthest checkpoint, newest first', () => {
    const done = record('run-done', 1, Array(20).fill(1), [], 3000);
    const list = [record('run-x', 0, Array(20).fill(1), [], 1000), record('run-x', 1, [1, 1], [], 2000), record('run-y', 0, [1], [], 2500), record('run-done', 0, Array(20).fill(1), [], 2900), done];
    expect(isRunFinished(done)).toBe(true);
    expect(resumableRuns(list).map((c) => c.key)).toEqual(['run-y/0', 'run-x/1']);
  });

  it('refuses a stage the plan does not have', () => {
    const input = { runId: 'run-z', runStartedAt: 0, run: SPEC, stageIndex: 5, files: {}, state: state('x', [1]), earlierLosses: [] };
    expect(() => checkpointRecord(input)).toThrow("stage 5 is not in the run's plan (2 stages)");
  });
});

describe('IndexedDB store', () => {
  it('upgrades a schema-1 database, keeping every checkpoint', async () => {
    const factory = new IDBFactory();
    const old = `run-3-${PLAN.stages[0].name}`;
    await new Promise<void>((resolve, reject) => {
      const r = factory.open('a3-studio', 1);
      r.onupgradeneeded = () => r.result.createObjectStore('checkpoints', { keyPath: 'key' });
      r.onsuccess = () => {
        const tx = r.result.transaction('checkpoints', 'readwrite');
        const legacy: LegacyCheckpoint = { key: old, label: 'l', savedAt: 7, step: 3, stage: PLAN.stages[0].name, files: { [MANIFEST_FILE]: 'weights' }, state: state(PLAN.stages[0].name, [4, 3, 2]), run: { text: 't', plan: PLAN } };
        tx.objectStore('checkpoints').put(legacy);
        tx.oncomplete = () => (r.result.close(), resolve());
      };
      r.onerror = () => reject(r.error);
    });
    const store = new IndexedDbCheckpointStore(factory);
    expect(await store.list()).toMatchObject([{ key: old, runId: old, stageIndex: 0, step: 3, loss: 3, savedAt: 7 }]);
    expect((await store.get(old))?.files[MANIFEST_FILE]).toBe('weights');
  });

  it('says so when IndexedDB is not there', async () => {
    await expect(new IndexedDbCheckpointStore(undefined).list()).rejects.toThrow('IndexedDB is not available here: checkpoints cannot be saved');
  });
});

describe('a diverging run next to a good one (Trainer + store, as the worker wires them)', () => {
  /** One stage of a fine-tune with checkpoints saved under `runId`, as the worker saves them. */
  async function fineTune(store: CheckpointStore, runId: string, lr: number, checkpointEvery: number) {
    const tokenizer = Tokenizer.train(TEXT, 40);
    const model = initModel({ ...tiny, vocabSize: tokenizer.vocabSize, maxLen: 32 }, 5);
    const plan: Curriculum = { ...PLAN, stages: [{ ...PLAN.stages[0], steps: 20, lr, warmup: 1 }] };
    const run: RunSpec = { text: TEXT, plan, batch: 2, seed: 9 };
    const trainer = stageTrainer(
      {
        model,
        data: prepareData(TEXT, tokenizer, 32),
        plan,
        batch: 2,
        seed: 9,
        evalEvery: 0,
        checkpointEvery,
        onEvent: () => undefined,
        checkpoint: async (s) => {
          const { manifest, shards } = await serializeModel(model);
          await store.put(checkpointRecord({ runId, runStartedAt: 0, run, stageIndex: 0, files: { [MANIFEST_FILE]: JSON.stringify(manifest), ...shards }, state: s, earlierLosses: [] }));
        },
        shouldStop: () => false,
        betweenSteps: async () => undefined,
      },
      0,
    );
    const done = await trainer.run();
    trainer.dispose();
    disposeModel(model);
    return done;
  }

  it('stops as diverged and leaves the good run as it was; its own checkpoints all predate the divergence', async () => {
    const store = new MemoryCheckpointStore();
    expect((await fineTune(store, 'run-good', 3e-3, 10)).reason).toBe('finished');
    const good = await store.get('run-good/0');
    expect(good?.step).toBe(20);
    // lr 5, as in issue 14: saving after every step, so the only question is whether the diverged state is saved.
    const done = await fineTune(store, 'run-bad', 5, 1);
    expect(done.reason).toBe('diverged');
    expect(done.warning).toMatch(/^the loss diverged: \d+\.\d\d nats\/token over the last \d+ steps/);
    expect(await store.get('run-good/0')).toEqual(good);
    const bad = await store.get('run-bad/0');
    expect(bad?.step).toBe(done.step - 1);
    expect(bad?.state.history).toHaveLength(done.step - 1);
  }, 60_000);
});
