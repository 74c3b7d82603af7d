/**
 * Training events from the worker, reduced into what the Fine-tune cell draws:
 * train / validation loss series on one global step axis across the stages of
 * a plan, stage boundaries, speed and ETA. Pure functions of plain data.
 * Stages are told apart by their index in the plan: two stages may share a name.
 */
import type { BackendName } from '../a3/backend-names';
import type { Curriculum } from '../train/curriculum';
import type { CheckpointMeta, LossPoint as RunLoss } from '../train/storage';
import type { TrainEvent } from '../train/trainer';

export interface LossPoint {
  step: number;
  loss: number;
}
export interface StageMark {
  /** The stage's index in the plan, and its display name. */
  index: number;
  name: string;
  startStep: number;
}

export type RunState = 'idle' | 'running' | 'paused';

export interface TrainingState {
  state: RunState;
  /** The plan of the current (or last) run; fixes the global step of each stage. */
  plan: Curriculum | null;
  train: LossPoint[];
  val: LossPoint[];
  stages: StageMark[];
  /** Name and index of the stage the last event came from. */
  stage: string | null;
  stageIndex: number | null;
  /** Global step of the last step event, and the plan's total. */
  step: number;
  totalSteps: number;
  tokensPerSec: number | null;
  /** How many workers computed the last step's gradients. */
  workers: number | null;
  etaSec: number | null;
  lastLoss: number | null;
  /** Steps skipped for non-finite losses, with the trainer's reason. */
  skipped: string[];
  /** How the last run ended ('finished', 'stopped', 'diverged'), null while one runs. */
  ended: string | null;
  /** Why the last run stopped when it diverged (the Trainer's words); the model went back to its last good weights. */
  warning: string | null;
  /** The run the chart shows (its checkpoints share this id); null before the worker says. */
  runId: string | null;
  /** After a fault, until the run's next step: the backend it moves to and the global step it goes on from. */
  recovering: { backend: BackendName; step: number } | null;
  checkpoints: CheckpointMeta[];
  /** The worker's sentence after a lost device / out of memory it recovered from (null: none in this run). */
  fault: string | null;
}

export const initialTraining = (): TrainingState => ({
  state: 'idle',
  plan: null,
  train: [],
  val: [],
  stages: [],
  stage: null,
  stageIndex: null,
  step: 0,
  totalSteps: 0,
  tokensPerSec: null,
  workers: null,
  etaSec: null,
  lastLoss: null,
  skipped: [],
  ended: null,
  warning: null,
  runId: null,
  recovering: null,
  checkpoints: [],
  fault: null,
});

/** Global step at which each stage starts (by index): stage i starts after the steps of stages 0..i-1. */
export function stageOffsets(plan: Curriculum): number[] {
  let at = 0;
  return plan.stages.map((s) => {
    const start = at;
    at += s.steps;
    return start;
  });
}

export function totalSteps(plan: Curriculum): number {
  return plan.stages.reduce((a, s) => a + s.steps, 0);
}

/** A fresh run of `plan` (null: a resumed run, whose plan comes with run-started): clears the series, keeps the checkpoint list. */
export function beginRun(t: TrainingState, plan: Curriculum | null): TrainingState {
  return { ...initialTraining(), checkpoints: t.checkpoints, state: t.state, plan, totalSteps: plan ? totalSteps(plan) : 0 };
}

/** The worker started (or resumed) run `runId` of `plan`: a resumed run's earlier losses go back on the chart. */
export function startedRun(t: TrainingState, runId: string, plan: Curriculum, losses: readonly RunLoss[]): TrainingState {
  const offsets = stageOffsets(plan);
  const train = losses.filter((p) => offsets[p.stageIndex] !== undefined).map((p) => ({ step: offsets[p.stageIndex] + p.step + 1, loss: p.loss })); // StepLog steps count from 0, step events from 1
  const stages = [...new Set(losses.map((p) => p.stageIndex))]
    .filter((i) => plan.stages[i])
    .map((i) => ({ index: i, name: plan.stages[i].name, startStep: offsets[i] }));
  const last = train[train.length - 1];
  return { ...t, runId, plan, totalSteps: totalSteps(plan), train, stages, step: last?.step ?? 0, lastLoss: last?.loss ?? null };
}

