/**
 * The worker's brain, free of `self`/`postMessage` so Node tests can drive it:
 * it owns the backend, the models, the tokenizer and at most one training run,
 * and turns commands into events.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from '../a3/backend';
import { parameterCount } from '../a3/config';
import { denseRanks, leftToRight, validateGroupIds } from '../a3/groups';
import { disposeModel, forward, type A3Model } from '../a3/model';
import { CONFIG_FILE, SAFETENSORS_FILE, TOKENIZER_FILE, exportSafetensors, importSafetensors } from '../a3/safetensors';
import { Tokenizer } from '../a3/tokenizer';
import { MANIFEST_FILE, bufferSource, loadModel, serializeModel, urlSource, type WeightSource } from '../a3/weights';
import { FaultError, SIMULATED, classifyFault, destroyWebGpuDevice, faultMessage, faultTitle, nextBackend, watchDeviceLost, type Fault } from './fallback';
import { prepareData, stageTrainer, type FinetuneData } from './finetune';
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

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));
type TrainCommand = Extract<WorkerCommand, { type: 'train' }>;

/** Builds a model on the current backend (reporting bytes read); kept per slot so a fallback can rebuild it. */
type ModelLoader = (onBytes: (loadedBytes: number) => void) => Promise<A3Model>;

const fromSource =
  (source: WeightSource): ModelLoader =>
  async (onBytes) =>
    (await loadModel(source, (p) => onBytes(p.loadedBytes))).model;

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

export class WorkerCore {
  private readonly models = new Map<ModelKind, A3Model>();
  private readonly loaders = new Map<ModelKind, ModelLoader>();
  private tokenizer: Tokenizer | null = null;
  private run: RunState = 'idle';
  private stopRequested = false;
  private stepBudget = 0;
  private wake: (() => void) | null = null;
  // Faults (see fallback.ts): backends that failed in this worker, a fault waiting for the run to notice it,
  // the run's listener, an error to throw at the next step (simulated OOM), and a counter that retires an
  // abandoned run's callbacks.
  private faultsAllowed = false;
  private readonly failedBackends = new Set<BackendName>();
  private pendingFault: Fault | null = null;
  private onFault: ((f: Fault) => void) | null = null;
  private injected: Error | null = null;
  private generation = 0;
  private backendEpoch = 0;
  /** A recovery from a fault with no run going (see recoverIdle): later commands wait for it. */
  private recovering: Promise<string> | null = null;

  constructor(private readonly o: WorkerCoreOptions) {}

  async handle(cmd: WorkerCommand): Promise<void> {
    const id = 'id' in cmd ? cmd.id : undefined;
    if (id !== undefined && this.recovering) await this.recovering; // run on the backend the recovery moves to
    const epoch = this.backendEpoch;
    try {
      await this.dispatch(cmd);
    } catch (e) {
      let message = messageOf(e);
      // A lost device / out of memory outside training (which recovers on its own): recover as when idle, then ask
      // for a retry. If a recovery already ran since this command started, only the retry is needed.
      const fault = cmd.type !== 'train' && cmd.type !== 'init' && this.run === 'idle' ? classifyFault(e) : null;
      if (fault) {
        const done = epoch === this.backendEpoch ? await this.recoverIdle(fault) : 'the worker has already moved to another backend.';
        message = `${message} — ${done} Please retry.`;
      }
      this.o.post({ type: 'error', id, message });
    }
  }

