/**
 * The studio's state: one zustand **vanilla** store per React tree (no global
 * store; see components/notebook/StudioProvider.tsx), framework-free so Node
 * tests drive it with a fake worker. It talks to the worker only through a
 * `StudioClient` (the WorkerClient's request/send), and reduces the worker's
 * events into plain data the cells render.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { BackendName } from '../a3/backend';
import type { DecodeRequest, DecodeResult } from '../a3/decode/request';
import { Tokenizer } from '../a3/tokenizer';
import type { Curriculum } from '../train/curriculum';
import type { FaultKind } from '../train/fallback';
import type { AttentionSnapshot, LoadedModel, ModelKind, WorkerCommand, WorkerEvent } from '../train/protocol';
import type { CheckpointSummary } from '../train/storage';
import { groupIdsFor, type GroupingSpec } from '../a3/groups';
import { beginRun, initialTraining, reduceTrainEvent, type TrainingState } from './training';
import { parseUrlState, type InspectParams, type PlaygroundParams } from './url-params';

/** What the store needs from the worker: WorkerClient satisfies it, tests pass a fake. */
export interface StudioClient {
  request(cmd: DistributiveOmit<Extract<WorkerCommand, { id: number }>, 'id'>, onSent?: (id: number) => void): Promise<WorkerEvent>;
  send(cmd: Extract<WorkerCommand, { type: 'pause' | 'resume' | 'step' | 'stop' | 'simulate-fault' }>): void;
}
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Where an error is shown: the cell whose action caused it. */
export type CellId = 'model' | 'inspect' | 'finetune' | 'infill' | 'compare' | 'global';

export interface StudioError {
  id: number;
  cell: CellId;
  message: string;
  at: number;
}

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
  /** A plain-language note (e.g. why the A3 slot holds the base model). */
  note: string | null;
}

/** Whether each shipped folder exists under /weights/ (null: not checked yet). */
export type Shipped = Record<ModelKind, boolean | null>;

export interface InspectState extends InspectParams {
  status: 'idle' | 'running' | 'done' | 'error';
  snapshot: AttentionSnapshot | null;
  /** Token count of the last tokenised text, to build group ids without a second round trip. */
  tokenCache: { text: string; labels: string[] } | null;
  layer: number;
  head: number;
  position: number;
  /** Group a click assigns in the custom plan. */
  brush: number;
}

export type DecodeStatus = 'idle' | 'running' | 'done' | 'error';

/** The Infill playground: the last decode and where its replay stands. */
export interface DecodeState {
  status: DecodeStatus;
  /** The worker's answer (trace + labels + text) of the last successful run. */
  result: DecodeResult | null;
  /** The request that produced `result` (shown with it, exported with the trace). */
  request: DecodeRequest | null;
  /** The model that ran it: the A3 slot, or MDLM for the diffusion baseline. */
  kind: ModelKind | null;
  /** Replay position: index into `result.trace.steps` (the state after that step). */
  step: number;
  playing: boolean;
  /** Replay speed in steps per second. */
  speed: number;
  error: string | null;
}

export type CompareStatus = 'idle' | 'running' | 'done' | 'error' | 'unavailable';

export interface CompareRow {
  key: 'ar-a3' | 'ar-base' | 'groupwise' | 'dynamic' | 'mdlm';
  name: string;
  kind: ModelKind;
  status: CompareStatus;
  request?: DecodeRequest;
  result?: DecodeResult;
  error?: string;
  /** A plain-language caveat (e.g. why a row cannot run). */
  note?: string;
}

export interface CompareState {
  status: 'idle' | 'running' | 'done';
  rows: CompareRow[];
}

export const DECODE_SPEEDS: readonly number[] = [0.5, 1, 2, 4, 8];

