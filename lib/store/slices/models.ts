/**
 * Store slice "models": the worker's backend (honouring `?backend=`), the three model slots and what is
 * shipped under /weights/, memory in use, and the page-side tokenizer. Booting starts the backend, lists the
 * checkpoints, then fills the A3 slot only (with the base model standing in when A3 is not shipped): the
 * base and MDLM slots load when a decoder first needs them (decode slice), so the page is ready sooner.
 */
import { parseBackendParam, type BackendName } from '../../a3/backend-names';
import { PRESETS } from '../../a3/config';
import { Tokenizer } from '../../a3/tokenizer';
import { shortRun, type CheckpointMeta } from '../../train/storage';
import type { ActiveWeights, LoadedModel, ModelKind } from '../../worker/protocol';
import { messageOf, type Slice, type SliceContext } from './context';

export interface BackendState {
  status: 'idle' | 'starting' | 'ready' | 'error';
  /** From `?backend=` ('auto' when absent or unknown). */
  requested: BackendName | 'auto';
  name: BackendName | null;
  reason: string | null;
}

export type LoadStatus = 'idle' | 'loading' | 'loaded' | 'missing' | 'error';

export interface ModelSlot {
  status: LoadStatus;
  /** Which weights fill the slot: a shipped folder, a restored checkpoint or imported files. */
  source: ModelKind | 'checkpoint' | 'import' | null;
  loadedBytes: number;
  /** From the manifest (sum of tensor sizes), when known. */
  totalBytes: number | null;
  info: LoadedModel | null;
  /** Which weights the worker says the slot holds (the one place every cell reads it from: weightsLabel). */
  weights: ActiveWeights | null;
  /** A plain-language note (e.g. why the A3 slot holds the base model). */
  note: string | null;
}

/** Whether each shipped folder exists under /weights/ (null: not checked yet). */
export type Shipped = Record<ModelKind, boolean | null>;

export interface ModelsData {
  backend: BackendState;
  models: Record<ModelKind, ModelSlot>;
  shipped: Shipped;
  memory: { numTensors: number; numBytes: number } | null;
  /** The tokenizer on the page (null until loaded): names candidate tokens, counts a selection's tokens. */
  tokenizer: Tokenizer | null;
  /** The checkpoint the A3 slot held when the page was last open (offered back by lastFineTuneOffer), or null. */
  rememberedFineTune: string | null;
}

export interface ModelsActions {
  /** Init the backend (honouring `?backend=`), then load the A3 model (falling back to base). */
  boot(): Promise<void>;
  /** Loads shipped weights `folder` into model slot `slot` (default: the same kind). */
  loadModel(slot: ModelKind, folder?: ModelKind): Promise<boolean>;
  /** The A3 slot: a3 weights if shipped, else base weights (same format, untrained query stream). */
  loadA3(): Promise<void>;
  /** Loads the page-side tokenizer once (null when it cannot be fetched). */
  loadTokenizer(): Promise<Tokenizer | null>;
}

export const MODEL_KINDS: readonly ModelKind[] = ['a3', 'base', 'mdlm'];
export const MODEL_LABEL: Record<ModelKind, string> = { a3: 'A3 (any-order)', base: 'base (left-to-right)', mdlm: 'MDLM (masked diffusion)' };
/** The same in two words, where a row or a message names the model a decode ran on. */
export const MODEL_SHORT: Record<ModelKind, string> = { a3: 'A3', base: 'base AR', mdlm: 'MDLM' };

const emptySlot = (): ModelSlot => ({ status: 'idle', source: null, loadedBytes: 0, totalBytes: null, info: null, weights: null, note: null });

/**
 * The context, in tokens, of the model in slot `kind`: its loaded config, else the A3 slot's, else the
 * shipped preset's. The page counts a template against it before a baseline's model has loaded (it loads
 * on first run), so the counter and the window hint show a limit from the start; the worker checks the
 * template again against the model it actually runs.
 */
export function modelContext(s: Pick<ModelsData, 'models'>, kind: ModelKind): number {
  return s.models[kind].info?.config.maxLen ?? s.models.a3.info?.config.maxLen ?? PRESETS.base.maxLen;
}

/** Where the page remembers the checkpoint the A3 slot last held, to offer it back after a reload. */
export const LAST_FINE_TUNE_KEY = 'a3-studio:last-fine-tune';


