/**
 * Typed commands (page -> worker) and events (worker -> page), tf-free so the page imports it. The worker
 * owns the models and every tfjs call; the page only sends intents and renders what comes back.
 *
 * A command with an `id` is a request: ANSWER names the event that settles it (or an `error` with the same
 * id), so `WorkerClient.request` resolves with exactly that event's type. A command without an id (pause,
 * resume, step, stop, simulate-fault) is a signal: it must reach a run in progress at once and gets no answer.
 */
import type { BackendName } from '../a3/backend-names';
import type { ModelConfig } from '../a3/config';
import type { DecodeRequest, DecodeResult } from '../a3/decode/request';
import type { ModelKind } from '../a3/decode/strategies';
import type { Curriculum } from '../train/curriculum';
import type { CheckpointMeta, LossPoint } from '../train/storage';
import type { TrainEvent } from '../train/trainer';

export type { ModelKind };

/** What goes wrong with a device that the worker recovers from (recovery.ts). */
export type FaultKind = 'device-lost' | 'oom';

/** The backends on which a fine-tune runs data-parallel: a GPU backend is one device, which workers would only share. */
export const PARALLEL_BACKENDS: readonly BackendName[] = ['wasm', 'cpu'];

/** Test-only message to a replica Web Worker (replica-worker.ts): throw an uncaught error, as a crashing worker does. */
export const REPLICA_CRASH = 'simulate-crash';

export type WorkerCommand =
  /** `faults`: accept `simulate-fault` (the page sets it only with ?faults=1, for tests). */
  | { type: 'init'; id: number; backend: BackendName | 'auto'; faults?: boolean }
  | { type: 'load'; id: number; kind: ModelKind; baseUrl: string; tokenizerUrl: string }
  | { type: 'decode'; id: number; kind: ModelKind; request: DecodeRequest }
  | { type: 'inspect'; id: number; text: string; groupIds?: number[] }
  /**
   * A new run (a fresh run id; it never replaces another run's checkpoints). `workers`: how many Web Workers
   * share each step's gradients (default 1); honoured on PARALLEL_BACKENDS only.
   */
  | { type: 'train'; id: number; text: string; plan: Curriculum; batch: number; seed: number; workers?: number }
  /** Goes on with the run of checkpoint `key` (its own text, plan, batch and seed, its loss history) from that checkpoint's step. */
  | { type: 'resume-run'; id: number; key: string; workers?: number }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'step' }
  | { type: 'stop' }
  | { type: 'checkpoints'; id: number }
  | { type: 'restore'; id: number; key: string }
  | { type: 'delete-checkpoint'; id: number; key: string }
  /** Every checkpoint of one run. */
  | { type: 'delete-run'; id: number; runId: string }
  /** Answers `exported` with model.safetensors, config.json, tokenizer.json. */
  | { type: 'export'; id: number }
  /** model.safetensors + config.json (+ tokenizer.json), or the older manifest.json + weights-*.bin. */
  | { type: 'import'; id: number; files: Record<string, ArrayBuffer | string> }
  /** Test-only (init with `faults`): makes the running training (or, with no run going, the idle worker) hit a lost device or an out-of-memory error. */
  | { type: 'simulate-fault'; kind: FaultKind }
  /** Test-only (init with `faults`): a data-parallel training worker of the running fine-tune dies (an uncaught error in it). */
  | { type: 'simulate-worker-crash' };

/**
 * Which weights fill a model slot, as the worker knows it: what the Model cell and every cell using a model say
 * ("shipped", "fine-tuned run X at step N", "imported model.safetensors"). `key`: the checkpoint holding them.
 */
export type ActiveWeights =
  | { kind: 'shipped'; folder: ModelKind }
  | { kind: 'fine-tuned'; runId: string; stage: string; stageIndex: number; step: number; key: string | null }
  | { kind: 'imported'; name: string };

export interface LoadedModel {
  kind: ModelKind;
  config: ModelConfig;
  parameters: number;
  bytes: number;
  vocabSize: number;
}