/** The knobs each strategy reads (the others are dropped from its request). */
const STRATEGY_KNOBS: Record<DecodeRequest['strategy'], readonly (keyof DecodeRequest)[]> = {
  groupwise: ['groupSize', 'order'],
  dynamic: ['perStep', 'score'],
  speculative: ['draft', 'order'],
  diffusion: ['steps', 'blockLength', 'remasking'],
};
const ALL_KNOBS = [...new Set(Object.values(STRATEGY_KNOBS).flat())];

/** The model each strategy runs on: the diffusion baseline is its own (bidirectional) model. */
export function decodeModelKind(strategy: DecodeRequest['strategy']): ModelKind {
  return strategy === 'diffusion' ? 'mdlm' : 'a3';
}

/** A decode request from the playground's knobs (`over` replaces fields, e.g. the AR preset). */
export function playgroundRequest(p: PlaygroundParams, over: Partial<DecodeRequest> = {}): DecodeRequest {
  const req: DecodeRequest = {
    text: p.text,
    strategy: p.strategy,
    groupSize: p.groupSize,
    order: p.order,
    perStep: p.k,
    score: p.score,
    draft: p.draft,
    steps: p.steps,
    // 0 = one block over every open position (the decoder's default).
    ...(p.blockLength > 0 ? { blockLength: p.blockLength } : {}),
    remasking: p.remasking,
    sampling: { greedy: p.greedy, temperature: p.temperature, topP: p.topP, ...(p.topK > 0 ? { topK: p.topK } : {}) },
    seed: p.seed,
  };
  const merged: DecodeRequest = { ...req, ...over };
  // Keep only the knobs of the strategy that runs.
  const keep = STRATEGY_KNOBS[merged.strategy] ?? [];
  for (const knob of ALL_KNOBS) if (!keep.includes(knob)) delete merged[knob];
  return merged;
}

/** The rows of the Compare cell for the current playground (all idle). */
export function compareRows(p: PlaygroundParams): CompareRow[] {
  const ar = { strategy: 'groupwise', groupSize: 1, order: 'left-to-right' } as const;
  return [
    { key: 'ar-a3', name: 'AR (s = 1, left to right) · A3 model', kind: 'a3', status: 'idle', request: playgroundRequest(p, ar) },
    { key: 'ar-base', name: 'AR (s = 1, left to right) · base model', kind: 'base', status: 'idle', request: playgroundRequest(p, ar) },
    {
      key: 'groupwise',
      name: `A3 group-wise, s = ${p.groupSize}, ${p.order}`,
      kind: 'a3',
      status: 'idle',
      request: playgroundRequest(p, { strategy: 'groupwise', groupSize: p.groupSize, order: p.order }),
    },
    {
      key: 'dynamic',
      name: `A3 dynamic, k = ${p.k}, ${p.score}`,
      kind: 'a3',
      status: 'idle',
      request: playgroundRequest(p, { strategy: 'dynamic', perStep: p.k, score: p.score }),
    },
  ];
}

export interface StartTraining {
  text: string;
  plan: Curriculum;
  batch: number;
  seed: number;
  resumeKey?: string;
}

export interface StudioData {
  backend: BackendState;
  models: Record<ModelKind, ModelSlot>;
  shipped: Shipped;
  memory: { numTensors: number; numBytes: number } | null;
  training: TrainingState;
  inspect: InspectState;
  playground: PlaygroundParams;
  decode: DecodeState;
  compare: CompareState;
  /** The tokenizer on the page (null until loaded): names candidate tokens, counts a selection's tokens. */
  tokenizer: Tokenizer | null;
  errors: StudioError[];
  /** `?faults=1`: the Fine-tune cell offers buttons that simulate a lost device / out of memory (tests). */
  faultsEnabled: boolean;
}

export interface StudioActions {
  attach(client: StudioClient): void;
  detach(): void;
  /** Every event from the worker goes here (the WorkerClient's onEvent). */
  handleEvent(e: WorkerEvent): void;
  /** Init the backend (honouring `?backend=`), then load the A3 model (falling back to base). */
  boot(): Promise<void>;
  /** Loads shipped weights `folder` into model slot `slot` (default: the same kind). */
  loadModel(slot: ModelKind, folder?: ModelKind): Promise<boolean>;
  /** The A3 slot: a3 weights if shipped, else base weights (same format, untrained query stream). */
  loadA3(): Promise<void>;

