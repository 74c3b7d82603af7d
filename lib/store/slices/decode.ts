/**
 * Store slice "decode": the Infill playground (its URL-synced knobs, the last decode and where its replay
 * stands) and the Compare cell (the same text through several decoders, one after another). Requests are
 * built from the strategy registry: a request carries only the knobs of the strategy that runs.
 */
import type { DecodeRequest, DecodeResult } from '../../a3/decode/request';
import { A3_LEFT_TO_RIGHT, AR_PRESET, STRATEGY, minDiffusionSteps, requestKnobs, strategySpec, knobValues, type StrategyId } from '../../a3/decode/strategies';
import type { ModelKind } from '../../worker/protocol';
import type { PlaygroundParams } from '../url-params';
import { messageOf, type Slice, type SliceContext } from './context';
import { MODEL_SHORT } from './models';

export type DecodeStatus = 'idle' | 'running' | 'done' | 'error';

/** The Infill playground: the last decode and where its replay stands. */
export interface DecodeState {
  status: DecodeStatus;
  /** The worker's answer (trace + labels + text) of the last successful run. */
  result: DecodeResult | null;
  /** The request that produced `result` (shown with it, exported with the trace). */
  request: DecodeRequest | null;
  /** The model that ran it: the A3 slot, base for the AR baseline, MDLM for the diffusion baseline. */
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
  /** ar: the real left-to-right baseline (base model); a3-l2r: A3 run left to right (s = 1). */
  key: 'ar' | 'a3-l2r' | 'groupwise' | 'dynamic' | 'mdlm';
  name: string;
  /** The weights the row runs on (shown in the row: A3, base AR or MDLM). */
  kind: ModelKind;
  status: CompareStatus;
  request: DecodeRequest;
  result?: DecodeResult;
  error?: string;
  /** A plain-language caveat (e.g. why a row cannot run). */
  note?: string;
}

export interface CompareState {
  status: 'idle' | 'running' | 'done';
  rows: CompareRow[];
}

export interface DecodeData {
  playground: PlaygroundParams;
  decode: DecodeState;
  compare: CompareState;
}

export interface DecodeActions {
  setPlayground(p: Partial<PlaygroundParams>): void;
  /** Decodes the playground's text with its strategy and knobs (Infill cell) on the model the strategy names; base and MDLM load on first use. */
  runDecode(): Promise<void>;
  /** Replay: jump to step t (clamped), step by ±1, play/pause, speed (steps/s). */
  setDecodeStep(t: number): void;
  stepDecode(delta: number): void;
  /** Advances the replay by one step; stops playing at the last step. */
  tickDecode(): void;
  setDecodePlaying(playing: boolean): void;
  setDecodeSpeed(speed: number): void;
  /** The same text through AR (base model), A3 left to right, A3 group-wise and A3 dynamic, then MDLM when shipped (Compare cell). */
  runCompare(): Promise<void>;
}

export const DECODE_SPEEDS: readonly number[] = [0.5, 1, 2, 4, 8];

/** The model each strategy runs on (the registry says): AR on the base model, diffusion on MDLM, the rest on A3. */
export function decodeModelKind(strategy: StrategyId): ModelKind {
  return STRATEGY[strategy].model;
}

/** A decode request from the playground's knobs (`over` replaces some, e.g. the AR preset); only the running strategy's knobs go in. */
export function playgroundRequest(params: PlaygroundParams, over: Partial<PlaygroundParams> = {}): DecodeRequest {
  const p = { ...params, ...over };
  return {
    text: p.text,
    strategy: p.strategy,
    ...requestKnobs(p.strategy, p),
    // top-k 0 = off (the sampler's default).
    sampling: { greedy: p.greedy, temperature: p.temperature, topP: p.topP, ...(p.topK > 0 ? { topK: p.topK } : {}) },
    seed: p.seed,
  };
}

/** A row's name: the registry's label and the knobs in words ("A3 group-wise, s = 2, left-to-right"). */
const rowName = (request: DecodeRequest) => {
  const spec = strategySpec(request.strategy);
  return `${spec.label}, ${spec.describe(knobValues(spec, request))}`;
};

/** The A3 rows of the Compare cell for the current playground (all idle); the MDLM row follows once dynamic has run. */
export function compareRows(p: PlaygroundParams): CompareRow[] {
  const row = (key: CompareRow['key'], request: DecodeRequest): CompareRow => ({ key, name: rowName(request), kind: decodeModelKind(request.strategy), status: 'idle', request });
  return [
    row('ar', playgroundRequest(p, AR_PRESET)),
    row('a3-l2r', playgroundRequest(p, A3_LEFT_TO_RIGHT)),
    row('groupwise', playgroundRequest(p, { strategy: 'groupwise' })),
    row('dynamic', playgroundRequest(p, { strategy: 'dynamic' })),
  ];
}

/**
 * The diffusion row: as many steps as the dynamic row needed forwards (so the two compare at equal cost), but
 * at least one per block of the playground's block length; without a dynamic result, the playground's steps.
 */
function mdlmRow(p: PlaygroundParams, dynamic: DecodeResult | undefined): CompareRow {
  const open = dynamic?.spans.reduce((n, s) => n + s.length, 0) ?? 0;
  const steps = dynamic ? Math.max(dynamic.trace.nfe, minDiffusionSteps(open, p.blockLength)) : p.steps;
  const request = playgroundRequest(p, { strategy: 'diffusion', steps });
  return { key: 'mdlm', name: rowName(request), kind: 'mdlm', status: 'idle', request };
}

