/**
 * The worker's model slots (A3, base, MDLM) and the one tokenizer they share: load from a URL, import
 * files, replace from a checkpoint, export. Each slot keeps how it was built (a loader reading bytes off the
 * device), so a fault recovery (recovery.ts) can rebuild it on another backend.
 */
import * as tf from '@tensorflow/tfjs';
import { parameterCount } from '../a3/config';
import { disposeModel, type A3Model } from '../a3/model';
import { CONFIG_FILE, SAFETENSORS_FILE, TOKENIZER_FILE, importSelectionProblem } from '../a3/model-files';
import { parseTokenizerJSON } from '../a3/hf-tokenizer';
import { exportHfFiles, importSafetensors } from '../a3/safetensors';
import type { Tokenizer } from '../a3/tokenizer';
import { bufferSource, loadModel, urlSource, type WeightSource } from '../a3/weights';
import type { ActiveWeights, ModelKind, WorkerEvent } from './protocol';

/** How the worker sends an event to the page. */
export type Post = (event: WorkerEvent, transfer?: Transferable[]) => void;

export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** tfjs's memory in use, for the Model cell. */
export function memoryEvent(): WorkerEvent {
  const m = tf.memory();
  return { type: 'memory', numTensors: m.numTensors, numBytes: m.numBytes };
}

/** Builds a model on the current backend (reporting bytes read); kept per slot so a fallback can rebuild it. */
export type ModelLoader = (onBytes: (loadedBytes: number) => void) => Promise<A3Model>;

export const fromSource =
  (source: WeightSource): ModelLoader =>
  async (onBytes) =>
    (await loadModel(source, (p) => onBytes(p.loadedBytes))).model;

type Files = Record<string, ArrayBuffer | string>;

export class ModelSlots {
  private readonly models = new Map<ModelKind, A3Model>();
  private readonly loaders = new Map<ModelKind, ModelLoader>();
  /** Which weights each slot holds (posted as `weights` whenever it changes). */
  private readonly origins = new Map<ModelKind, ActiveWeights>();
  private shared: Tokenizer | null = null;

  /** `guard` throws when the slots must not change (a training run holds the A3 model). */
  constructor(
    private readonly post: Post,
    private readonly guard: () => void,
    private readonly fetchImpl?: typeof fetch,
  ) {}

  model(kind: ModelKind): A3Model {
    const m = this.models.get(kind);
    if (!m) throw new Error(`the ${kind} model is not loaded yet`);
    return m;
  }

  tokenizer(): Tokenizer {
    if (!this.shared) throw new Error('the tokenizer is not loaded yet');
    return this.shared;
  }

  has(kind: ModelKind): boolean {
    return this.models.has(kind);
  }

  /** The slots that have a way to be rebuilt (loaded, or emptied by a fault and not reloaded yet). */
  loadedKinds(): ModelKind[] {
    return [...this.loaders.keys()];
  }

  loader(kind: ModelKind): ModelLoader | undefined {
    return this.loaders.get(kind);
  }

  weights(kind: ModelKind): ActiveWeights | undefined {
    return this.origins.get(kind);
  }

  /** After a training run the A3 slot holds its weights: a later rebuild starts from the run's restart point. */
  setLoader(kind: ModelKind, load: ModelLoader, weights: ActiveWeights): void {
    if (!this.models.has(kind)) return;
    this.loaders.set(kind, load);
    this.setOrigin(kind, weights);
  }

  /** Replaces a slot's model from `load` while a run holds it (a diverged run rolls back to its last good weights). */
  async reinstall(kind: ModelKind, load: ModelLoader, weights: ActiveWeights): Promise<void> {
    this.install(kind, await load(() => undefined), load);
    this.setOrigin(kind, weights);
    this.post(memoryEvent());
  }

  private setOrigin(kind: ModelKind, weights: ActiveWeights): void {
    this.origins.set(kind, weights);
    this.post({ type: 'weights', kind, weights });
  }

  async load(id: number, kind: ModelKind, baseUrl: string, tokenizerUrl: string): Promise<void> {
    if (!this.shared) {
      const res = await (this.fetchImpl ?? fetch)(tokenizerUrl);
      if (!res.ok) throw new Error(`cannot fetch ${tokenizerUrl}: HTTP ${res.status}`);
      this.shared = parseTokenizerJSON(await res.json());
    }
    const folder = /([^/]+)\/?$/.exec(baseUrl)?.[1];
    const shipped: ActiveWeights = { kind: 'shipped', folder: folder === 'a3' || folder === 'base' || folder === 'mdlm' ? folder : kind };
    await this.replace(id, kind, fromSource(urlSource(baseUrl, this.fetchImpl)), shipped);
  }