  private async dispatch(cmd: WorkerCommand): Promise<void> {
    const post = this.o.post;
    switch (cmd.type) {
      case 'init': {
        this.faultsAllowed = cmd.faults === true;
        const choice = await initBackend(cmd.backend);
        this.watchDevice();
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
      case 'simulate-fault':
        if (!this.faultsAllowed) throw new Error('fault simulation is off: open the page with ?faults=1');
        if (this.run === 'idle') {
          // No run going: the idle worker loses its device (or memory) and recovers.
          if (cmd.kind === 'device-lost') destroyWebGpuDevice();
          const detail = cmd.kind === 'device-lost' ? `${SIMULATED}device lost` : `${SIMULATED}out of memory while allocating a buffer`;
          await this.recoverIdle({ kind: cmd.kind, detail, simulated: true });
          return;
        }
        // A lost device arrives as a signal (like GPUDevice.lost); out of memory as an error thrown by the next step.
        if (cmd.kind === 'device-lost') {
          destroyWebGpuDevice();
          this.signalFault({ kind: 'device-lost', detail: `${SIMULATED}device lost`, simulated: true });
        } else this.injected = new Error(`${SIMULATED}out of memory while allocating a buffer`);
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
        await this.replaceModel(cmd.id, 'a3', fromSource(bufferSource(ckpt.files, `checkpoint ${ckpt.label}`)));
        return;
      }
      case 'export': {
        const files: Record<string, ArrayBuffer | string> = { ...(await exportSafetensors(this.model('a3'))) };
        files[TOKENIZER_FILE] = JSON.stringify(this.requireTokenizer().toJSON());
        post({ type: 'exported', id: cmd.id, files });
        return;
      }
      case 'import':
        return this.importFiles(cmd.id, cmd.files);
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
    await this.replaceModel(id, kind, fromSource(source));
  }

  /** Imported files: model.safetensors + config.json (the export), or manifest.json + shards (the shipped format). */
  private async importFiles(id: number, files: Record<string, ArrayBuffer | string>): Promise<void> {
    const text = (name: string) => {
      const v = files[name];
      return typeof v === 'string' ? v : v === undefined ? undefined : new TextDecoder().decode(v);
    };
    let tokenizer = this.tokenizer;
    const tokText = text(TOKENIZER_FILE);
    if (tokText !== undefined) {
      try {
        tokenizer = Tokenizer.fromJSON(JSON.parse(tokText));
      } catch (e) {
        throw new Error(`${TOKENIZER_FILE} is not a tokenizer this studio wrote: ${(e as Error).message}`);
      }
      // The other model slots share the tokenizer: a different vocabulary would break them.
      if (this.tokenizer && tokenizer.vocabSize !== this.tokenizer.vocabSize) {
        throw new Error(`the imported tokenizer has ${tokenizer.vocabSize} tokens, the loaded one ${this.tokenizer.vocabSize}`);
      }
    }
    const weights = files[SAFETENSORS_FILE];
    let load: ModelLoader;
    if (weights !== undefined) {
      const config = text(CONFIG_FILE);
      if (config === undefined) throw new Error(`${CONFIG_FILE} is missing: select it together with ${SAFETENSORS_FILE}`);
      if (typeof weights === 'string') throw new Error(`${SAFETENSORS_FILE} must be read as binary`);
      load = async (onBytes) => {
        onBytes(weights.byteLength);
        return importSafetensors(weights, config);
      };
    } else if (files[MANIFEST_FILE] !== undefined) {
      load = fromSource(bufferSource(files, 'imported files'));
    } else {
      throw new Error(`select ${SAFETENSORS_FILE} and ${CONFIG_FILE} (and ${TOKENIZER_FILE}) together`);
    }
    await this.replaceModel(id, 'a3', load, tokenizer);
  }

  /** Load first, swap after: a failed load keeps the model (and tokenizer) that were there. */
  private async replaceModel(id: number, kind: ModelKind, load: ModelLoader, tokenizer = this.tokenizer): Promise<void> {
    if (this.run !== 'idle') throw new Error('a training run is using the model: stop it first');
    const model = await load((loadedBytes) => this.o.post({ type: 'load-progress', id, loadedBytes }));
    if (tokenizer && model.config.vocabSize !== tokenizer.vocabSize) {
      disposeModel(model);
      throw new Error(`this model has a vocabulary of ${model.config.vocabSize}, the tokenizer ${tokenizer.vocabSize}: they do not belong together`);
    }
    this.install(kind, model, load);
    this.tokenizer = tokenizer;
    this.postLoaded(id, kind, model);
  }

  private install(kind: ModelKind, model: A3Model, load: ModelLoader): void {
    const old = this.models.get(kind);
    this.models.set(kind, model);
    this.loaders.set(kind, load);
    if (old && old !== model) disposeModel(old);
  }

  private postLoaded(id: number, kind: ModelKind, model: A3Model): void {
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

  /** Between steps: wait while paused, unless a single step was requested; a simulated OOM surfaces here. */
  private async gate(): Promise<void> {
    await new Promise((r) => setTimeout(r, 0)); // let queued commands in
    if (this.injected) {
      const e = this.injected;
      this.injected = null;
      throw e;
    }
    while (this.run === 'paused' && !this.stopRequested && !this.pendingFault) {
      if (this.stepBudget > 0) {
        this.stepBudget -= 1;
        return;
      }
      await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
    }
  }

  /**
   * One run: its stages in order. A lost device or an out-of-memory error does not end it: the worker
   * moves to the next backend, rebuilds the models there, and goes on from the last checkpoint.
   */
  private async train(cmd: TrainCommand): Promise<void> {
    if (this.run !== 'idle') throw new Error('a training run is already in progress: pause, stop or wait for it');
    const data = prepareData(cmd.text, this.requireTokenizer(), this.model('a3').config.maxLen);
    // Running from here on, before the first await: a second 'train' arriving meanwhile is refused.
    this.stopRequested = false;
    this.setRun('running');
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
            await this.recover(cmd.id, fault, restart);
          }
        }
      } finally {
        // The A3 slot now holds this run's weights: a later fallback rebuilds them from its last checkpoint
        // (unless a failed reload emptied the slot: it stays empty until loaded again).
        if (this.models.has('a3')) this.loaders.set('a3', restart.load);
      }
      this.o.post({ type: 'done', id: cmd.id });
    } finally {
      this.pendingFault = null;
      this.injected = null;
      this.setRun('idle');
      this.postMemory();
    }
  }

  private async startPoint(cmd: TrainCommand): Promise<RestartPoint> {
    if (cmd.resumeKey) {
      const ckpt = await this.o.store.get(cmd.resumeKey);
      if (!ckpt) throw new Error(`no checkpoint named ${cmd.resumeKey}`);
      const stageIndex = Math.max(0, cmd.plan.stages.findIndex((s) => s.name === ckpt.stage));
      return { label: `checkpoint ${ckpt.label}`, stageIndex, state: ckpt.state, load: this.checkpointLoader(ckpt.key, ckpt.label) };
    }
    return { label: 'the weights the run started from (no checkpoint yet)', stageIndex: 0, load: this.loaders.get('a3')! };
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
    const model = this.model('a3');
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
            const ckpt = await this.saveCheckpoint(model, state, cmd);
            saved({ label: `checkpoint ${ckpt.label}`, stageIndex: i, state, load: this.checkpointLoader(ckpt.key, ckpt.label) });
          },
          shouldStop: () => this.stopRequested || !live(),
          betweenSteps: () => this.gate(),
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

  /** From GPUDevice.lost, or simulate-fault: a running (or paused) run is rescued by its loop, an idle worker here. */
  private signalFault(fault: Fault): void {
    if (this.run === 'idle') {
      void this.recoverIdle(fault);
      return;
    }
    this.pendingFault ??= fault;
    this.onFault?.(fault);
    this.wake?.();
  }

  private watchDevice(): void {
    const epoch = ++this.backendEpoch;
    watchDeviceLost((detail) => epoch === this.backendEpoch && this.signalFault({ kind: 'device-lost', detail, simulated: false }));
  }

  /**
   * Next backend (every model freed on the failed one). Throws when no backend is left (`stopped` says what that
   * means for the page); the models are then left as they were.
   */
  private async fallBack(fault: Fault, stopped: string): Promise<{ failed: BackendName; to: BackendName; reason: string }> {
    const failed = tf.getBackend() as BackendName;
    this.failedBackends.add(failed);
    this.pendingFault = null;
    this.injected = null;
    const next = nextBackend(failed, this.failedBackends);
    if (!next) throw new Error(`${faultTitle(fault, failed)} (${fault.detail}) and no backend is left to fall back to: ${stopped}`);
    for (const m of this.models.values()) {
      try {
        disposeModel(m);
      } catch {
        // A lost device may refuse to free its buffers; they are gone with it anyway.
      }
    }
    this.models.clear();
    const choice = await initBackend(next, { exclude: [...this.failedBackends] });
    this.watchDevice();
    return { failed, to: choice.name, reason: choice.reason };
  }

  /**
   * Rebuilds every loaded slot on the current backend from its bytes off the device (`override`: another loader
   * for one slot, e.g. a run's restart point). A slot that cannot be rebuilt is emptied and reported as `unloaded`,
   * so the page shows it as not loaded and offers to load it again. Returns the failed slots and why.
   */
  private async reloadModels(override?: { kind: ModelKind; load: ModelLoader }): Promise<Map<ModelKind, string>> {
    const failures = new Map<ModelKind, string>();
    for (const [kind, load] of [...this.loaders]) {
      const loader = override?.kind === kind ? override.load : load;
      try {
        this.install(kind, await loader(() => undefined), loader);
      } catch (e) {
        this.models.delete(kind);
        this.loaders.delete(kind);
        const message = `the ${kind} model could not be reloaded on ${tf.getBackend()} after the fault (${messageOf(e)}): it is not loaded, load it again`;
        failures.set(kind, message);
        this.o.post({ type: 'unloaded', kind, message });
      }
    }
    return failures;
  }

  /**
   * Under a training run: next backend, every model rebuilt there (the run's from its restart point, the others
   * from where they were loaded), then a `fault` event for the page. Throws when no backend is left or the run's
   * model cannot be rebuilt; saved checkpoints stay.
   */
  private async recover(id: number, fault: Fault, from: RestartPoint): Promise<void> {
    const { failed, to, reason } = await this.fallBack(fault, 'training stopped, saved checkpoints are kept');
    const lost = (await this.reloadModels({ kind: 'a3', load: from.load })).get('a3');
    const message = lost ? `${faultTitle(fault, failed)}: switched to ${to}, but ${lost}.` : faultMessage(fault, failed, to, from.label);
    this.o.post({ type: 'fault', id, kind: fault.kind, from: failed, to, reason, resumedFrom: from.label, message });
    this.postMemory();
    if (lost) throw new Error(`${message} Training stopped, saved checkpoints are kept.`);
  }

  /**
   * A fault with no run going (GPUDevice.lost while idle, simulate-fault, a command that failed with a fault):
   * next backend, the loaded models rebuilt there, a `fault` event (no run id). Never throws: resolves with the
   * sentence the page gets (also posted as an error when no backend is left). One recovery at a time.
   */
  private recoverIdle(fault: Fault): Promise<string> {
    if (this.recovering) return this.recovering;
    const recovery = (async () => {
      try {
        const { failed, to, reason } = await this.fallBack(fault, 'reload the page');
        const hadModels = this.loaders.size;
        const failures = await this.reloadModels();
        const what =
          failures.size > 0
            ? `${[...failures.keys()].join(' and ')} could not be reloaded (load again)`
            : hadModels === 0
              ? 'no model was loaded'
              : hadModels === 1
                ? 'the model was reloaded'
                : 'the models were reloaded';
        const message = `${faultTitle(fault, failed)}: switched to ${to}; ${what}.`;
        this.o.post({ type: 'fault', kind: fault.kind, from: failed, to, reason, message });
        this.postMemory();
        return message;
      } catch (e) {
        const message = messageOf(e);
        this.o.post({ type: 'error', message });
        return message;
      }
    })();
    this.recovering = recovery;
    void recovery.finally(() => {
      if (this.recovering === recovery) this.recovering = null;
    });
    return recovery;
  }

  private async saveCheckpoint(model: A3Model, state: TrainerState, cmd: TrainCommand): Promise<{ key: string; label: string }> {
    const { manifest, shards } = await serializeModel(model);
    const key = `run-${cmd.seed}-${state.stage}`;
    const label = `${state.stage} @ step ${state.step}`;
    await this.o.store.put({
      key,
      label,
      savedAt: Date.now(),
      step: state.step,
      stage: state.stage,
      files: { [MANIFEST_FILE]: JSON.stringify(manifest), ...shards },
      state,
      run: { text: cmd.text, plan: cmd.plan },
    });
    return { key, label };
  }

  private postMemory(): void {
    const m = tf.memory();
    this.o.post({ type: 'memory', numTensors: m.numTensors, numBytes: m.numBytes });
  }
}
