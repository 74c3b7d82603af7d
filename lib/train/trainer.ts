/**
 * The one training loop, used by the Node scripts and by the browser worker:
 * AdamW, warm-up + cosine schedule, clipping, a non-finite guard, a divergence stop (divergence.ts), periodic
 * evaluation and checkpoints, resume, and a stream of typed events.
 * No Node-only or DOM-only imports: storage is the caller's `checkpoint` hook.
 * Gradients come from a pluggable `GradientSource`: this thread by default, or
 * data-parallel workers (parallel.ts); everything else is this one loop.
 */
import * as tf from '@tensorflow/tfjs';
import { trainableVariables, type A3Model } from '../a3/model';
import { divergenceWarning, nonFiniteWarning } from './divergence';
import { AdamW, type AdamWOptions, type AdamWState } from './optim';
import { learningRate, type LrSchedule } from './schedule';

/** Which stage of a plan an event comes from: its display name, and its index in the plan (names may repeat). */
export interface StageRef {
  stage: string;
  stageIndex: number;
}

export type TrainEvent =
  | {
      type: 'step';
      stage: string;
      stageIndex: number;
      step: number;
      steps: number;
      loss: number;
      lr: number;
      gradNorm: number;
      tokensPerSec: number;
      etaSec: number;
      elapsedSec: number;
      /** How many workers computed this step's gradients (1 = this thread). */
      workers?: number;
    }
  | { type: 'eval'; stage: string; stageIndex: number; step: number; metrics: Record<string, number> }
  | { type: 'skip'; stage: string; stageIndex: number; step: number; reason: string }
  | { type: 'checkpoint'; stage: string; stageIndex: number; step: number }
  /** `warning`: why a diverged run stopped, for the page. */
  | { type: 'done'; stage: string; stageIndex: number; step: number; reason: 'finished' | 'stopped' | 'diverged'; warning?: string };

export interface StepLog {
  step: number;
  loss: number;
}

/** Everything besides the weights that a resumed run needs. */
export interface TrainerState {
  stage: string;
  step: number;
  optimizer: AdamWState;
  history: StepLog[];
  evals: { step: number; metrics: Record<string, number> }[];
  elapsedSec: number;
}

/**
 * Where a step's loss and gradients come from. The Trainer owns what
 * `compute` returns (it applies and disposes it); a source that fails rejects
 * before any weight changes, so the run stops with the last checkpoint intact.
 */
export interface GradientSource<B> {
  /** Workers that share a step (1 = this thread); reported in step events. */
  readonly workers: number;
  /** Loss and gradients (keyed by variable name) of `batch` at the model's current weights. */
  compute(model: A3Model, batch: B, step: number): Promise<{ loss: tf.Scalar; grads: tf.NamedTensorMap }>;
}

/** The default source: tf.variableGrads of the job's loss on this thread. */
export function localGradients<B>(loss: (model: A3Model, batch: B) => tf.Scalar): GradientSource<B> {
  return {
    workers: 1,
    compute: async (model, batch) => {
      const { value, grads } = tf.variableGrads(() => loss(model, batch), trainableVariables(model));
      return { loss: value, grads };
    },
  };
}

export interface TrainJob<B> {
  model: A3Model;
  stage: string;
  /** The stage's index in its plan (default 0: a one-stage job such as pretraining). */
  stageIndex?: number;
  steps: number;
  schedule: LrSchedule;
  optimizer?: Partial<AdamWOptions>;
  tokensPerStep: number;
  /** The batch for a step: a pure function of the step, so resume replays the same data. */
  batchAt(step: number): B;
  loss(model: A3Model, batch: B): tf.Scalar;
  /**
   * Where gradients come from; default `localGradients(loss)`. A parallel source must compute the same
   * `loss`; its owner (not the Trainer) closes it, so one pool can serve several stages.
   */
  gradients?: GradientSource<B>;
  evaluate?(model: A3Model): Promise<Record<string, number>> | Record<string, number>;
  evalEvery?: number;
  /** Persist weights + state; called every `checkpointEvery` steps and at the end. */
  checkpoint?(state: TrainerState): Promise<void>;
  checkpointEvery?: number;
  /** Consecutive non-finite steps tolerated before the run stops. */
  maxNonFinite?: number;
  onEvent?(event: TrainEvent): void;
  /** Checked between steps: pause/stop from a UI or a signal handler. */
  shouldStop?(): boolean;
  /** Awaited between steps (a worker yields here so commands get through). */
  betweenSteps?(): Promise<void>;
}

/** A copy the caller may keep: later steps must not grow its arrays. */
function snapshot(state: TrainerState): TrainerState {
  return { ...state, history: [...state.history], evals: [...state.evals] };
}

