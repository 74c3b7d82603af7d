/**
 * One fine-tuning run in the worker: its stages in order through the one Trainer, the gate between steps
 * (pause, single step, stop), checkpoints to the store, and what happens on a lost device or out of memory:
 * the run asks recovery.ts to move to the next backend and goes on from its last checkpoint.
 * Stages are identified by their index in the plan (two stages may share a name).
 *
 * Longer than most: it is one class, TrainingRun, whose gate, stage loop, checkpointing and fault recovery
 * share the run's state, so they stay together rather than passing that state between files.
 */
import type { A3Model } from '../a3/model';
import { MANIFEST_FILE } from '../a3/model-files';
import { bufferSource, serializeModel } from '../a3/weights';
import { prepareData, stageTrainer, type FinetuneData } from '../train/finetune';
import type { SpawnReplica } from '../train/parallel';
import type { CheckpointStore } from '../train/storage';
import type { TrainerState } from '../train/trainer';
import { runGradients, type RunGradients } from './gradients';
import { fromSource, memoryEvent, type ModelLoader, type ModelSlots, type Post } from './models';
import type { WorkerCommand } from './protocol';
import { FaultError, classifyFault, type Fault, type Recovery, type RunHooks } from './recovery';

export type TrainCommand = Extract<WorkerCommand, { type: 'train' }>;
type RunState = 'idle' | 'running' | 'paused';

/**
 * Where a training run restarts after a fault: its last checkpoint, or the weights it started from. Both are
 * rebuilt from bytes off the device (IndexedDB, or wherever the model was loaded from): a lost device can
 * neither be read nor be trusted to answer.
 */
interface RestartPoint {
  label: string;
  stageIndex: number;
  state?: TrainerState;
  load: ModelLoader;
}

/** A run abandoned after a fault may still be finishing a step: wait for it, but not forever (a lost GPU may never answer). */
const ABANDONED_RUN_WAIT_MS = 10_000;

/** The checkpoint of a stage of a run (one per stage: a later save of the same stage replaces it). */
export const checkpointKey = (seed: number, stageIndex: number): string => `run-${seed}-stage-${stageIndex}`;

export interface TrainingRunOptions {
  post: Post;
  store: CheckpointStore;
  models: ModelSlots;
  /** Set once the core has built it (recovery and the run know each other). */
  recovery: () => Recovery;
  /** Starts a data-parallel replica (Web Workers in the page); without it a run computes on this thread only. */
  replicas?: SpawnReplica;
}

export class TrainingRun implements RunHooks {
  private state: RunState = 'idle';
  private stopRequested = false;
  private stepBudget = 0;
  private wake: (() => void) | null = null;
  // A fault waiting for the loop to notice it, the loop's listener, an error the next step throws (simulated
  // out of memory), and a counter that retires an abandoned trainer's callbacks.
  private pendingFault: Fault | null = null;
  private onFault: ((f: Fault) => void) | null = null;
  private injected: Error | null = null;
  private generation = 0;
  /** The data-parallel replicas of the current attempt (a recovery starts a fresh pool on the new backend). */
  private gradients: RunGradients | null = null;

  constructor(private readonly o: TrainingRunOptions) {}

  get active(): boolean {
    return this.state !== 'idle';
  }

  /** Throws while a run holds the A3 model (loading or importing would swap it under the run). */
  refuseWhileActive(): void {
    if (this.active) throw new Error('a training run is using the model: stop it first');
  }

  pause(): void {
    if (this.state === 'running') this.setState('paused');
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.setState('running');
    this.wake?.();
  }

  step(): void {
    if (this.state !== 'paused') return;
    this.stepBudget += 1;
    this.wake?.();
  }

  stop(): void {
    this.stopRequested = true;
    this.wake?.();
  }

  signalFault(fault: Fault): void {
    this.pendingFault ??= fault;
    this.onFault?.(fault);
    this.wake?.();
  }

  inject(error: Error): void {
    this.injected = error;
  }

  clearFaults(): void {
    this.pendingFault = null;
    this.injected = null;
  }

  /**
   * The run: its stages in order. A lost device or an out-of-memory error does not end it: the worker
   * moves to the next backend, rebuilds the models there, and goes on from the last checkpoint.
   */
  async train(cmd: TrainCommand): Promise<void> {
    if (this.active) throw new Error('a training run is already in progress: pause, stop or wait for it');
    const { models } = this.o;
    const data = prepareData(cmd.text, models.tokenizer(), models.model('a3').config.maxLen);
    // Running from here on, before the first await: a second 'train' arriving meanwhile is refused.
    this.stopRequested = false;
    this.setState('running');
    try {
      let restart = await this.startPoint(cmd);
      try {
        for (;;) {
          try {
            await this.runStages(cmd, data, restart, (p) => (restart = p));
            break;
          } catch (e) {
            const fault = classifyFault(e);
            if (!fault || this.stopRequested) throw e;
            await this.o.recovery().underRun(cmd.id, fault, restart);
          }
        }
      } finally {
        // The A3 slot now holds this run's weights: a later fallback rebuilds them from its last checkpoint
        // (unless a failed reload emptied the slot: it stays empty until loaded again).
        models.setLoader('a3', restart.load);
      }
      this.o.post({ type: 'done', id: cmd.id });
    } finally {
      await this.closeGradients();
      this.clearFaults();
      this.setState('idle');
      this.o.post(memoryEvent());
    }
  }

