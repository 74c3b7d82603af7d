/**
 * The worker's brain, free of `self`/`postMessage` so Node tests can drive it: it turns commands into
 * events. Dispatch and error mapping only; the work is in models.ts (the model slots), run.ts (a training
 * run), recovery.ts (device faults) and the injected decoding engine.
 */
import { initBackend } from '../a3/backend';
import type { A3Model } from '../a3/model';
import type { DecodeRequest, DecodeResult } from '../a3/decode/request';
import type { Tokenizer } from '../a3/tokenizer';
import type { SpawnReplica } from '../train/parallel';
import type { CheckpointStore } from '../train/storage';
import { inspectAttention } from './inspect';
import { ModelSlots, memoryEvent, messageOf, type Post } from './models';
import type { WorkerCommand } from './protocol';
import { Recovery, classifyFault } from './recovery';
import { TrainingRun } from './run';

/** The decoding engine (run.ts's runDecodeRequest in the worker), injected so tests can stand in for it. */
export type DecodeHandler = (model: A3Model, tokenizer: Tokenizer, request: DecodeRequest) => Promise<DecodeResult>;

export interface WorkerCoreOptions {
  post: Post;
  store: CheckpointStore;
  decode: DecodeHandler;
  fetchImpl?: typeof fetch;
  /** Calls back when the WebGPU device is lost (default: the real device's `lost` promise). */
  watchDeviceLost?: (onLost: (detail: string) => void) => void;
  /** Starts a data-parallel training replica (the worker passes nested Web Workers; tests, worker threads). */
  replicas?: SpawnReplica;
  /** Test-only: makes one running replica die; false when none runs. */
  crashReplica?: () => boolean;
}

export class WorkerCore {
  private readonly models: ModelSlots;
  private readonly run: TrainingRun;
  private readonly recovery: Recovery;

  constructor(private readonly o: WorkerCoreOptions) {
    this.models = new ModelSlots(o.post, () => this.run.refuseWhileActive(), o.fetchImpl);
    this.run = new TrainingRun({ post: o.post, store: o.store, models: this.models, recovery: () => this.recovery, replicas: o.replicas });
    this.recovery = new Recovery({ post: o.post, models: this.models, run: this.run, watchDeviceLost: o.watchDeviceLost });
  }

  /** Runs one command; every failure becomes an `error` event carrying the command's id. */
  async handle(cmd: WorkerCommand): Promise<void> {
    const id = 'id' in cmd ? cmd.id : undefined;
    if (id !== undefined) await this.recovery.settled(); // run on the backend an idle recovery moves to
    const epoch = this.recovery.epoch;
    try {
      await this.dispatch(cmd);
    } catch (e) {
      let message = messageOf(e);
      // A lost device / out of memory outside training (which recovers on its own): recover as when idle, then ask
      // for a retry. If a recovery already ran since this command started, only the retry is needed.
      const fault = cmd.type !== 'train' && cmd.type !== 'resume-run' && cmd.type !== 'init' && !this.run.active ? classifyFault(e) : null;
      if (fault) {
        const done = epoch === this.recovery.epoch ? await this.recovery.recoverIdle(fault) : 'the worker has already moved to another backend.';
        message = `${message} — ${done} Please retry.`;
      }
      this.o.post({ type: 'error', id, message });
    }
  }

  private async dispatch(cmd: WorkerCommand): Promise<void> {
    const { post, store } = this.o;
    switch (cmd.type) {
      case 'init': {
        this.recovery.faultsAllowed = cmd.faults === true;
        const choice = await initBackend(cmd.backend);
        this.recovery.watchDevice();
        post({ type: 'ready', id: cmd.id, backend: choice.name, reason: choice.reason });
        return;
      }
      case 'load':
        return this.models.load(cmd.id, cmd.kind, cmd.baseUrl, cmd.tokenizerUrl);
      case 'decode': {
        const result = await this.o.decode(this.models.model(cmd.kind), this.models.tokenizer(), cmd.request);
        post({ type: 'decoded', id: cmd.id, result });
        post(memoryEvent());
        return;
      }
      case 'inspect':
        post({ type: 'inspected', id: cmd.id, snapshot: await inspectAttention(this.models.model('a3'), this.models.tokenizer(), cmd.text, cmd.groupIds) });
        return;
      case 'train':
        return this.run.train(cmd);
      case 'resume-run':
        return this.run.resumeRun(cmd);
      case 'pause':
        return this.run.pause();
      case 'resume':
        return this.run.resume();
      case 'step':
        return this.run.step();
      case 'stop':
        return this.run.stop();
      case 'simulate-fault':
        return this.recovery.simulate(cmd.kind);
      case 'simulate-worker-crash':
        if (!this.recovery.faultsAllowed) throw new Error('fault simulation is off: open the page with ?faults=1');
        if (!this.o.crashReplica?.()) throw new Error('no training worker is running: start a fine-tune with 2 or more workers');
        return;
      case 'checkpoints':
        post({ type: 'checkpoints', id: cmd.id, list: await store.list() });
        return;
      case 'delete-checkpoint':
        await store.delete(cmd.key);
        post({ type: 'checkpoints', id: cmd.id, list: await store.list() });
        return;
      case 'delete-run':
        await store.deleteRun(cmd.runId);
        post({ type: 'checkpoints', id: cmd.id, list: await store.list() });
        return;
      case 'restore': {
        const ckpt = await store.get(cmd.key);
        if (!ckpt) throw new Error(`no checkpoint named ${cmd.key}`);
        const weights = { kind: 'fine-tuned', runId: ckpt.runId, stage: ckpt.stage, stageIndex: ckpt.stageIndex, step: ckpt.step, key: ckpt.key } as const;
        return this.models.restore(cmd.id, ckpt.files, ckpt.label, weights);
      }
      case 'export':
        post({ type: 'exported', id: cmd.id, files: await this.models.exportFiles() });
        return;
      case 'import':
        return this.models.importFiles(cmd.id, cmd.files);
    }
  }
}
