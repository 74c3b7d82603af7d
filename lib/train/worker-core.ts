/**
 * The worker's brain, free of `self`/`postMessage` so Node tests can drive it:
 * it owns the backend, the models, the tokenizer and at most one training run,
 * and turns commands into events.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../a3/backend';
import { parameterCount } from '../a3/config';
import { denseRanks, leftToRight, validateGroupIds } from '../a3/groups';
import { disposeModel, forward, type A3Model } from '../a3/model';
import { Tokenizer } from '../a3/tokenizer';
import { bufferSource, loadModel, serializeModel, urlSource, type WeightSource } from '../a3/weights';
import { prepareData, stageTrainer } from './finetune';
import type { AttentionSnapshot, ModelKind, WorkerCommand, WorkerEvent } from './protocol';
import type { CheckpointStore } from './storage';
import type { TrainerState } from './trainer';

export interface DecodeHandler {
  (model: A3Model, tokenizer: Tokenizer, request: unknown): Promise<unknown> | unknown;
}

export interface WorkerCoreOptions {
  post(event: WorkerEvent, transfer?: Transferable[]): void;
  store: CheckpointStore;
  /** The decoding engine, injected so this file does not depend on its internals. */
  decode: DecodeHandler;
  fetchImpl?: typeof fetch;
}

type RunState = 'idle' | 'running' | 'paused';

export class WorkerCore {
  private readonly models = new Map<ModelKind, A3Model>();
  private tokenizer: Tokenizer | null = null;
  private run: RunState = 'idle';
  private stopRequested = false;
  private stepBudget = 0;
  private wake: (() => void) | null = null;

  constructor(private readonly o: WorkerCoreOptions) {}

  async handle(cmd: WorkerCommand): Promise<void> {
    const id = 'id' in cmd ? cmd.id : undefined;
    try {
      await this.dispatch(cmd);
    } catch (e) {
      this.o.post({ type: 'error', id, message: e instanceof Error ? e.message : String(e) });
    }
  }

  private async dispatch(cmd: WorkerCommand): Promise<void> {
    const post = this.o.post;
    switch (cmd.type) {
      case 'init': {
        const choice = await initBackend(cmd.backend);
        post({ type: 'ready', id: cmd.id, backend: choice.name, reason: choice.reason });
        return;
      }
      case 'load':
        return this.load(cmd.id, cmd.kind, urlSource(cmd.baseUrl, this.o.fetchImpl), cmd.tokenizerUrl);
      case 'decode': {
        const trace = await this.o.decode(this.model(cmd.kind), this.requireTokenizer(), cmd.request);
        post({ type: 'decoded', id: cmd.id, trace });
        this.postMemory();
        return;
      }
      case 'inspect':
        post({ type: 'inspected', id: cmd.id, snapshot: await this.inspect(cmd.text, cmd.groupIds) });
        return;
      case 'train':
        return this.train(cmd);
      case 'pause':
        if (this.run === 'running') this.setRun('paused');
        return;
      case 'resume':
        if (this.run === 'paused') {
          this.setRun('running');
          this.wake?.();
        }
        return;
      case 'step':
        if (this.run === 'paused') {
          this.stepBudget += 1;
          this.wake?.();
        }
        return;
      case 'stop':
        this.stopRequested = true;
        this.wake?.();
        return;
      case 'checkpoints':
        post({ type: 'checkpoints', id: cmd.id, list: await this.o.store.list() });
        return;
      case 'delete-checkpoint':
        await this.o.store.delete(cmd.key);
        post({ type: 'checkpoints', id: cmd.id, list: await this.o.store.list() });
        return;
      case 'restore': {
        const ckpt = await this.o.store.get(cmd.key);
        if (!ckpt) throw new Error(`no checkpoint named ${cmd.key}`);
        await this.replaceModel(cmd.id, 'a3', bufferSource(ckpt.files, `checkpoint ${ckpt.label}`));
        return;
      }
      case 'export': {
        const { manifest, shards } = await serializeModel(this.model('a3'));
        const files: Record<string, ArrayBuffer | string> = { 'manifest.json': JSON.stringify(manifest), ...shards };
        files['config.json'] = JSON.stringify(manifest.config, null, 2);
        files['tokenizer.json'] = JSON.stringify(this.requireTokenizer().toJSON());
        post({ type: 'exported', id: cmd.id, files });
        return;
      }
      case 'import': {
        if (typeof cmd.files['tokenizer.json'] === 'string') {
          const tokenizer = Tokenizer.fromJSON(JSON.parse(cmd.files['tokenizer.json']));
          if (this.tokenizer && tokenizer.vocabSize !== this.tokenizer.vocabSize) {
            throw new Error(`the imported tokenizer has ${tokenizer.vocabSize} tokens, the loaded one ${this.tokenizer.vocabSize}`);
          }
          this.tokenizer = tokenizer;
        }
        await this.replaceModel(cmd.id, 'a3', bufferSource(cmd.files, 'imported files'));
        return;
      }
    }
  }

  private model(kind: ModelKind): A3Model {
    const m = this.models.get(kind);
    if (!m) throw new Error(`the ${kind} model is not loaded yet`);
    return m;
  }

  private requireTokenizer(): Tokenizer {
    if (!this.tokenizer) throw new Error('the tokenizer is not loaded yet');
    return this.tokenizer;
  }