  private setState(state: RunState): void {
    this.state = state;
    this.o.post({ type: 'train-state', state });
  }

  /** Between steps: wait while paused, unless a single step was requested; a simulated OOM surfaces here. */
  private async gate(): Promise<void> {
    await new Promise((r) => setTimeout(r, 0)); // let queued commands in
    if (this.injected) {
      const e = this.injected;
      this.injected = null;
      throw e;
    }
    while (this.state === 'paused' && !this.stopRequested && !this.pendingFault) {
      if (this.stepBudget > 0) {
        this.stepBudget -= 1;
        return;
      }
      await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
    }
  }

  private async startPoint(cmd: TrainCommand): Promise<RestartPoint> {
    if (cmd.resumeKey) {
      const ckpt = await this.o.store.get(cmd.resumeKey);
      if (!ckpt) throw new Error(`no checkpoint named ${cmd.resumeKey}`);
      // Checkpoints saved before stages had indices name their stage only.
      const stageIndex = ckpt.stageIndex ?? Math.max(0, cmd.plan.stages.findIndex((s) => s.name === ckpt.stage));
      return { label: `checkpoint ${ckpt.label}`, stageIndex, state: ckpt.state, load: this.checkpointLoader(ckpt.key, ckpt.label) };
    }
    const load = this.o.models.loader('a3');
    if (!load) throw new Error('the a3 model is not loaded yet');
    return { label: 'the weights the run started from (no checkpoint yet)', stageIndex: 0, load };
  }

  /** Rebuilds a model from a checkpoint as it is in the store when called. */
  private checkpointLoader(key: string, label: string): ModelLoader {
    return async (onBytes) => {
      const ckpt = await this.o.store.get(key);
      if (!ckpt) throw new Error(`checkpoint ${label} is no longer in storage`);
      return fromSource(bufferSource(ckpt.files, `checkpoint ${label}`))(onBytes);
    };
  }

  private async runStages(cmd: TrainCommand, data: FinetuneData, from: RestartPoint, saved: (p: RestartPoint) => void): Promise<void> {
    const gen = ++this.generation;
    const live = () => gen === this.generation;
    const model = this.o.models.model('a3');
    await this.closeGradients();
    this.gradients = runGradients(cmd.workers ?? 1, this.o.replicas);
    for (let i = from.stageIndex; i < cmd.plan.stages.length && !this.stopRequested; i++) {
      const trainer = stageTrainer(
        {
          model,
          data,
          plan: cmd.plan,
          batch: cmd.batch,
          seed: cmd.seed,
          evalEvery: 10,
          checkpointEvery: 10,
          // An abandoned run neither reports (its steps would interleave with the resumed ones) nor saves.
          onEvent: (event) => live() && this.o.post({ type: 'train-event', id: cmd.id, event }),
          checkpoint: async (state) => {
            if (!live()) throw new Error('a run abandoned after a fault does not save');
            const ckpt = await this.saveCheckpoint(model, state, i, cmd);
            saved({ label: `checkpoint ${ckpt.label}`, stageIndex: i, state, load: this.checkpointLoader(ckpt.key, ckpt.label) });
          },
          shouldStop: () => this.stopRequested || !live(),
          betweenSteps: () => this.gate(),
          gradients: this.gradients.source,
        },
        i,
        i === from.stageIndex ? from.state : undefined,
      );
      try {
        const done = await this.untilFault(trainer.run());
        if (done.reason === 'diverged') throw new Error('training diverged (non-finite losses): the last good checkpoint is kept');
      } finally {
        trainer.dispose();
      }
    }
  }

  private async closeGradients(): Promise<void> {
    const pool = this.gradients;
    this.gradients = null;
    await pool?.close();
  }

  /** Races a run against a fault signal: on a lost device a pending GPU read may never settle. */
  private async untilFault<T>(run: Promise<T>): Promise<T> {
    const signalled = new Promise<Fault>((resolve) => (this.onFault = resolve));
    if (this.pendingFault) this.onFault?.(this.pendingFault);
    try {
      const first = await Promise.race([run.then((value) => ({ value })), signalled.then((fault) => ({ fault }))]);
      if ('value' in first) return first.value;
      this.generation += 1; // the abandoned trainer stops at its next check
      await Promise.race([run.catch(() => undefined), new Promise((r) => setTimeout(r, ABANDONED_RUN_WAIT_MS))]);
      throw new FaultError(first.fault);
    } finally {
      this.onFault = null;
    }
  }

  private async saveCheckpoint(model: A3Model, state: TrainerState, stageIndex: number, cmd: TrainCommand): Promise<{ key: string; label: string }> {
    const { manifest, shards } = await serializeModel(model);
    const key = checkpointKey(cmd.seed, stageIndex);
    const label = `${state.stage} @ step ${state.step}`;
    await this.o.store.put({
      key,
      label,
      savedAt: Date.now(),
      step: state.step,
      stage: state.stage,
      stageIndex,
      files: { [MANIFEST_FILE]: JSON.stringify(manifest), ...shards },
      state,
      run: { text: cmd.text, plan: cmd.plan },
    });
    return { key, label };
  }
}
