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
import { CHECKPOINT_EVERY, checkpointRecord, newRunId, type CheckpointStore, type LossPoint, type RunSpec, type StoredCheckpoint } from '../train/storage';
import type { TrainerState } from '../train/trainer';
import { runGradients, type RunGradients } from './gradients';
import { fromSource, memoryEvent, type ModelLoader, type ModelSlots, type Post } from './models';
import type { ActiveWeights, WorkerCommand } from './protocol';
import { FaultError, classifyFault, type Fault, type Recovery, type RunHooks } from './recovery';

export type TrainCommand = Extract<WorkerCommand, { type: 'train' }>;
export type ResumeCommand = Extract<WorkerCommand, { type: 'resume-run' }>;
type RunState = 'idle' | 'running' | 'paused';

/** One run as the loop sees it: what it trains on, its id, and its losses from before (a resumed run's history). */
interface RunJob {
  id: number;
  spec: RunSpec & { batch: number; seed: number };
  runId: string;
  runStartedAt: number;
  /** The run's losses before the stage in progress; grows as checkpoints are saved (checkpointRecord keeps the earlier stages' part). */
  earlierLosses: LossPoint[];
  /** Web Workers sharing each step (1 = this thread); not part of the run's identity: the update is the same. */
  workers: number;
}

/**
 * Where a training run restarts after a fault: its last checkpoint, or the weights it started from. Both are
 * rebuilt from bytes off the device (IndexedDB, or wherever the model was loaded from): a lost device can
 * neither be read nor be trusted to answer.
 */
interface RestartPoint {
  label: string;
  stageIndex: number;
  /** Steps done in that stage (0 at the start of a run). */
  step: number;
  state?: TrainerState;
  load: ModelLoader;
  /** What the model slot holds when rebuilt from here. */
  weights: ActiveWeights;
}

/** A run abandoned after a fault may still be finishing a step: wait for it, but not forever (a lost GPU may never answer). */
const ABANDONED_RUN_WAIT_MS = 10_000;

