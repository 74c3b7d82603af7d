/**
 * The store's side of training runs: a resumed run gets its loss chart back, a fault shows "recovering on X
 * from step N" until the run goes on, a diverged run keeps its warning, which weights each slot holds comes
 * from the worker's `weights` events, and after a reload the last fine-tune is offered back.
 */
import { describe, expect, it } from 'vitest';
import { PRESETS } from '@/lib/a3/config';
import { createStudioStore, type StudioStore } from '@/lib/store';
import type { KeyValueStorage } from '@/lib/store/slices/context';
import { LAST_FINE_TUNE_KEY, lastFineTuneOffer, weightsLabel } from '@/lib/store/slices/models';
import { defaultCurriculum } from '@/lib/train/curriculum';
import type { CheckpointMeta } from '@/lib/train/storage';
import type { TrainEvent } from '@/lib/train/trainer';
import type { ActiveWeights, WorkerEvent } from '@/lib/worker/protocol';
import { checkpointMeta } from '../helpers/checkpoint-meta';
import { fakeClient, fakeFetch } from './fake-client';

const plan = { ...defaultCurriculum(6), stages: defaultCurriculum(6).stages.slice(0, 2) };
const stage = (i: number) => ({ stage: plan.stages[i].name, stageIndex: i });
const stepEvent = (i: number, n: number, loss: number): TrainEvent => ({
  type: 'step', ...stage(i), step: n, steps: 6, loss, lr: 1e-3, gradNorm: 1, tokensPerSec: 10, etaSec: 1, elapsedSec: 1,
});
/** Stage 0 done (6 losses), stage 1 at step 2: the run's latest checkpoint. */
const stage0 = checkpointMeta({ runId: 'run-abc-0000beef', plan, stageIndex: 0, losses: [5, 4.5, 4, 3.8, 3.6, 3.5], savedAt: 10 });
const latest: CheckpointMeta = { ...checkpointMeta({ runId: stage0.runId, plan, stageIndex: 1, losses: [3.4, 3.3], savedAt: 20 }), losses: [...stage0.losses, { stageIndex: 1, step: 0, loss: 3.4 }, { stageIndex: 1, step: 1, loss: 3.3 }] };
const fineTuned: ActiveWeights = { kind: 'fine-tuned', runId: latest.runId, stage: latest.stage, stageIndex: 1, step: 2, key: latest.key };

function memoryStorage(): KeyValueStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return { items, getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v), removeItem: (k) => void items.delete(k) };
}

