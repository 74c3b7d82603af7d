/**
 * The decoding strategies as data, tf-free so the page imports it: for each one its label and a note for
 * learners, the model it runs on, its knobs (playground field, URL key, range, default, step) and how its
 * knobs become the decoder's options and a phrase. The URL state, the playground's request, the knob form,
 * Compare and the worker's run.ts all read this registry.
 *
 * Adding a strategy: one entry in STRATEGY (with its knobs) and its decoder file, which run.ts's DECODERS
 * table names (the compiler asks for it).
 * Longer than most files because it is data (a spec per knob, an entry per strategy), kept in one place.
 */
import type { OpenOrder } from '../groups';
import type { ARInfillOptions } from './ar';
import type { DiffusionOptions } from './diffusion';
import type { CommitScore, DynamicOptions } from './dynamic';
import { MAX_STEP_TOKENS } from './gaps';
import type { GroupwiseOptions } from './groupwise';
import type { DecodeRequest } from './request';
import type { SamplingOptions } from './sampling';
import type { SpeculativeOptions } from './speculative';
import type { ContextSides } from './window';

/** The weights a command runs on (the worker's model slots): A3, the left-to-right base model, or MDLM. */
export type ModelKind = 'a3' | 'mdlm' | 'base';

// ---- knobs ----------------------------------------------------------------------------------------------

interface KnobCommon<K extends string> {
  /** The playground field this knob sets (also the knob form's field). */
  key: K;
  /** Its key in a shared link's query string. */
  url: string;
  label: string;
  /** One sentence for learners: a tooltip or a line under the field. */
  help: string;
  /** The decode request's field, where it is named differently from `key` (k → perStep). */
  field?: string;
}

/** A number typed into a field: an integer or not, within [min, max]. */
export interface NumberKnobSpec<K extends string = string> extends KnobCommon<K> {
  kind: 'int' | 'float';
  min: number;
  max: number;
  step: number;
  default: number;
  /** The value that turns the knob off: it is left out of the request and the decoder's own default applies. */
  off?: number;
}

/** One of a few named values. */
export interface SelectKnobSpec<K extends string = string, V extends string = string> extends KnobCommon<K> {
  kind: 'select';
  options: readonly { value: V; label: string }[];
  default: V;
}

/** What a generic knob form renders: a number field or a select. */
export type KnobSpec = NumberKnobSpec | SelectKnobSpec;

/** The value type a knob holds. */
export type KnobValue<S> = S extends { kind: 'select'; options: readonly { value: infer V }[] } ? V : number;
type FieldOf<S> = S extends { field: infer F extends string } ? F : S extends { key: infer K extends string } ? K : never;
/** A strategy's knob values as its request carries them (by request field); an `off` knob may be absent. */
export type KnobFields<Ks extends readonly KnobSpec[]> = {
  [S in Ks[number] as FieldOf<S>]: S extends { off: number } ? KnobValue<S> | undefined : KnobValue<S>;
};

/** The named open orders (groups.ts also takes an explicit permutation, which no form offers). */
export type NamedOrder = Extract<OpenOrder, string>;

const groupSize = {
  key: 'groupSize',
  url: 's',
  label: 'group size s',
  kind: 'int',
  min: 1,
  max: MAX_STEP_TOKENS,
  step: 1,
  default: 2,
  help: 'Tokens filled per forward; they cannot see each other. s = 1 left to right is an ordinary language model.',
} as const satisfies NumberKnobSpec;

const order = {
  key: 'order',
  url: 'order',
  label: 'order',
  kind: 'select',
  options: [
    { value: 'left-to-right', label: 'left to right' },
    { value: 'random', label: 'random' },
  ] satisfies { value: NamedOrder; label: string }[],
  default: 'left-to-right',
  help: 'The order in which the open positions are visited.',
} as const satisfies SelectKnobSpec;

const perStep = {
  key: 'k',
  field: 'perStep',
  url: 'k',
  label: 'tokens per step k',
  kind: 'int',
  min: 1,
  max: MAX_STEP_TOKENS,
  step: 1,
  default: 2,
  help: 'Each forward predicts every open position and commits the k it ranks best.',
} as const satisfies NumberKnobSpec;