export class Trainer<B> {
  private readonly optimizer: AdamW;
  private readonly gradients: GradientSource<B>;
  private state: TrainerState;
  /** Carried by every event. */
  private readonly where: StageRef;

  constructor(private readonly job: TrainJob<B>, resume?: TrainerState) {
    this.optimizer = new AdamW(trainableVariables(job.model), job.optimizer);
    this.where = { stage: job.stage, stageIndex: job.stageIndex ?? 0 };
    this.gradients = job.gradients ?? localGradients(job.loss);
    this.state = { stage: job.stage, step: 0, optimizer: { step: 0, slots: [] }, history: [], evals: [], elapsedSec: 0 };
    if (resume) {
      if (resume.stage !== job.stage) throw new Error(`checkpoint is from stage "${resume.stage}", not "${job.stage}"`);
      this.optimizer.setState(resume.optimizer);
      this.state = snapshot(resume);
    }
  }

  get step(): number {
    return this.state.step;
  }

  get history(): readonly StepLog[] {
    return this.state.history;
  }

  get elapsedSec(): number {
    return this.state.elapsedSec;
  }

  get evals(): TrainerState['evals'] {
    return this.state.evals;
  }

  async run(): Promise<TrainEvent & { type: 'done' }> {
    const { job } = this;
    const emit = (e: TrainEvent) => job.onEvent?.(e);
    const maxNonFinite = job.maxNonFinite ?? 5;
    let nonFinite = 0;
    const sessionStart = performance.now();
    const elapsedBefore = this.state.elapsedSec;
    const startStep = this.state.step;
    let reason: 'finished' | 'stopped' | 'diverged' = 'finished';
    let warning: string | undefined;

    while (this.state.step < job.steps) {
      if (job.shouldStop?.()) {
        reason = 'stopped';
        break;
      }
      const step = this.state.step;
      const lr = learningRate(job.schedule, step);
      const batch = job.batchAt(step);
      const { loss, grads } = await this.gradients.compute(job.model, batch, step);
      const result = await this.optimizer.applyGradients(loss, grads, lr);
      if (!result.applied) {
        nonFinite += 1;
        emit({ type: 'skip', ...this.where, step, reason: `non-finite loss ${result.loss} / gradient norm ${result.gradNorm}; step skipped, weights untouched` });
        if (nonFinite >= maxNonFinite) {
          reason = 'diverged';
          warning = nonFiniteWarning(nonFinite);
          break;
        }
        this.state.step += 1;
        continue;
      }
      nonFinite = 0;
      this.state.step += 1;
      this.state.history.push({ step, loss: result.loss });
      const elapsed = (performance.now() - sessionStart) / 1000;
      const done = this.state.step - startStep;
      const tokensPerSec = (done * job.tokensPerStep) / Math.max(elapsed, 1e-9);
      this.state.elapsedSec = elapsedBefore + elapsed;
      emit({
        type: 'step',
        ...this.where,
        step: this.state.step,
        steps: job.steps,
        loss: result.loss,
        lr,
        gradNorm: result.gradNorm,
        tokensPerSec,
        etaSec: ((job.steps - this.state.step) * elapsed) / done,
        elapsedSec: this.state.elapsedSec,
        workers: this.gradients.workers,
      });
      // Before evaluating or saving: a diverged state is never checkpointed.
      warning = divergenceWarning(this.state.history) ?? undefined;
      if (warning) {
        reason = 'diverged';
        break;
      }
      const last = this.state.step === job.steps;
      if (job.evaluate && job.evalEvery && (this.state.step % job.evalEvery === 0 || last)) await this.evaluate();
      if (job.checkpoint && job.checkpointEvery && this.state.step % job.checkpointEvery === 0 && !last) await this.saveCheckpoint();
      await job.betweenSteps?.();
    }
    // A diverged run keeps its last good checkpoint: never save over it.
    if (reason !== 'diverged' && job.checkpoint) await this.saveCheckpoint();
    const event = { type: 'done' as const, ...this.where, step: this.state.step, reason, ...(warning ? { warning } : {}) };
    emit(event);
    return event;
  }

  private async evaluate(): Promise<void> {
    const metrics = await this.job.evaluate!(this.job.model);
    this.state.evals.push({ step: this.state.step, metrics });
    this.job.onEvent?.({ type: 'eval', ...this.where, step: this.state.step, metrics });
  }

  private async saveCheckpoint(): Promise<void> {
    this.state.optimizer = await this.optimizer.getState();
    await this.job.checkpoint!(snapshot(this.state));
    this.job.onEvent?.({ type: 'checkpoint', ...this.where, step: this.state.step });
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