  private async load(id: number, kind: ModelKind, source: WeightSource, tokenizerUrl: string): Promise<void> {
    if (!this.tokenizer) {
      const res = await (this.o.fetchImpl ?? fetch)(tokenizerUrl);
      if (!res.ok) throw new Error(`cannot fetch ${tokenizerUrl}: HTTP ${res.status}`);
      this.tokenizer = Tokenizer.fromJSON(await res.json());
    }
    await this.replaceModel(id, kind, source);
  }

  /** Load first, swap after: a failed load keeps the model that was there. */
  private async replaceModel(id: number, kind: ModelKind, source: WeightSource): Promise<void> {
    if (this.run !== 'idle') throw new Error('a training run is using the model: stop it first');
    const { model } = await loadModel(source, (p) => this.o.post({ type: 'load-progress', id, loadedBytes: p.loadedBytes }));
    if (this.tokenizer && model.config.vocabSize !== this.tokenizer.vocabSize) {
      disposeModel(model);
      throw new Error(`this model has a vocabulary of ${model.config.vocabSize}, the tokenizer ${this.tokenizer.vocabSize}: they do not belong together`);
    }
    const old = this.models.get(kind);
    this.models.set(kind, model);
    if (old) disposeModel(old);
    const cfg = model.config;
    this.o.post({
      type: 'loaded',
      id,
      model: { kind, config: cfg, parameters: parameterCount(cfg), bytes: parameterCount(cfg) * 4, vocabSize: cfg.vocabSize },
    });
    this.postMemory();
  }

  private async inspect(text: string, groupIds?: number[]): Promise<AttentionSnapshot> {
    const model = this.model('a3');
    const tokenizer = this.requireTokenizer();
    const tokens = tokenizer.encode(text);
    if (tokens.length === 0) throw new Error('nothing to inspect: the text is empty');
    if (tokens.length > model.config.maxLen) throw new Error(`the text is ${tokens.length} tokens, the model's context is ${model.config.maxLen}`);
    const gids = groupIds ? Int32Array.from(groupIds) : leftToRight(tokens.length);
    validateGroupIds(gids, tokens.length);
    const attention = tf.tidy(() => forward(model, { batch: 1, tokens: Int32Array.from(tokens), groupIds: denseRanks(gids) }, { collectAttention: true }).attention);
    // Asynchronous reads: synchronous ones break on WebGPU.
    const weights = (await Promise.all(attention.map((a) => a.array()))).map((a) => (a as number[][][][])[0]);
    tf.dispose(attention);
    return { tokens, labels: tokens.map((t) => tokenizer.decodeToken(t)), groupIds: Array.from(gids), weights };
  }

  private setRun(state: RunState): void {
    this.run = state;
    this.o.post({ type: 'train-state', state });
  }

  /** Between steps: wait while paused, unless a single step was requested. */
  private async gate(): Promise<void> {
    await new Promise((r) => setTimeout(r, 0)); // let queued commands in
    while (this.run === 'paused' && !this.stopRequested) {
      if (this.stepBudget > 0) {
        this.stepBudget -= 1;
        return;
      }
      await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
    }
  }

  private async train(cmd: Extract<WorkerCommand, { type: 'train' }>): Promise<void> {
    if (this.run !== 'idle') throw new Error('a training run is already in progress: pause, stop or wait for it');
    const model = this.model('a3');
    const tokenizer = this.requireTokenizer();
    const data = prepareData(cmd.text, tokenizer, model.config.maxLen);
    let startStage = 0;
    let resume: TrainerState | undefined;
    if (cmd.resumeKey) {
      const ckpt = await this.o.store.get(cmd.resumeKey);
      if (!ckpt) throw new Error(`no checkpoint named ${cmd.resumeKey}`);
      startStage = Math.max(0, cmd.plan.stages.findIndex((s) => s.name === ckpt.stage));
      resume = ckpt.state;
    }
    this.stopRequested = false;
    this.setRun('running');
    try {
      for (let i = startStage; i < cmd.plan.stages.length && !this.stopRequested; i++) {
        const trainer = stageTrainer(
          {
            model,
            data,
            plan: cmd.plan,
            batch: cmd.batch,
            seed: cmd.seed,
            evalEvery: 10,
            checkpointEvery: 10,
            onEvent: (event) => this.o.post({ type: 'train-event', id: cmd.id, event }),
            checkpoint: (state) => this.saveCheckpoint(model, state, cmd),
            shouldStop: () => this.stopRequested,
            betweenSteps: () => this.gate(),
          },
          i,
          i === startStage ? resume : undefined,
        );
        try {
          const done = await trainer.run();
          if (done.reason === 'diverged') throw new Error('training diverged (non-finite losses): the last good checkpoint is kept');
        } finally {
          trainer.dispose();
        }
      }
      this.o.post({ type: 'done', id: cmd.id });
    } finally {
      this.setRun('idle');
      this.postMemory();
    }
  }

  private async saveCheckpoint(model: A3Model, state: TrainerState, cmd: Extract<WorkerCommand, { type: 'train' }>): Promise<void> {
    const { manifest, shards } = await serializeModel(model);
    await this.o.store.put({
      key: `run-${cmd.seed}-${state.stage}`,
      label: `${state.stage} @ step ${state.step}`,
      savedAt: Date.now(),
      step: state.step,
      stage: state.stage,
      files: { 'manifest.json': JSON.stringify(manifest), ...shards },
      state,
      run: { text: cmd.text, plan: cmd.plan },
    });
  }

  private postMemory(): void {
    const m = tf.memory();
    this.o.post({ type: 'memory', numTensors: m.numTensors, numBytes: m.numBytes });
  }
}