const score = {
  key: 'score',
  url: 'score',
  label: 'pick by',
  kind: 'select',
  options: [
    { value: 'confidence', label: 'confidence (highest probability)' },
    { value: 'entropy', label: 'entropy (least uncertain)' },
    { value: 'random', label: 'random' },
  ] satisfies { value: CommitScore; label: string }[],
  default: 'confidence',
  help: 'How the k positions committed each step are ranked.',
} as const satisfies SelectKnobSpec;

const draft = {
  key: 'draft',
  url: 'draft',
  label: 'draft size D',
  kind: 'int',
  min: 1,
  max: MAX_STEP_TOKENS,
  step: 1,
  default: 4,
  help: 'Tokens drafted in parallel per round; a verify forward then keeps between 1 and D of them.',
} as const satisfies NumberKnobSpec;

const steps = {
  key: 'steps',
  url: 'steps',
  label: 'steps',
  kind: 'int',
  min: 1,
  max: 1024,
  step: 1,
  default: 8,
  help: 'Forwards of the MDLM model (each recomputes the whole sequence); at least one per block.',
} as const satisfies NumberKnobSpec;

/**
 * The fewest diffusion steps that cover `open` positions unmasked in blocks of `blockLength` (0: one block):
 * one per block, the rule the `steps` knob states and diffusion.ts's schedule enforces.
 */
export function minDiffusionSteps(open: number, blockLength: number): number {
  return blockLength > 0 ? Math.ceil(open / blockLength) : 1;
}

const blockLength = {
  key: 'blockLength',
  url: 'block',
  label: 'block length',
  kind: 'int',
  min: 0,
  max: 1024,
  step: 1,
  default: 0,
  off: 0,
  help: 'Open positions are unmasked block by block, left to right; 0 = all in one block.',
} as const satisfies NumberKnobSpec;

const remasking = {
  key: 'remasking',
  url: 'remask',
  label: 'remasking',
  kind: 'select',
  options: [
    { value: 'low_confidence', label: 'low confidence (unmask the surest)' },
    { value: 'random', label: 'random' },
  ] satisfies { value: NonNullable<DiffusionOptions['remasking']>; label: string }[],
  default: 'low_confidence',
  help: 'Which positions each step unmasks.',
} as const satisfies SelectKnobSpec;

/** Knobs every strategy reads: sampling (temperature, top-k, top-p) and the seed. Greedy is a plain switch. */
export const COMMON_KNOBS = [
  { key: 'temperature', url: 'temp', label: 'temperature', kind: 'float', min: 0, max: 10, step: 0.1, default: 1, help: 'Lower is more predictable; 0 picks the most likely token.' },
  { key: 'topK', url: 'topk', label: 'top-k', kind: 'int', min: 0, max: 100_000, step: 1, default: 0, off: 0, help: 'Sample among the k most likely tokens only; 0 = off.' },
  { key: 'topP', url: 'topp', label: 'top-p', kind: 'float', min: 0.01, max: 1, step: 0.05, default: 1, help: 'Sample among the most likely tokens that together hold this much probability.' },
  { key: 'seed', url: 'seed', label: 'seed', kind: 'int', min: 0, max: 2 ** 31, step: 1, default: 0, help: 'The same seed and settings give the same text.' },
] as const satisfies readonly NumberKnobSpec[];

// ---- strategies -----------------------------------------------------------------------------------------

/** What every decoder gets besides its own knobs. */
export interface CommonOptions {
  seed: number;
  sampling?: SamplingOptions;
  /** false: recompute every position each forward (the released code's way). */
  cached: boolean;
}

export interface StrategySpec<Id extends string = string, Ks extends readonly KnobSpec[] = readonly KnobSpec[], Options = unknown> {
  id: Id;
  /** In the picker and in Compare: "A3 group-wise". */
  label: string;
  /** Inside a sentence: "group-wise s = 2, left-to-right". */
  short: string;
  /** Plain words for learners, shown under the picker. */
  note: string;
  model: ModelKind;
  /** Which side of a gap the decoder reads: a template longer than the context keeps that text first (window.ts). */
  sees: ContextSides;
  knobs: Ks;
  /** The decoder's options from the request's knob values (defaults filled in) and the common ones. */
  options(knobs: KnobFields<Ks>, common: CommonOptions): Options;
  /** The knob values in words: "s = 2, left-to-right". */
  describe(knobs: KnobFields<Ks>): string;
}