/** The run is moving to `backend` after a fault and goes on from step `step` of stage `stageIndex`. */
export function recoveringRun(t: TrainingState, backend: BackendName, stageIndex: number, step: number): TrainingState {
  const at = t.plan ? (stageOffsets(t.plan)[stageIndex] ?? 0) : 0;
  return { ...t, recovering: { backend, step: at + step }, etaSec: null };
}

/** Where stage `index` starts on the global axis: from the plan, else (a stage the plan lacks) where it was first seen. */
function stageStart(t: TrainingState, index: number): number {
  const at = t.plan ? stageOffsets(t.plan)[index] : undefined;
  return at ?? t.stages.find((m) => m.index === index)?.startStep ?? t.step;
}

function withStage(t: TrainingState, e: TrainEvent, startStep: number): StageMark[] {
  if (t.stages.some((m) => m.index === e.stageIndex)) return t.stages;
  return [...t.stages, { index: e.stageIndex, name: e.stage, startStep }];
}

/** Folds one trainer event into the state (a new object; the input is not changed). */
export function reduceTrainEvent(t: TrainingState, e: TrainEvent): TrainingState {
  const start = stageStart(t, e.stageIndex);
  switch (e.type) {
    case 'step': {
      const g = start + e.step;
      // A resumed run replays from its checkpoint: drop points at or after this step from an older attempt.
      const train = t.train.length && t.train[t.train.length - 1].step >= g ? t.train.filter((p) => p.step < g) : t.train;
      return {
        ...t,
        stages: withStage(t, e, start),
        stage: e.stage,
        stageIndex: e.stageIndex,
        train: [...train, { step: g, loss: e.loss }],
        step: g,
        tokensPerSec: e.tokensPerSec,
        workers: e.workers ?? 1,
        etaSec: remainingSec(t, e),
        lastLoss: e.loss,
        ended: null,
        recovering: null,
      };
    }
    case 'eval': {
      const loss = e.metrics.valLoss ?? Object.values(e.metrics)[0];
      if (loss === undefined || !Number.isFinite(loss)) return t;
      const g = start + e.step;
      return { ...t, stages: withStage(t, e, start), val: [...t.val.filter((p) => p.step !== g), { step: g, loss }] };
    }
    case 'skip':
      return { ...t, skipped: [...t.skipped, `step ${e.step}: ${e.reason}`] };
    case 'checkpoint':
      return t;
    case 'done':
      return { ...t, ended: e.reason, warning: e.warning ?? null, recovering: null, etaSec: e.reason === 'finished' ? t.etaSec : null };
  }
}

/** ETA for the whole plan: this stage's ETA plus the later stages at the current speed. */
function remainingSec(t: TrainingState, e: Extract<TrainEvent, { type: 'step' }>): number {
  if (!t.plan) return e.etaSec;
  if (e.stageIndex >= t.plan.stages.length || e.elapsedSec <= 0 || e.step <= 0) return e.etaSec;
  const later = t.plan.stages.slice(e.stageIndex + 1).reduce((a, s) => a + s.steps, 0);
  const secPerStep = e.step > 0 && Number.isFinite(e.etaSec) && e.steps > e.step ? e.etaSec / (e.steps - e.step) : e.elapsedSec / e.step;
  return e.etaSec + later * secPerStep;
}

export function formatDuration(sec: number | null): string {
  if (sec == null || !Number.isFinite(sec)) return '—';
  if (sec < 60) return `${Math.round(sec)} s`;
  const m = Math.floor(sec / 60);
  if (m < 60) return `${m} min ${Math.round(sec - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