  /** A checkpoint's files (manifest + shards) into the A3 slot; `weights` says which run and step they are. */
  restore(id: number, files: Files, label: string, weights: ActiveWeights): Promise<void> {
    return this.replace(id, 'a3', fromSource(bufferSource(files, `checkpoint ${label}`)), weights);
  }

  /** Imported files: model.safetensors + config.json (the export), or manifest.json + shards (the shipped format). */
  async importFiles(id: number, files: Files): Promise<void> {
    const problem = importSelectionProblem(Object.keys(files));
    if (problem) throw new Error(problem);
    const text = (name: string) => {
      const v = files[name];
      return typeof v === 'string' ? v : v === undefined ? undefined : new TextDecoder().decode(v);
    };
    let tokenizer = this.shared;
    const tokText = text(TOKENIZER_FILE);
    if (tokText !== undefined) {
      try {
        tokenizer = parseTokenizerJSON(JSON.parse(tokText));
      } catch (e) {
        throw new Error(`${TOKENIZER_FILE} cannot be read: ${messageOf(e)}`, { cause: e });
      }
      // The other model slots share the tokenizer: a different vocabulary would break them.
      if (this.shared && tokenizer.vocabSize !== this.shared.vocabSize) {
        throw new Error(`the imported tokenizer has ${tokenizer.vocabSize} tokens, the loaded one ${this.shared.vocabSize}`);
      }
    }
    const weights = files[SAFETENSORS_FILE];
    const config = text(CONFIG_FILE);
    let load: ModelLoader;
    const imported: ActiveWeights = { kind: 'imported', name: weights !== undefined ? SAFETENSORS_FILE : Object.keys(files).sort().join(', ') };
    if (weights !== undefined && config !== undefined) {
      if (typeof weights === 'string') throw new Error(`${SAFETENSORS_FILE} must be read as binary`);
      load = async (onBytes) => {
        onBytes(weights.byteLength);
        return importSafetensors(weights, config);
      };
    } else {
      // The selection check passed without the safetensors pair: the shipped layout, manifest.json + shards.
      load = fromSource(bufferSource(files, 'imported files'));
    }
    await this.replace(id, 'a3', load, imported, tokenizer);
  }

  /** The A3 slot as EXPORT_FILES: model.safetensors, config.json, tokenizer.json (Hugging Face's `tokenizers` format). */
  exportFiles(): Promise<Files> {
    return exportHfFiles(this.model('a3'), this.tokenizer());
  }

  /** Load first, swap after: a failed load keeps the model (and tokenizer) that were there. */
  private async replace(id: number, kind: ModelKind, load: ModelLoader, weights: ActiveWeights, tokenizer = this.shared): Promise<void> {
    this.guard();
    const model = await load((loadedBytes) => this.post({ type: 'load-progress', id, loadedBytes }));
    if (tokenizer && model.config.vocabSize !== tokenizer.vocabSize) {
      disposeModel(model);
      throw new Error(`this model has a vocabulary of ${model.config.vocabSize}, the tokenizer ${tokenizer.vocabSize}: they do not belong together`);
    }
    this.install(kind, model, load);
    this.shared = tokenizer;
    this.setOrigin(kind, weights);
    const cfg = model.config;
    this.post({ type: 'loaded', id, model: { kind, config: cfg, parameters: parameterCount(cfg), bytes: parameterCount(cfg) * 4, vocabSize: cfg.vocabSize } });
    this.post(memoryEvent());
  }

  private install(kind: ModelKind, model: A3Model, load: ModelLoader): void {
    const old = this.models.get(kind);
    this.models.set(kind, model);
    this.loaders.set(kind, load);
    if (old && old !== model) disposeModel(old);
  }

  /** Frees every model (their backend failed); the loaders stay, to rebuild them elsewhere. */
  disposeAll(): void {
    for (const m of this.models.values()) {
      try {
        disposeModel(m);
      } catch {
        // A lost device may refuse to free its buffers; they are gone with it anyway.
      }
    }
    this.models.clear();
  }

  /**
   * Rebuilds every slot on the current backend from its loader (`override`: another loader for one slot, e.g. a
   * run's restart point). A slot that cannot be rebuilt is emptied. Returns the failed slots and their errors.
   */
  async reloadAll(override?: { kind: ModelKind; load: ModelLoader }): Promise<Map<ModelKind, unknown>> {
    const failures = new Map<ModelKind, unknown>();
    for (const [kind, saved] of [...this.loaders]) {
      const load = override?.kind === kind ? override.load : saved;
      try {
        this.install(kind, await load(() => undefined), load);
      } catch (e) {
        this.models.delete(kind);
        this.loaders.delete(kind);
        this.origins.delete(kind);
        failures.set(kind, e);
      }
    }
    return failures;
  }
}