/** Infers an entry's knob tuple, so its `options` and `describe` see exactly its own knobs. */
function strategy<const Id extends string, const Ks extends readonly KnobSpec[], Options>(spec: StrategySpec<Id, Ks, Options>): StrategySpec<Id, Ks, Options> {
  return spec;
}

/** Every strategy, in the order the picker lists them. */
export const STRATEGY = {
  groupwise: strategy({
    id: 'groupwise',
    label: 'A3 group-wise',
    short: 'group-wise',
    note: 'Fills s tokens per forward in a fixed order; tokens of one group cannot see each other.',
    model: 'a3',
    sees: 'both',
    knobs: [groupSize, order],
    options: (k, common): GroupwiseOptions => ({ ...common, groupSize: k.groupSize, order: k.order }),
    describe: (k) => `s = ${k.groupSize}, ${k.order}`,
  }),
  dynamic: strategy({
    id: 'dynamic',
    label: 'A3 dynamic',
    short: 'dynamic',
    note: 'Each forward predicts every open position and commits the k the model is surest about.',
    model: 'a3',
    sees: 'both',
    knobs: [perStep, score],
    options: (k, common): DynamicOptions => ({ ...common, perStep: k.perStep, score: k.score }),
    describe: (k) => `k = ${k.perStep}, ${k.score}`,
  }),
  speculative: strategy({
    id: 'speculative',
    label: 'A3 speculative',
    short: 'speculative',
    note:
      'Lossless parallel sampling: one forward drafts D tokens in parallel, a second verifies them all at once and keeps each draft with probability min(1, p/q). ' +
      'The first rejected draft is replaced from the corrected distribution, so the text is distributed exactly as if the model had written it one token at a time — ' +
      'the speed-up costs no quality, only the number of tokens kept per forward varies.',
    model: 'a3',
    sees: 'both',
    knobs: [draft, order],
    options: (k, common): SpeculativeOptions => ({ ...common, draft: k.draft, order: k.order }),
    describe: (k) => `D = ${k.draft}, ${k.order}`,
  }),
  diffusion: strategy({
    id: 'diffusion',
    label: 'MDLM diffusion',
    short: 'diffusion',
    note:
      'The masked-diffusion baseline runs on its own model (MDLM, loaded on first use). Every step recomputes the whole sequence — no cache — and unmasks a few positions. ' +
      'Its likelihood is only a bound (an ELBO), not an exact probability like the A3 and AR models give.',
    model: 'mdlm',
    sees: 'both',
    knobs: [steps, blockLength, remasking],
    // No cache to switch off: every diffusion step is a full recomputation.
    options: (k, { seed, sampling }): DiffusionOptions => ({ seed, sampling, steps: k.steps, blockLength: k.blockLength, remasking: k.remasking }),
    describe: (k) => `${k.steps} steps${k.blockLength ? `, blocks of ${k.blockLength}` : ''}${k.remasking === 'random' ? ', random remasking' : ''}`,
  }),
  ar: strategy({
    id: 'ar',
    label: 'AR (base model)',
    short: 'AR',
    note:
      'The real left-to-right baseline: the base model (before A3 adaptation, loaded on first use) writes one token per forward with its causal stream, ' +
      'as an ordinary language model does. It continues the text before a gap only: each gap is filled left to right without seeing the text after it.',
    model: 'base',
    sees: 'left', // each gap continues the text before it
    knobs: [],
    options: (_k, common): ARInfillOptions => common,
    describe: () => 'left to right',
  }),
};

export type StrategyId = keyof typeof STRATEGY;
export type AnyStrategy = (typeof STRATEGY)[StrategyId];
/** Any entry, seen through the common shape (what a form or a loop over the registry needs). */
export const strategySpec = (id: StrategyId): StrategySpec => STRATEGY[id];
export const STRATEGY_IDS = Object.keys(STRATEGY) as StrategyId[];