function setup(storage: KeyValueStorage, list: CheckpointMeta[] = [stage0, latest]) {
  let store!: StudioStore;
  let checkpoints = list;
  const { client, sent } = fakeClient(
    {
      init: (c) => ({ type: 'ready', id: c.id, backend: 'cpu', reason: 'cpu' }),
      load: (c, emit) => {
        emit({ type: 'weights', kind: 'a3', weights: { kind: 'shipped', folder: 'base' } });
        return { type: 'loaded', id: c.id, model: { kind: 'a3', config: PRESETS.tiny, parameters: 1, bytes: 4, vocabSize: 16 } };
      },
      checkpoints: (c) => ({ type: 'checkpoints', id: c.id, list: checkpoints }),
      'delete-run': (c) => {
        if (c.type !== 'delete-run') throw new Error();
        checkpoints = checkpoints.filter((k) => k.runId !== c.runId);
        return { type: 'checkpoints', id: c.id, list: checkpoints };
      },
      restore: (c, emit) => {
        emit({ type: 'weights', kind: 'a3', weights: fineTuned });
        return { type: 'loaded', id: c.id, model: { kind: 'a3', config: PRESETS.tiny, parameters: 1, bytes: 4, vocabSize: 16 } };
      },
      'resume-run': async (c, emit) => {
        emit({ type: 'train-state', state: 'running' });
        emit({ type: 'run-started', id: c.id, runId: latest.runId, plan, resumedFrom: `checkpoint ${latest.label}`, losses: latest.losses });
        // Checked mid-run: the chart is back before any new step.
        expect(store.getState().training.train.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        expect(store.getState().training.runId).toBe(latest.runId);
        emit({ type: 'train-event', id: c.id, event: stepEvent(1, 3, 3.2) });
        emit({ type: 'recovering', id: c.id, from: 'webgpu', to: 'wasm', stageIndex: 1, step: 2 });
        expect(store.getState().training.recovering).toEqual({ backend: 'wasm', step: 8 });
        expect(store.getState().training.etaSec).toBeNull();
        emit({ type: 'train-event', id: c.id, event: stepEvent(1, 3, 3.25) });
        expect(store.getState().training.recovering).toBeNull();
        emit({ type: 'train-event', id: c.id, event: { type: 'done', ...stage(1), step: 3, reason: 'diverged', warning: 'the loss diverged: try a lower learning rate' } });
        emit({ type: 'weights', kind: 'a3', weights: fineTuned });
        emit({ type: 'train-state', state: 'idle' });
        return { type: 'done', id: c.id };
      },
    },
    () => (e: WorkerEvent) => store.getState().handleEvent(e),
  );
  store = createStudioStore({ client, fetchImpl: fakeFetch({ base: [[2]] }), storage });
  return { store, sent };
}

describe('training runs in the store', () => {
  it('resuming a run restores its loss chart; a fault shows recovering until the next step; a divergence keeps its warning', async () => {
    const { store, sent } = setup(memoryStorage());
    await store.getState().boot();
    await store.getState().resumeRun(latest.key);
    expect(sent.find((c) => c.type === 'resume-run')).toMatchObject({ type: 'resume-run', key: latest.key });
    const t = store.getState().training;
    // Six steps of stage 0, two of stage 1 from the checkpoint, then the resumed step 3 of stage 1 (global 9), replayed once.
    expect(t.train).toEqual([
      ...[5, 4.5, 4, 3.8, 3.6, 3.5].map((loss, i) => ({ step: i + 1, loss })),
      { step: 7, loss: 3.4 }, { step: 8, loss: 3.3 }, { step: 9, loss: 3.25 },
    ]);
    expect(t.stages.map((s) => s.startStep)).toEqual([0, 6]);
    expect(t.totalSteps).toBe(12);
    expect(t.ended).toBe('diverged');
    expect(t.warning).toMatch(/lower learning rate/);
    expect(store.getState().models.a3.weights).toEqual(fineTuned);
    expect(weightsLabel(store.getState().models.a3.weights)).toBe(`fine-tuned run beef at step 2 (${latest.stage})`);
  });

  it('deleting a run removes all its checkpoints from the list', async () => {
    const { store, sent } = setup(memoryStorage());
    await store.getState().boot();
    await new Promise((r) => setTimeout(r, 0)); // boot lists the checkpoints without waiting
    expect(store.getState().training.checkpoints).toHaveLength(2);
    await store.getState().deleteRun(latest.runId);
    expect(sent.at(-1)).toMatchObject({ type: 'delete-run', runId: latest.runId });
    expect(store.getState().training.checkpoints).toEqual([]);
  });

  it('remembers the fine-tune the slot held and offers it back after a reload, until other weights are chosen', async () => {
    const storage = memoryStorage();
    const first = setup(storage);
    await first.store.getState().boot();
    expect(weightsLabel(first.store.getState().models.a3.weights)).toBe('shipped base weights');
    await first.store.getState().restoreCheckpoint(latest.key);
    expect(storage.items.get(LAST_FINE_TUNE_KEY)).toBe(latest.key);

    // A reload: the page starts on shipped weights again and offers the fine-tune back.
    const again = setup(storage);
    await again.store.getState().boot();
    await new Promise((r) => setTimeout(r, 0));
    expect(lastFineTuneOffer(again.store.getState())?.key).toBe(latest.key);
    await again.store.getState().restoreCheckpoint(latest.key);
    expect(lastFineTuneOffer(again.store.getState())).toBeNull();

    // Imported weights replace the memory: nothing is offered after the next reload.
    again.store.getState().handleEvent({ type: 'weights', kind: 'a3', weights: { kind: 'imported', name: 'model.safetensors' } });
    expect(storage.items.has(LAST_FINE_TUNE_KEY)).toBe(false);
    expect(weightsLabel(again.store.getState().models.a3.weights)).toBe('imported model.safetensors');
    // A remembered checkpoint that was deleted meanwhile is not offered.
    storage.setItem(LAST_FINE_TUNE_KEY, 'run-deleted/0');
    const third = setup(storage);
    await third.store.getState().boot();
    await new Promise((r) => setTimeout(r, 0));
    expect(lastFineTuneOffer(third.store.getState())).toBeNull();
  });
});