/** A batch and a seed for checkpoints saved before runs recorded theirs. */
const LEGACY_BATCH = 4;
const LEGACY_SEED = 1;

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
    this.refuseSecondRun();
    const spec = { text: cmd.text, plan: cmd.plan, batch: cmd.batch, seed: cmd.seed };
    const now = Date.now();
    await this.runJob({ id: cmd.id, spec, runId: newRunId(now), runStartedAt: now, earlierLosses: [], workers: cmd.workers ?? 1 }, null);
  }

  /** Goes on with the run of checkpoint `cmd.key`: same run id, text and plan, its loss history, from its step. */
  async resumeRun(cmd: ResumeCommand): Promise<void> {
    this.refuseSecondRun();
    const ckpt = await this.o.store.get(cmd.key);
    if (!ckpt) throw new Error(`no checkpoint named ${cmd.key}: it may have been deleted`);
    if (!ckpt.run.plan?.stages?.length) throw new Error(`checkpoint ${ckpt.label} has no plan to resume`);
    const spec = { ...ckpt.run, batch: ckpt.run.batch ?? LEGACY_BATCH, seed: ckpt.run.seed ?? LEGACY_SEED };
    await this.runJob({ id: cmd.id, spec, runId: ckpt.runId, runStartedAt: ckpt.runStartedAt, earlierLosses: ckpt.losses, workers: cmd.workers ?? 1 }, ckpt);
  }

  private refuseSecondRun(): void {
    if (this.active) throw new Error('a training run is already in progress: pause, stop or wait for it');
  }

  /**
   * The run: its stages in order. A lost device or an out-of-memory error does not end it: the worker
   * moves to the next backend, rebuilds the models there, and goes on from the last checkpoint. A diverged
   * run stops and the model slot goes back to the last good checkpoint (or the weights the run started from).
   */
  private async runJob(job: RunJob, from: StoredCheckpoint | null): Promise<void> {
    const { models } = this.o;
    const data = prepareData(job.spec.text, models.tokenizer(), models.model('a3').config.maxLen);
    this.refuseSecondRun(); // the checkpoint read above awaited: a second run may have started meanwhile
    // Running from here on, before the next await: a second run arriving meanwhile is refused.
    this.stopRequested = false;
    this.setState('running');
    try {
      let restart = this.startPoint(job, from);
      this.o.post({ type: 'run-started', id: job.id, runId: job.runId, plan: job.spec.plan, resumedFrom: from ? restart.label : null, losses: job.earlierLosses });
      let diverged = false;
      try {
        for (;;) {
          try {
            diverged = await this.runStages(job, data, restart, (p) => (restart = p));
            break;
          } catch (e) {
            const fault = classifyFault(e);
            if (!fault || this.stopRequested) throw e;
            await this.o.recovery().underRun(job.id, fault, restart);
          }
        }
        // The diverged weights are in the slot: put the last good ones back (the checkpoints were never touched).
        if (diverged) await models.reinstall('a3', restart.load, restart.weights);
      } finally {
        // The A3 slot now holds this run's weights: a later fallback rebuilds them from its last checkpoint
        // (unless a failed reload emptied the slot: it stays empty until loaded again).
        models.setLoader('a3', restart.load, restart.weights);
      }
      this.o.post({ type: 'done', id: job.id });
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

  private startPoint(job: RunJob, from: StoredCheckpoint | null): RestartPoint {
    if (from) return this.checkpointPoint(from);
    const load = this.o.models.loader('a3');
    if (!load) throw new Error('the a3 model is not loaded yet');
    const weights = this.o.models.weights('a3') ?? { kind: 'shipped', folder: 'a3' };
    return { label: 'the weights the run started from (no checkpoint yet)', stageIndex: 0, step: 0, load, weights };
  }

  private checkpointPoint(c: Pick<StoredCheckpoint, 'key' | 'label' | 'runId' | 'stage' | 'stageIndex' | 'step' | 'state'>): RestartPoint {
    return {
      label: `checkpoint ${c.label}`,
      stageIndex: c.stageIndex,
      step: c.step,
      state: c.state,
      load: this.checkpointLoader(c.key, c.label),
      weights: { kind: 'fine-tuned', runId: c.runId, stage: c.stage, stageIndex: c.stageIndex, step: c.step, key: c.key },
    };
  }

  /** Rebuilds a model from a checkpoint as it is in the store when called. */
  private checkpointLoader(key: string, label: string): ModelLoader {
    return async (onBytes) => {
      const ckpt = await this.o.store.get(key);
      if (!ckpt) throw new Error(`checkpoint ${label} is no longer in storage`);
      return fromSource(bufferSource(ckpt.files, `checkpoint ${label}`))(onBytes);
    };
  }

  /** Runs the stages from `from`; true when the run diverged (the trainer stopped it before saving). */
  private async runStages(job: RunJob, data: FinetuneData, from: RestartPoint, saved: (p: RestartPoint) => void): Promise<boolean> {
    const gen = ++this.generation;
    const live = () => gen === this.generation;
    const model = this.o.models.model('a3');
    const { plan, batch, seed } = job.spec;
    await this.closeGradients();
    this.gradients = runGradients(job.workers, this.o.replicas);
    for (let i = from.stageIndex; i < plan.stages.length && !this.stopRequested; i++) {
      const trainer = stageTrainer(
        {
          model,
          data,
          plan,
          batch,
          seed,
          evalEvery: 10,
          checkpointEvery: CHECKPOINT_EVERY,
          // An abandoned run neither reports (its steps would interleave with the resumed ones) nor saves.
          onEvent: (event) => live() && this.o.post({ type: 'train-event', id: job.id, event }),
          checkpoint: async (state) => {
            if (!live()) throw new Error('a run abandoned after a fault does not save');
            saved(this.checkpointPoint(await this.saveCheckpoint(model, state, i, job)));
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
        if (done.reason === 'diverged') return true;
      } finally {
        trainer.dispose();
      }
    }
    return false;
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

  private async saveCheckpoint(model: A3Model, state: TrainerState, stageIndex: number, job: RunJob): Promise<StoredCheckpoint> {
    const { manifest, shards } = await serializeModel(model);
    const record = checkpointRecord({
      runId: job.runId,
      runStartedAt: job.runStartedAt,
      run: job.spec,
      stageIndex,
      files: { [MANIFEST_FILE]: JSON.stringify(manifest), ...shards },
      state,
      earlierLosses: job.earlierLosses,
    });
    await this.o.store.put(record);
    job.earlierLosses = record.losses;
    return record;
  }
}