export function decodeSlice(ctx: SliceContext, initial: PlaygroundParams): Slice<DecodeData & DecodeActions> {
  const { set, get } = ctx;
  const patchDecode = (p: Partial<DecodeState>) => set((s) => ({ decode: { ...s.decode, ...p } }));
  const patchRow = (key: CompareRow['key'], r: Partial<CompareRow>) =>
    set((s) => ({ compare: { ...s.compare, rows: s.compare.rows.map((x) => (x.key === key ? { ...x, ...r } : x)) } }));
  /** One decode request in the worker; resolves with its DecodeResult. */
  const decodeOn = async (kind: ModelKind, request: DecodeRequest): Promise<DecodeResult> => (await ctx.client().request({ type: 'decode', kind, request })).result;

  /** Runs one Compare row; `note` is the caveat shown with its result. */
  const runRow = async (row: CompareRow, note?: string) => {
    patchRow(row.key, { status: 'running', note: undefined });
    try {
      patchRow(row.key, { status: 'done', result: await decodeOn(row.kind, row.request), note });
    } catch (e) {
      patchRow(row.key, { status: 'error', error: messageOf(e) });
    }
  };

  const loadsInFlight = new Map<ModelKind, Promise<boolean>>();
  /** Loads a model slot from its shipped folder when it is not loaded yet; false when it cannot be. */
  const ensureLoaded = (kind: ModelKind): Promise<boolean> => {
    if (get().models[kind].status === 'loaded') return Promise.resolve(true);
    if (get().shipped[kind] === false) return Promise.resolve(false);
    // One load per slot at a time: Run and Compare may both ask for the base model while it is still coming.
    let load = loadsInFlight.get(kind);
    if (!load) {
      load = get().loadModel(kind).finally(() => loadsInFlight.delete(kind));
      loadsInFlight.set(kind, load);
    }
    return load;
  };

  return {
    slice: {
      playground: initial,
      decode: { status: 'idle', result: null, request: null, kind: null, step: 0, playing: false, speed: 2, error: null },
      compare: { status: 'idle', rows: [] },

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
          if (kind !== 'a3') {
            // The baselines run on their own weights (base for AR, MDLM for diffusion), loaded on first use.
            if (!(await ensureLoaded(kind))) {
              throw new Error(`${strategySpec(request.strategy).label} needs the ${MODEL_SHORT[kind]} model: ${get().models[kind].note ?? (get().shipped[kind] === false ? 'its weights are not shipped' : 'its weights could not be loaded')}`);
            }
          } else if (get().models.a3.status !== 'loaded') {
            throw new Error('the model is not loaded yet: wait for the Model cell');
          }
          const result = await decodeOn(kind, request);
          patchDecode({ status: 'done', result, request, kind, step: Math.max(0, result.trace.steps.length - 1), playing: false, error: null });
        } catch (e) {
          patchDecode({ status: 'error', playing: false, error: messageOf(e) });
          ctx.fail('infill', e);
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
        for (const row of rows) {
          if (row.kind === 'base' && get().models.base.status !== 'loaded') {
            // The base model is loaded on demand (it is not needed until someone compares).
            patchRow(row.key, { status: 'running', note: 'loading the base model…' });
            if (!(await ensureLoaded('base'))) {
              const why = get().models.base.status === 'error' ? `the base model could not be loaded: ${get().models.base.note ?? 'unknown error'}` : 'the base model is not shipped (public/weights/base)';
              patchRow(row.key, { status: 'unavailable', note: why });
              continue;
            }
          }
          if (row.kind === 'a3' && get().models.a3.status !== 'loaded') {
            patchRow(row.key, { status: 'error', error: 'the A3 model is not loaded yet' });
            continue;
          }
          await runRow(row, row.kind === 'base' ? 'It sees only the text before each gap: each gap is continued left to right.' : undefined);
        }
        // MDLM: the masked-diffusion baseline (its own weights, the engine's diffusion decoder), only when shipped.
        const mdlm = mdlmRow(p, get().compare.rows.find((r) => r.key === 'dynamic')?.result);
        set((s) => ({ compare: { ...s.compare, rows: [...s.compare.rows, mdlm] } }));
        const notShipped = () =>
          patchRow('mdlm', { status: 'unavailable', name: 'MDLM (masked diffusion)', note: 'No MDLM weights are shipped (public/weights/mdlm), so the masked-diffusion baseline cannot run.' });
        // Known not shipped: say so. Not probed yet (null): try to load, as ensureLoaded does, and let the load tell.
        if (get().shipped.mdlm === false && get().models.mdlm.status !== 'loaded') notShipped();
        else {
          patchRow('mdlm', { status: 'running', note: get().models.mdlm.status === 'loaded' ? undefined : 'loading the MDLM model…' });
          if (await ensureLoaded('mdlm')) await runRow(mdlm, 'A separate bidirectional model; same number of forwards as the A3 dynamic row.');
          else if (get().models.mdlm.status === 'missing') notShipped();
          else patchRow('mdlm', { status: 'error', error: 'the MDLM weights could not be loaded' });
        }
        set((s) => ({ compare: { ...s.compare, status: 'done' } }));
        const failed = get().compare.rows.filter((r) => r.status === 'error');
        if (failed.length) get().pushError('compare', failed.map((r) => `${r.name}: ${r.error}`).join('; '));
      },
    },
  };
}
