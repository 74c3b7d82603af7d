/**
 * Store slice "training": the Fine-tune cell's run (start, pause, single step, resume, stop), its events
 * folded into loss series (../training.ts), the checkpoints in IndexedDB, export and import of the A3 weights,
 * and the test-only fault buttons (`?faults=1`). Restoring or importing replaces the A3 model slot.
 */
import type { Curriculum } from '../../train/curriculum';
import type { FaultKind, RequestBody } from '../../worker/protocol';
import { beginRun, initialTraining, recoveringRun, reduceTrainEvent, startedRun, type TrainingState } from '../training';
import type { Slice, SliceContext } from './context';
import { patchModelSlot } from './models';

export interface StartTraining {
  text: string;
  plan: Curriculum;
  batch: number;
  seed: number;
  /** Web Workers sharing each step (wasm/cpu only; default 1). */
  workers?: number;
}

export interface TrainingData {
  training: TrainingState;
  /** `?faults=1`: the Fine-tune cell offers buttons that simulate a lost device / out of memory (tests). */
  faultsEnabled: boolean;
}

export interface TrainingActions {
  /** A new run (its own run id: it never replaces another run's checkpoints). */
  startTraining(o: StartTraining): Promise<void>;
  /** Goes on with the run of checkpoint `key` from its step, its loss chart restored. */
  /** `workers`: as for a new run (default 1); the update does not depend on it. */
  resumeRun(key: string, workers?: number): Promise<void>;
  pauseTraining(): void;
  resumeTraining(): void;
  stepTraining(): void;
  stopTraining(): void;
  /** Test-only (`?faults=1`): the running training hits a lost device or an out-of-memory error. */
  simulateFault(kind: FaultKind): void;
  /** Test-only (`?faults=1`): a training worker of the running fine-tune dies. */
  crashTrainingWorker(): void;
  refreshCheckpoints(): Promise<void>;
  restoreCheckpoint(key: string): Promise<void>;
  deleteCheckpoint(key: string): Promise<void>;
  /** Every checkpoint of run `runId`. */
  deleteRun(runId: string): Promise<void>;
  exportModel(): Promise<Record<string, ArrayBuffer | string> | null>;
  importModel(files: Record<string, ArrayBuffer | string>): Promise<void>;
}

export function trainingSlice(ctx: SliceContext): Slice<TrainingData & TrainingActions> {
  const { set, get } = ctx;
  const patch = (p: Partial<TrainingState> | ((t: TrainingState) => TrainingState)) =>
    set((s) => ({ training: typeof p === 'function' ? p(s.training) : { ...s.training, ...p } }));
  /** The run whose events the loss chart follows. */
  let trainId: number | null = null;
  /** True from a start request until its run ends: the worker's 'running' arrives later, and a second click in between must not start a second run. */
  let pending = false;

  /** Starts a run (new or resumed); `plan`: known to the page for a new run, else it comes with `run-started`. */
  const runRequest = async (plan: Curriculum | null, body: RequestBody<'train'> | RequestBody<'resume-run'>): Promise<void> => {
    get().clearErrors('finetune');
    if (pending || get().training.state !== 'idle') {
      get().pushError('finetune', 'a run is already in progress: pause, stop or wait for it');
      return;
    }
    pending = true;
    patch((t) => beginRun(t, plan));
    try {
      await ctx.client().request(body, (id) => (trainId = id));
    } catch (e) {
      ctx.fail('finetune', e);
    } finally {
      pending = false;
      await get().refreshCheckpoints();
    }
  };

  return {
    slice: {
      training: initialTraining(),
      faultsEnabled: new URLSearchParams(ctx.search).get('faults') === '1',

      async startTraining(o) {
        await runRequest(o.plan, { type: 'train', text: o.text, plan: o.plan, batch: o.batch, seed: o.seed, ...(o.workers ? { workers: o.workers } : {}) });
      },
      async resumeRun(key, workers) {
        await runRequest(null, { type: 'resume-run', key, ...(workers ? { workers } : {}) });
      },
      pauseTraining() {
        ctx.clientOrNull()?.send({ type: 'pause' });
      },
      resumeTraining() {
        ctx.clientOrNull()?.send({ type: 'resume' });
      },
      stepTraining() {
        ctx.clientOrNull()?.send({ type: 'step' });
      },
      stopTraining() {
        ctx.clientOrNull()?.send({ type: 'stop' });
      },
      simulateFault(kind) {
        ctx.clientOrNull()?.send({ type: 'simulate-fault', kind });
      },
      crashTrainingWorker() {
        ctx.clientOrNull()?.send({ type: 'simulate-worker-crash' });
      },

      async refreshCheckpoints() {
        try {
          patch({ checkpoints: (await ctx.client().request({ type: 'checkpoints' })).list });
        } catch (e) {
          ctx.fail('finetune', e);
        }
      },
      async restoreCheckpoint(key) {
        get().clearErrors('finetune');
        try {
          const ev = await ctx.client().request({ type: 'restore', key });
          const label = get().training.checkpoints.find((c) => c.key === key)?.label ?? key;
          patchModelSlot(ctx, 'a3', { status: 'loaded', source: 'checkpoint', info: ev.model, note: `restored from checkpoint ${label}` });
        } catch (e) {
          ctx.fail('finetune', e);
        }
      },
      async deleteCheckpoint(key) {
        try {
          patch({ checkpoints: (await ctx.client().request({ type: 'delete-checkpoint', key })).list });
        } catch (e) {
          ctx.fail('finetune', e);
        }
      },
      async deleteRun(runId) {
        try {
          patch({ checkpoints: (await ctx.client().request({ type: 'delete-run', runId })).list });
        } catch (e) {
          ctx.fail('finetune', e);
        }
      },
      async exportModel() {
        try {
          return (await ctx.client().request({ type: 'export' })).files;
        } catch (e) {
          ctx.fail('finetune', e);
          return null;
        }
      },
      async importModel(files) {
        get().clearErrors('finetune');
        try {
          const ev = await ctx.client().request({ type: 'import', files });
          patchModelSlot(ctx, 'a3', { status: 'loaded', source: 'import', info: ev.model, note: `imported ${Object.keys(files).length} files` });
        } catch (e) {
          ctx.fail('finetune', e);
        }
      },
    },
    onEvent(e) {
      switch (e.type) {
        case 'train-state':
          patch({ state: e.state });
          return;
        case 'run-started':
          if (trainId !== null && e.id !== trainId) return;
          patch((t) => startedRun(t, e.runId, e.plan, e.losses));
          return;
        case 'recovering':
          if (trainId !== null && e.id !== trainId) return;
          patch((t) => recoveringRun(t, e.to, e.stageIndex, e.step));
          return;
        case 'train-event':
          if (trainId !== null && e.id !== trainId) return;
          patch((t) => reduceTrainEvent(t, e.event));
          if (e.event.type === 'checkpoint' || e.event.type === 'done') void get().refreshCheckpoints();
          return;
        case 'fault':
          // Under a run, say so where the run is (the models slice shows the new backend).
          if (e.id !== undefined) patch({ fault: e.message });
          return;
      }
    },
  };
}