/** Per layer and head, attention rows of both streams for one sequence. */
export interface AttentionSnapshot {
  tokens: number[];
  labels: string[];
  groupIds: number[];
  /** [layer][head][row][key], rows 0..T-1 content, T..2T-1 query. */
  weights: number[][][][];
}

export type WorkerEvent =
  | { type: 'ready'; id: number; backend: BackendName; reason: string }
  | { type: 'load-progress'; id: number; loadedBytes: number }
  | { type: 'loaded'; id: number; model: LoadedModel }
  | { type: 'decoded'; id: number; result: DecodeResult }
  | { type: 'inspected'; id: number; snapshot: AttentionSnapshot }
  /**
   * Run `id` started (or resumed): its run id, its plan, and its losses so far (a resumed run's history, from
   * its checkpoint; empty for a new run), so the page draws the whole chart.
   */
  | { type: 'run-started'; id: number; runId: string; plan: Curriculum; resumedFrom: string | null; losses: LossPoint[] }
  | { type: 'train-event'; id: number; event: TrainEvent }
  /** Under run `id` the backend failed: the worker is moving to `to` and will go on from stage `stageIndex`, step `step`. */
  | { type: 'recovering'; id: number; from: BackendName; to: BackendName; stageIndex: number; step: number }
  /** Model slot `kind` now holds `weights` (after a load, restore, import, a run, a divergence rollback or a fault reload). */
  | { type: 'weights'; kind: ModelKind; weights: ActiveWeights }
  | { type: 'train-state'; state: 'running' | 'paused' | 'idle' }
  /**
   * The backend failed: the worker moved to `to` and rebuilt the loaded models there; `message` is for the page.
   * Under training run `id` the run resumed from `resumedFrom`; with no run going (device lost while idle) both are absent.
   */
  | { type: 'fault'; id?: number; kind: FaultKind; from: BackendName; to: BackendName; reason: string; resumedFrom?: string; message: string }
  /** After a fault, model slot `kind` could not be rebuilt on the new backend: it is empty until loaded again; `message` says why. */
  | { type: 'unloaded'; kind: ModelKind; message: string }
  | { type: 'checkpoints'; id: number; list: CheckpointMeta[] }
  | { type: 'exported'; id: number; files: Record<string, ArrayBuffer | string> }
  | { type: 'done'; id: number }
  | { type: 'memory'; numTensors: number; numBytes: number }
  | { type: 'error'; id?: number; message: string };

/** A command that expects an answer, and one that does not. */
export type RequestCommand = Extract<WorkerCommand, { id: number }>;
export type SignalCommand = Exclude<WorkerCommand, { id: number }>;
export type RequestType = RequestCommand['type'];

/** Which event answers each request (besides an `error` with its id). A training run answers when it ends. */
export const ANSWER = {
  init: 'ready',
  load: 'loaded',
  decode: 'decoded',
  inspect: 'inspected',
  train: 'done',
  'resume-run': 'done',
  checkpoints: 'checkpoints',
  restore: 'loaded',
  'delete-checkpoint': 'checkpoints',
  'delete-run': 'checkpoints',
  export: 'exported',
  import: 'loaded',
} as const satisfies Record<RequestType, WorkerEvent['type']>;

/** The event that answers request type `T`. */
export type AnswerTo<T extends RequestType> = Extract<WorkerEvent, { type: (typeof ANSWER)[T] }>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A request as the page writes it (the client numbers it); `type` is where the compiler reads T from. */
export type RequestBody<T extends RequestType = RequestType> = DistributiveOmit<Extract<RequestCommand, { type: T }>, 'id'> & { type: T };

/** Structural check of a message received from the other side (postMessage carries anything). */
export function isWorkerCommand(x: unknown): x is WorkerCommand {
  return typeof x === 'object' && x !== null && typeof (x as { type?: unknown }).type === 'string';
}

export function isSignal(cmd: WorkerCommand): cmd is SignalCommand {
  return !('id' in cmd);
}