/** Every strategy knob once (strategies share `order`), then the common ones: the playground's fields. */
export const ALL_KNOBS: readonly KnobSpec[] = [...new Set([...STRATEGY_IDS.flatMap((id): readonly KnobSpec[] => STRATEGY[id].knobs), ...COMMON_KNOBS])];

type AnyKnob = AnyStrategy['knobs'][number] | (typeof COMMON_KNOBS)[number];
/** The playground's knob fields: every knob by its key. */
export type KnobParams = { [S in AnyKnob as S['key']]: KnobValue<S> };
/** The decode request's strategy fields (each optional: a missing one takes its knob's default). */
export type RequestKnobs = { [S in AnyStrategy['knobs'][number] as FieldOf<S>]?: KnobValue<S> };

export function isStrategyId(x: unknown): x is StrategyId {
  return typeof x === 'string' && Object.hasOwn(STRATEGY, x);
}

/** The AR preset of the playground and Compare's baseline row: the base model, left to right. */
export const AR_PRESET = { strategy: 'ar' } as const satisfies { strategy: StrategyId } & Partial<KnobParams>;

/** A3 run as a left-to-right model (group-wise, s = 1): Compare's row beside the real AR baseline. */
export const A3_LEFT_TO_RIGHT = { strategy: 'groupwise', groupSize: 1, order: 'left-to-right' } as const satisfies { strategy: StrategyId } & Partial<KnobParams>;

export const fieldOf = (knob: KnobSpec): string => knob.field ?? knob.key;

/** The request fields of `id`'s knobs from the playground's values (an `off` value is left out). */
export function requestKnobs(id: StrategyId, params: KnobParams): RequestKnobs {
  const out: Record<string, number | string> = {};
  for (const knob of strategySpec(id).knobs) {
    const value = params[knob.key as keyof KnobParams];
    if (knob.kind !== 'select' && value === knob.off) continue;
    out[fieldOf(knob)] = value;
  }
  return out as RequestKnobs;
}

/** A user-facing problem with one knob value, or null: out of range, not an integer, not an option. */
export function knobProblem(knob: KnobSpec, value: unknown): string | null {
  if (knob.kind === 'select') {
    return knob.options.some((o) => o.value === value) ? null : `${knob.label} must be one of ${knob.options.map((o) => o.value).join(', ')}, got ${String(value)}`;
  }
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= knob.min && value <= knob.max && (knob.kind === 'float' || Number.isInteger(value));
  return ok ? null : `${knob.label} must be ${knob.kind === 'int' ? 'an integer' : 'a number'} from ${knob.min} to ${knob.max}, got ${String(value)}`;
}

/** A request's values of `spec`'s knobs: missing ones at their defaults, `off` ones absent. */
export function knobValues<Ks extends readonly KnobSpec[]>(spec: StrategySpec<string, Ks>, request: Partial<Record<string, unknown>>): KnobFields<Ks> {
  const out: Record<string, unknown> = {};
  for (const knob of spec.knobs) {
    const value = request[fieldOf(knob)] ?? knob.default;
    out[fieldOf(knob)] = knob.kind !== 'select' && value === knob.off ? undefined : value;
  }
  return out as KnobFields<Ks>;
}

/** knobValues, after checking every value the request gives: throws one clear message for the first bad one. */
export function resolveKnobs<Ks extends readonly KnobSpec[]>(spec: StrategySpec<string, Ks>, request: Partial<Record<string, unknown>>): KnobFields<Ks> {
  for (const knob of spec.knobs) {
    const value = request[fieldOf(knob)];
    const problem = value === undefined ? null : knobProblem(knob, value);
    if (problem) throw new Error(`${spec.label}: ${problem}`);
  }
  return knobValues(spec, request);
}

/** A request in words for the result line: "group-wise s = 2, left-to-right, T = 1". */
export function describeRequest(r: DecodeRequest): string {
  if (!isStrategyId(r.strategy)) return String(r.strategy);
  const spec = strategySpec(r.strategy);
  const sampling = r.sampling?.greedy ? 'greedy' : `T = ${r.sampling?.temperature ?? 1}`;
  return `${spec.short} ${spec.describe(knobValues(spec, r))}, ${sampling}`;
}