  setInspectText(text: string): void;
  setInspectPlan(plan: GroupingSpec): void;
  setInspectView(v: Partial<Pick<InspectState, 'layer' | 'head' | 'position' | 'brush'>>): void;
  /** Custom plan: position `pos` joins the brush group (switches the plan to custom, starting from the current ids). */
  assignGroup(pos: number, group?: number): void;
  runInspect(): Promise<void>;
  /** Group ids of the current plan for the last tokenised text (null before the first inspect). */
  currentGroupIds(): number[] | null;

  setPlayground(p: Partial<PlaygroundParams>): void;

  /** Decodes the playground's text with its strategy and knobs (Infill cell): on the A3 model, or on MDLM (loaded on demand) for diffusion. */
  runDecode(): Promise<void>;
  /** Replay: jump to step t (clamped), step by ±1, play/pause, speed (steps/s). */
  setDecodeStep(t: number): void;
  stepDecode(delta: number): void;
  /** Advances the replay by one step; stops playing at the last step. */
  tickDecode(): void;
  setDecodePlaying(playing: boolean): void;
  setDecodeSpeed(speed: number): void;
  /** The same text through AR (A3 and base model), A3 group-wise and A3 dynamic, one after another (Compare cell). */
  runCompare(): Promise<void>;
  /** Loads the page-side tokenizer once (null when it cannot be fetched). */
  loadTokenizer(): Promise<Tokenizer | null>;

  startTraining(o: StartTraining): Promise<void>;
  pauseTraining(): void;
  resumeTraining(): void;
  stepTraining(): void;
  stopTraining(): void;
  /** Test-only (`?faults=1`): the running training hits a lost device or an out-of-memory error. */
  simulateFault(kind: FaultKind): void;
  refreshCheckpoints(): Promise<void>;
  restoreCheckpoint(key: string): Promise<void>;
  deleteCheckpoint(key: string): Promise<void>;
  exportModel(): Promise<Record<string, ArrayBuffer | string> | null>;
  importModel(files: Record<string, ArrayBuffer | string>): Promise<void>;

  pushError(cell: CellId, message: string): void;
  dismissError(id: number): void;
  clearErrors(cell: CellId): void;
}

export type StudioState = StudioData & StudioActions;
export type StudioStore = StoreApi<StudioState>;

export interface StudioOptions {
  /** The page's query string at start (URL state and `?backend=`). */
  search?: string;
  client?: StudioClient;
  /** Where shipped weights live (default '/weights/'). */
  weightsBase?: string;
  tokenizerUrl?: string;
  /** Used to read manifests (existence and size); default globalThis.fetch. */
  fetchImpl?: typeof fetch;
  now?: () => number;
}

const KINDS: readonly ModelKind[] = ['a3', 'base', 'mdlm'];
const MAX_ERRORS = 20;

const emptySlot = (): ModelSlot => ({ status: 'idle', source: null, loadedBytes: 0, totalBytes: null, info: null, note: null });

export const MODEL_LABEL: Record<ModelKind, string> = { a3: 'A3 (any-order)', base: 'base (left-to-right)', mdlm: 'MDLM (masked diffusion)' };