/** The active weights in words: "shipped a3 weights", "fine-tuned run 3f2a at step 40 (blocks s=2)", "imported model.safetensors". */
export function weightsLabel(w: ActiveWeights | null): string {
  if (!w) return 'none loaded';
  switch (w.kind) {
    case 'shipped':
      return `shipped ${w.folder} weights`;
    case 'fine-tuned':
      return `fine-tuned run ${shortRun(w.runId)} at step ${w.step} (${w.stage})`;
    case 'imported':
      return `imported ${w.name}`;
  }
}

/** Total float32 bytes a manifest describes. */
function manifestBytes(m: unknown): number | null {
  const tensors = (m as { tensors?: { shape?: number[] }[] } | null)?.tensors;
  if (!Array.isArray(tensors)) return null;
  return tensors.reduce((a, t) => a + 4 * (t.shape ?? []).reduce((x, y) => x * y, 1), 0);
}

function readStorage(ctx: Pick<SliceContext, 'storage'>, key: string): string | null {
  try {
    return ctx.storage?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

/**
 * After a reload the A3 slot holds shipped weights again: the fine-tune it held before, if its checkpoint is
 * still saved, is what the Model cell offers to restore (null: nothing to offer).
 */
export function lastFineTuneOffer(s: Pick<ModelsData, 'models' | 'rememberedFineTune'> & { training: { checkpoints: readonly CheckpointMeta[] } }): CheckpointMeta | null {
  if (!s.rememberedFineTune || s.models.a3.status !== 'loaded' || s.models.a3.weights?.kind !== 'shipped') return null;
  return s.training.checkpoints.find((c) => c.key === s.rememberedFineTune) ?? null;
}

/** Keeps the A3 slot's checkpoint (or forgets it when shipped or imported weights replace it), for the offer after a reload. */
function rememberFineTune(ctx: Pick<SliceContext, 'storage'>, w: ActiveWeights): void {
  try {
    if (w.kind === 'fine-tuned' && w.key) ctx.storage?.setItem(LAST_FINE_TUNE_KEY, w.key);
    else if (w.kind !== 'shipped') ctx.storage?.removeItem(LAST_FINE_TUNE_KEY);
  } catch {
    // Storage refused (private mode, quota): the offer after a reload is a convenience, the run is saved anyway.
  }
}

/** One slot's fields changed (also by the training slice, when a checkpoint or an import replaces the A3 model). */
export function patchModelSlot(ctx: Pick<SliceContext, 'set'>, kind: ModelKind, p: Partial<ModelSlot>): void {
  ctx.set((s) => ({ models: { ...s.models, [kind]: { ...s.models[kind], ...p } } }));
}

export function modelsSlice(ctx: SliceContext): Slice<ModelsData & ModelsActions> {
  const { set, get } = ctx;
  /** Request ids → the model slot they load (progress events carry the id). */
  const loading = new Map<number, ModelKind>();
  let tokenizerLoad: Promise<Tokenizer | null> | null = null;
  const patchSlot = (kind: ModelKind, p: Partial<ModelSlot>) => patchModelSlot(ctx, kind, p);

  /**
   * Reads a shipped folder's manifest: not ok when the folder is not there. `presence` only asks whether it
   * is there (a HEAD request, no body): what the page needs before a model is used.
   */
  const probe = async (folder: ModelKind, presence = false): Promise<{ ok: boolean; bytes: number | null; why: string }> => {
    if (!ctx.fetch) return { ok: true, bytes: null, why: '' };
    try {
      const res = await ctx.fetch(`${ctx.weightsBase}${folder}/manifest.json`, { cache: 'no-store', ...(presence ? { method: 'HEAD' } : {}) });
      if (!res.ok) return { ok: false, bytes: null, why: `HTTP ${res.status}` };
      return { ok: true, bytes: presence ? null : manifestBytes(await res.json()), why: '' };
    } catch (e) {
      return { ok: false, bytes: null, why: messageOf(e) };
    }
  };

  const slice: ModelsData & ModelsActions = {
    backend: { status: 'idle', requested: parseBackendParam(new URLSearchParams(ctx.search).get('backend')) ?? 'auto', name: null, reason: null },
    models: { a3: emptySlot(), base: emptySlot(), mdlm: emptySlot() },
    shipped: { a3: null, base: null, mdlm: null },
    memory: null,
    tokenizer: null,
    rememberedFineTune: readStorage(ctx, LAST_FINE_TUNE_KEY),

    async boot() {
      const requested = get().backend.requested;
      set({ backend: { status: 'starting', requested, name: null, reason: null } });
      try {
        const ev = await ctx.client().request({ type: 'init', backend: requested, ...(get().faultsEnabled ? { faults: true } : {}) });
        set({ backend: { status: 'ready', requested, name: ev.backend, reason: ev.reason } });
      } catch (e) {
        set({ backend: { status: 'error', requested, name: null, reason: messageOf(e) } });
        ctx.fail('model', e);
        return;
      }
      // Checkpoints live in IndexedDB and survive reloads: list them without waiting for the model.
      void get().refreshCheckpoints();
      await get().loadA3();
    },

    async loadModel(slot, folder = slot) {
      const p = await probe(folder);
      set((s) => ({ shipped: { ...s.shipped, [folder]: p.ok } }));
      if (!p.ok) {
        patchSlot(slot, { status: 'missing', note: `${folder} weights are not shipped yet (${ctx.weightsBase}${folder}/manifest.json: ${p.why})` });
        return false;
      }
      patchSlot(slot, { status: 'loading', source: folder, loadedBytes: 0, totalBytes: p.bytes, note: null });
      try {
        const ev = await ctx.client().request({ type: 'load', kind: slot, baseUrl: `${ctx.weightsBase}${folder}/`, tokenizerUrl: ctx.tokenizerUrl }, (id) => loading.set(id, slot));
        patchSlot(slot, { status: 'loaded', source: folder, info: ev.model, loadedBytes: p.bytes ?? ev.model.bytes, totalBytes: p.bytes ?? ev.model.bytes });
        return true;
      } catch (e) {
        patchSlot(slot, { status: 'error', note: messageOf(e) });
        ctx.fail('model', e);
        return false;
      }
    },

    async loadA3() {
      // Whether the other folders are shipped, for the Model cell; their weights load on first use (AR, diffusion, Compare).
      void Promise.all(
        (['base', 'mdlm'] as const).map(async (k) => {
          const p = await probe(k, true);
          set((s) => ({ shipped: { ...s.shipped, [k]: p.ok } }));
        }),
      );
      if (await get().loadModel('a3', 'a3')) return;
      if (get().models.a3.status === 'error') return; // shipped but broken: the error is shown, no silent swap
      if (await get().loadModel('a3', 'base')) {
        patchSlot('a3', {
          note:
            'The A3 model is not shipped yet, so the base model stands in: same weights format and content stream, ' +
            'but its query stream (the vector w) is untrained — predictions from it are noise until you fine-tune.',
        });
      }
    },

    async loadTokenizer() {
      const have = get().tokenizer;
      if (have) return have;
      // Callers during one load share it; a failed load is forgotten, so the next use tries again.
      tokenizerLoad ??= (async () => {
        if (!ctx.fetch) return null;
        try {
          const res = await ctx.fetch(ctx.tokenizerUrl);
          if (!res.ok) return null;
          const t = Tokenizer.fromJSON(await res.json());
          set({ tokenizer: t });
          return t;
        } catch {
          return null;
        }
      })().then((t) => {
        if (t === null) tokenizerLoad = null;
        return t;
      });
      return tokenizerLoad;
    },
  };

  return {
    slice,
    onEvent(e) {
      switch (e.type) {
        case 'load-progress': {
          const kind = loading.get(e.id);
          if (kind) patchSlot(kind, { loadedBytes: e.loadedBytes });
          return;
        }
        case 'memory':
          set({ memory: { numTensors: e.numTensors, numBytes: e.numBytes } });
          return;
        case 'fault':
          // The worker moved to another backend (and resumed the run, if one was going): show the new backend.
          set((s) => ({ backend: { ...s.backend, status: 'ready', name: e.to, reason: `${e.reason} — after: ${e.message}` } }));
          return;
        case 'unloaded':
          // A reload after a fault failed: the slot is empty in the worker; the Model cell says why and loading works again.
          patchSlot(e.kind, { status: 'error', info: null, weights: null, loadedBytes: 0, note: e.message });
          return;
        case 'weights':
          patchSlot(e.kind, { weights: e.weights });
          if (e.kind === 'a3') {
            rememberFineTune(ctx, e.weights);
            // Once other weights replace the shipped ones, the offer is answered (taken, or a new choice made).
            if (e.weights.kind !== 'shipped') set({ rememberedFineTune: null });
          }
          return;
      }
    },
  };
}