function parseBackend(search: string): BackendName | 'auto' {
  const v = new URLSearchParams(search).get('backend')?.trim().toLowerCase();
  return v === 'webgpu' || v === 'webgl' || v === 'wasm' || v === 'cpu' ? v : 'auto';
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Total float32 bytes a manifest describes. */
function manifestBytes(m: unknown): number | null {
  const tensors = (m as { tensors?: { shape?: number[] }[] })?.tensors;
  if (!Array.isArray(tensors)) return null;
  return tensors.reduce((a, t) => a + 4 * (t.shape ?? []).reduce((x, y) => x * y, 1), 0);
}

/** Checks the shape of a worker's decode answer (a DecodeResult travels as `trace`). */
export function decodeResultOf(x: unknown): DecodeResult {
  const r = x as Partial<DecodeResult> | null;
  if (!r || typeof r !== 'object' || !r.trace || !Array.isArray(r.trace.steps) || !Array.isArray(r.labels) || typeof r.text !== 'string') {
    throw new Error('the worker answered the decode with something that is not a decode result');
  }
  return r as DecodeResult;
}

export function createStudioStore(options: StudioOptions = {}): StudioStore {
  const search = options.search ?? '';
  const weightsBase = options.weightsBase ?? '/weights/';
  const tokenizerUrl = options.tokenizerUrl ?? `${weightsBase}tokenizer.json`;
  const now = options.now ?? (() => Date.now());
  const url = parseUrlState(search);
  let client: StudioClient | null = options.client ?? null;
  let nextErrorId = 1;
  /** Request ids → the model slot they load (progress events carry the id). */
  const loading = new Map<number, ModelKind>();
  let trainId: number | null = null;
  /** True from a start request until its run ends: the worker's 'running' arrives later, and a second click in between must not start a second run. */
  let trainPending = false;
  let tokenizerLoad: Promise<Tokenizer | null> | null = null;

  return createStore<StudioState>()((set, get) => {
    const need = (): StudioClient => {
      if (!client) throw new Error('the worker is not running yet');
      return client;
    };
    const patchSlot = (kind: ModelKind, p: Partial<ModelSlot>) => set((s) => ({ models: { ...s.models, [kind]: { ...s.models[kind], ...p } } }));
    const patchInspect = (p: Partial<InspectState>) => set((s) => ({ inspect: { ...s.inspect, ...p } }));
    const patchTraining = (p: Partial<TrainingState> | ((t: TrainingState) => TrainingState)) =>
      set((s) => ({ training: typeof p === 'function' ? p(s.training) : { ...s.training, ...p } }));
    const fail = (cell: CellId, e: unknown) => get().pushError(cell, messageOf(e));
    const patchDecode = (p: Partial<DecodeState>) => set((s) => ({ decode: { ...s.decode, ...p } }));
    /** One decode request in the worker; resolves with its DecodeResult. */
    const decodeOn = async (kind: ModelKind, request: DecodeRequest): Promise<DecodeResult> => {
      const ev = await need().request({ type: 'decode', kind, request });
      if (ev.type !== 'decoded') throw new Error(`unexpected answer ${ev.type} to decode`);
      return decodeResultOf(ev.trace);
    };

    /** Reads a shipped folder's manifest: null when the folder is not there. */
    const probe = async (folder: ModelKind): Promise<{ ok: boolean; bytes: number | null; why: string }> => {
      const f = options.fetchImpl ?? (typeof fetch === 'function' ? fetch : null);
      if (!f) return { ok: true, bytes: null, why: '' };
      try {
        const res = await f(`${weightsBase}${folder}/manifest.json`, { cache: 'no-store' });
        if (!res.ok) return { ok: false, bytes: null, why: `HTTP ${res.status}` };
        return { ok: true, bytes: manifestBytes(await res.json()), why: '' };
      } catch (e) {
        return { ok: false, bytes: null, why: messageOf(e) };
      }
    };

    return {
      backend: { status: 'idle', requested: parseBackend(search), name: null, reason: null },
      models: { a3: emptySlot(), base: emptySlot(), mdlm: emptySlot() },
      shipped: { a3: null, base: null, mdlm: null },
      memory: null,
      training: initialTraining(),
      inspect: {
        ...url.inspect,
        status: 'idle',
        snapshot: null,
        tokenCache: null,
        layer: 0,
        head: 0,
        position: 0,
        brush: 1,
      },
      playground: url.playground,
      decode: { status: 'idle', result: null, request: null, kind: null, step: 0, playing: false, speed: 2, error: null },
      compare: { status: 'idle', rows: [] },
      tokenizer: null,
      errors: [],
      faultsEnabled: new URLSearchParams(search).get('faults') === '1',

      attach(c) {
        client = c;
      },
      detach() {
        client = null;
      },

      handleEvent(e) {
        switch (e.type) {
          case 'load-progress': {
            const kind = loading.get(e.id);
            if (kind) patchSlot(kind, { loadedBytes: e.loadedBytes });
            return;
          }
          case 'memory':
            set({ memory: { numTensors: e.numTensors, numBytes: e.numBytes } });
            return;
          case 'train-state':
            patchTraining({ state: e.state });
            return;
          case 'train-event':
            if (trainId !== null && e.id !== trainId) return;
            patchTraining((t) => reduceTrainEvent(t, e.event));
            if (e.event.type === 'checkpoint' || e.event.type === 'done') void get().refreshCheckpoints();
            return;
          case 'fault':
            // The worker moved to another backend (and resumed the run, if one was going): show the new backend,
            // and say so where the run is.
            set((s) => ({ backend: { ...s.backend, status: 'ready', name: e.to, reason: `${e.reason} — after: ${e.message}` } }));
            if (e.id !== undefined) patchTraining({ fault: e.message });
            return;
          case 'unloaded':
            // A reload after a fault failed: the slot is empty in the worker; the Model cell says why and loading works again.
            patchSlot(e.kind, { status: 'error', info: null, loadedBytes: 0, note: e.message });
            return;
          case 'error':
            // Errors with an id reject their request; the action that sent it shows them in its cell.
            if (e.id === undefined) get().pushError('global', e.message);
            return;
          default:
            return;
        }
      },

      async boot() {
        const requested = get().backend.requested;
        set({ backend: { status: 'starting', requested, name: null, reason: null } });
        try {
          const ev = await need().request({ type: 'init', backend: requested, ...(get().faultsEnabled ? { faults: true } : {}) });
          if (ev.type !== 'ready') throw new Error(`unexpected answer ${ev.type} to init`);
          set({ backend: { status: 'ready', requested, name: ev.backend, reason: ev.reason } });
        } catch (e) {
          set({ backend: { status: 'error', requested, name: null, reason: messageOf(e) } });
          fail('model', e);
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
          patchSlot(slot, { status: 'missing', note: `${folder} weights are not shipped yet (${weightsBase}${folder}/manifest.json: ${p.why})` });
          return false;
        }
        patchSlot(slot, { status: 'loading', source: folder, loadedBytes: 0, totalBytes: p.bytes, note: null });
        try {
          const ev = await need().request({ type: 'load', kind: slot, baseUrl: `${weightsBase}${folder}/`, tokenizerUrl }, (id) => loading.set(id, slot));
          if (ev.type !== 'loaded') throw new Error(`unexpected answer ${ev.type} to load`);
          patchSlot(slot, { status: 'loaded', source: folder, info: ev.model, loadedBytes: p.bytes ?? ev.model.bytes, totalBytes: p.bytes ?? ev.model.bytes });
          return true;
        } catch (e) {
          patchSlot(slot, { status: 'error', note: messageOf(e) });
          fail('model', e);
          return false;
        }
      },

      async loadA3() {
        // Probe the other folders too, so the Model cell can say what is shipped.
        void Promise.all(
          (['base', 'mdlm'] as const).map(async (k) => {
            const p = await probe(k);
            set((s) => ({ shipped: { ...s.shipped, [k]: p.ok } }));
          }),
        );
        if (await get().loadModel('a3', 'a3')) return;
        if (get().models.a3.status === 'error') return; // shipped but broken: the error is shown, no silent swap
        const ok = await get().loadModel('a3', 'base');
        if (ok) {
          patchSlot('a3', {
            note:
              'The A3 model is not shipped yet, so the base model stands in: same weights format and content stream, ' +
              'but its query stream (the vector w) is untrained — predictions from it are noise until you fine-tune.',
          });
        }
      },

      setInspectText(text) {
        patchInspect({ text });
      },
      setInspectPlan(plan) {
        patchInspect({ plan });
      },
      setInspectView(v) {
        patchInspect(v);
      },
      assignGroup(pos, group) {
        const { inspect } = get();
        const n = inspect.tokenCache?.labels.length ?? 0;
        if (pos < 0 || pos >= n) return;
        const base = get().currentGroupIds() ?? Array.from(groupIdsFor({ kind: 'left-to-right' }, n));
        const gids = [...base];
        gids[pos] = group ?? inspect.brush;
        patchInspect({ plan: { kind: 'explicit', gids } });
      },
      currentGroupIds() {
        const { tokenCache, plan, text } = get().inspect;
        if (!tokenCache || tokenCache.text !== text) return null;
        return Array.from(groupIdsFor(plan, tokenCache.labels.length));
      },

      async runInspect() {
        const { text } = get().inspect;
        get().clearErrors('inspect');
        patchInspect({ status: 'running' });
        try {
          let gids = get().currentGroupIds();
          if (!gids) {
            // First look at this text: tokenise (a left-to-right pass), then build the plan's ids.
            const ev = await need().request({ type: 'inspect', text });
            if (ev.type !== 'inspected') throw new Error(`unexpected answer ${ev.type} to inspect`);
            patchInspect({ tokenCache: { text, labels: ev.snapshot.labels } });
            gids = get().currentGroupIds()!;
            if (get().inspect.plan.kind === 'left-to-right') {
              finishInspect(ev.snapshot);
              return;
            }
          }
          const ev = await need().request({ type: 'inspect', text, groupIds: gids });
          if (ev.type !== 'inspected') throw new Error(`unexpected answer ${ev.type} to inspect`);
          finishInspect(ev.snapshot);
        } catch (e) {
          patchInspect({ status: 'error' });
          fail('inspect', e);
        }
      },

      setPlayground(p) {
        set((s) => ({ playground: { ...s.playground, ...p } }));
      },

      async runDecode() {
        if (get().decode.status === 'running') return;
        get().clearErrors('infill');
        const request = playgroundRequest(get().playground);
        const kind = decodeModelKind(request.strategy);
        patchDecode({ status: 'running', playing: false, error: null });
        try {
          if (kind === 'mdlm') {
            // The diffusion baseline runs on its own weights, loaded on first use.
            if (get().models.mdlm.status !== 'loaded' && !(await get().loadModel('mdlm'))) {
              throw new Error(`the diffusion baseline needs the MDLM model: ${get().models.mdlm.note ?? 'its weights could not be loaded'}`);
            }
          } else if (get().models.a3.status !== 'loaded') {
            throw new Error('the model is not loaded yet: wait for the Model cell');
          }
          const result = await decodeOn(kind, request);
          patchDecode({ status: 'done', result, request, kind, step: Math.max(0, result.trace.steps.length - 1), playing: false, error: null });
        } catch (e) {
          patchDecode({ status: 'error', playing: false, error: messageOf(e) });
          fail('infill', e);
        }
      },
      setDecodeStep(t) {
        const n = get().decode.result?.trace.steps.length ?? 0;
        const step = n === 0 ? 0 : Math.min(n - 1, Math.max(0, Math.round(t)));
        if (step !== get().decode.step) patchDecode({ step });
      },
      stepDecode(delta) {
        patchDecode({ playing: false });
        get().setDecodeStep(get().decode.step + delta);
      },
      tickDecode() {
        const { step, result } = get().decode;
        const last = (result?.trace.steps.length ?? 0) - 1;
        if (step >= last) patchDecode({ playing: false });
        else patchDecode({ step: step + 1, playing: step + 1 < last ? get().decode.playing : false });
      },
      setDecodePlaying(playing) {
        const { result, step } = get().decode;
        const n = result?.trace.steps.length ?? 0;
        if (!playing || n === 0) return patchDecode({ playing: false });
        // Playing from the end starts over.
        patchDecode({ playing: n > 1, step: step >= n - 1 ? 0 : step });
      },
      setDecodeSpeed(speed) {
        if (Number.isFinite(speed) && speed > 0) patchDecode({ speed });
      },

      async runCompare() {
        if (get().compare.status === 'running') return;
        get().clearErrors('compare');
        const p = get().playground;
        const rows = compareRows(p);
        set({ compare: { status: 'running', rows } });
        const patchRow = (key: CompareRow['key'], r: Partial<CompareRow>) =>
          set((s) => ({ compare: { ...s.compare, rows: s.compare.rows.map((x) => (x.key === key ? { ...x, ...r } : x)) } }));
        for (const row of rows) {
          if (row.kind === 'base' && get().models.base.status !== 'loaded') {
            // The base model is loaded on demand (it is not needed until someone compares).
            patchRow(row.key, { status: 'running', note: 'loading the base model…' });
            if (get().shipped.base === false || !(await get().loadModel('base'))) {
              patchRow(row.key, { status: 'unavailable', note: 'the base model is not shipped (public/weights/base)' });
              continue;
            }
          }
          if (row.kind === 'a3' && get().models.a3.status !== 'loaded') {
            patchRow(row.key, { status: 'error', error: 'the A3 model is not loaded yet' });
            continue;
          }
          patchRow(row.key, { status: 'running', note: undefined });
          try {
            const result = await decodeOn(row.kind, row.request!);
            patchRow(row.key, {
              status: 'done',
              result,
              note:
                row.kind === 'base'
                  ? 'The base model was trained left to right only: its query stream (the vector w) is untrained, so these tokens are close to noise.'
                  : undefined,
            });
          } catch (e) {
            patchRow(row.key, { status: 'error', error: messageOf(e) });
          }
        }
        // MDLM: the masked-diffusion baseline (its own weights, the engine's diffusion decoder), only when shipped.
        const mdlmShipped = get().shipped.mdlm === true || get().models.mdlm.status === 'loaded';
        const dynNfe = get().compare.rows.find((r) => r.key === 'dynamic')?.result?.trace.nfe;
        const mdlm: CompareRow = {
          key: 'mdlm',
          name: `MDLM diffusion, ${dynNfe ?? 8} steps`,
          kind: 'mdlm',
          status: 'idle',
          request: { ...playgroundRequest(p), strategy: 'diffusion', steps: dynNfe ?? 8 },
        };
        set((s) => ({ compare: { ...s.compare, rows: [...s.compare.rows, mdlm] } }));
        if (!mdlmShipped) {
          patchRow('mdlm', { status: 'unavailable', name: 'MDLM (masked diffusion)', note: 'No MDLM weights are shipped (public/weights/mdlm), so the masked-diffusion baseline cannot run.' });
        } else {
          patchRow('mdlm', { status: 'running' });
          try {
            if (get().models.mdlm.status !== 'loaded' && !(await get().loadModel('mdlm'))) throw new Error('the MDLM weights could not be loaded');
            const result = await decodeOn('mdlm', mdlm.request!);
            patchRow('mdlm', { status: 'done', result, note: 'A separate bidirectional model; same number of forwards as the A3 dynamic row.' });
          } catch (e) {
            patchRow('mdlm', { status: 'error', error: messageOf(e) });
          }
        }
        set((s) => ({ compare: { ...s.compare, status: 'done' } }));
        const failed = get().compare.rows.filter((r) => r.status === 'error');
        if (failed.length) get().pushError('compare', failed.map((r) => `${r.name}: ${r.error}`).join('; '));
      },

      async loadTokenizer() {
        const have = get().tokenizer;
        if (have) return have;
        tokenizerLoad ??= (async () => {
          const f = options.fetchImpl ?? (typeof fetch === 'function' ? fetch : null);
          if (!f) return null;
          try {
            const res = await f(tokenizerUrl);
            if (!res.ok) return null;
            const t = Tokenizer.fromJSON(await res.json());
            set({ tokenizer: t });
            return t;
          } catch {
            return null;
          }
        })();
        return tokenizerLoad;
      },

      async startTraining(o) {
        get().clearErrors('finetune');
        if (trainPending || get().training.state !== 'idle') {
          get().pushError('finetune', 'a run is already in progress: pause, stop or wait for it');
          return;
        }
        trainPending = true;
        patchTraining((t) => beginRun(t, o.plan));
        try {
          await need().request(
            { type: 'train', text: o.text, plan: o.plan, batch: o.batch, seed: o.seed, ...(o.resumeKey ? { resumeKey: o.resumeKey } : {}) },
            (id) => (trainId = id),
          );
        } catch (e) {
          fail('finetune', e);
        } finally {
          trainPending = false;
          await get().refreshCheckpoints();
        }
      },
      pauseTraining() {
        client?.send({ type: 'pause' });
      },
      resumeTraining() {
        client?.send({ type: 'resume' });
      },
      stepTraining() {
        client?.send({ type: 'step' });
      },
      stopTraining() {
        client?.send({ type: 'stop' });
      },
      simulateFault(kind) {
        client?.send({ type: 'simulate-fault', kind });
      },

      async refreshCheckpoints() {
        try {
          const ev = await need().request({ type: 'checkpoints' });
          if (ev.type === 'checkpoints') patchTraining({ checkpoints: ev.list });
        } catch (e) {
          fail('finetune', e);
        }
      },
      async restoreCheckpoint(key) {
        get().clearErrors('finetune');
        try {
          const ev = await need().request({ type: 'restore', key });
          if (ev.type !== 'loaded') throw new Error(`unexpected answer ${ev.type} to restore`);
          const label = get().training.checkpoints.find((c: CheckpointSummary) => c.key === key)?.label ?? key;
          patchSlot('a3', { status: 'loaded', source: 'checkpoint', info: ev.model, note: `restored from checkpoint ${label}` });
        } catch (e) {
          fail('finetune', e);
        }
      },
      async deleteCheckpoint(key) {
        try {
          const ev = await need().request({ type: 'delete-checkpoint', key });
          if (ev.type === 'checkpoints') patchTraining({ checkpoints: ev.list });
        } catch (e) {
          fail('finetune', e);
        }
      },
      async exportModel() {
        try {
          const ev = await need().request({ type: 'export' });
          if (ev.type !== 'exported') throw new Error(`unexpected answer ${ev.type} to export`);
          return ev.files;
        } catch (e) {
          fail('finetune', e);
          return null;
        }
      },
      async importModel(files) {
        get().clearErrors('finetune');
        try {
          const ev = await need().request({ type: 'import', files });
          if (ev.type !== 'loaded') throw new Error(`unexpected answer ${ev.type} to import`);
          patchSlot('a3', { status: 'loaded', source: 'import', info: ev.model, note: `imported ${Object.keys(files).length} files` });
        } catch (e) {
          fail('finetune', e);
        }
      },

      pushError(cell, message) {
        set((s) => ({ errors: [...s.errors.filter((x) => !(x.cell === cell && x.message === message)), { id: nextErrorId++, cell, message, at: now() }].slice(-MAX_ERRORS) }));
      },
      dismissError(id) {
        set((s) => ({ errors: s.errors.filter((x) => x.id !== id) }));
      },
      clearErrors(cell) {
        if (get().errors.some((x) => x.cell === cell)) set((s) => ({ errors: s.errors.filter((x) => x.cell !== cell) }));
      },
    };

    function finishInspect(snapshot: AttentionSnapshot) {
      const n = snapshot.tokens.length;
      const layers = snapshot.weights.length;
      const heads = snapshot.weights[0]?.length ?? 0;
      const { layer, head, position } = get().inspect;
      patchInspect({
        status: 'done',
        snapshot,
        layer: Math.min(layer, Math.max(0, layers - 1)),
        head: Math.min(head, Math.max(0, heads - 1)),
        position: Math.min(position, Math.max(0, n - 1)),
      });
    }
  });
}

export { KINDS as MODEL_KINDS };
