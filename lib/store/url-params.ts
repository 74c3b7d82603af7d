/**
 * The shareable part of the studio's state, as a query string: the playground
 * (text, decoding strategy, knobs) and the Inspect cell's text and group plan.
 * Only values that differ from the defaults are written, so a fresh page has a
 * clean URL; unknown or invalid values fall back to the defaults. Other
 * parameters (e.g. `?backend=`) are left alone.
 */
import type { DecodeRequest, DecodeStrategy } from '../a3/decode/request';
import type { CommitScore } from '../a3/decode/dynamic';
import type { GroupingSpec } from '../a3/groups';

/** The decoder's own names, so a shared link is exactly a decode request. */
export type Strategy = DecodeStrategy;
export const STRATEGIES: readonly Strategy[] = ['groupwise', 'dynamic', 'speculative', 'diffusion'];
export type Score = CommitScore;
export const SCORES: readonly Score[] = ['confidence', 'entropy', 'random'];
export type OpenOrder = 'left-to-right' | 'random';
export type Remasking = NonNullable<DecodeRequest['remasking']>;
export const REMASKINGS: readonly Remasking[] = ['low_confidence', 'random'];

/** What the Infill / Compare cells decode with. */
export interface PlaygroundParams {
  /** Text with gaps `[____]` (default length) or `[__5__]` (5 tokens); without a gap the text is continued. */
  text: string;
  strategy: Strategy;
  /** Group size s for group-wise AR. */
  groupSize: number;
  /** Order of the open groups (group-wise AR), and of the positions speculative sampling drafts. */
  order: OpenOrder;
  /** Tokens committed per step (dynamic resampling). */
  k: number;
  score: Score;
  /** Draft size D (speculative sampling): tokens drafted in parallel, then verified in one forward. */
  draft: number;
  /** Diffusion baseline (MDLM model): number of forwards. */
  steps: number;
  /** Diffusion baseline: open positions unmasked block by block, this many per block (0 = one block). */
  blockLength: number;
  /** Diffusion baseline: which positions each step unmasks (most confident, or random). */
  remasking: Remasking;
  temperature: number;
  topK: number;
  topP: number;
  greedy: boolean;
  seed: number;
}

/** Allowed ranges of the new decoders' knobs (URL values outside fall back to the defaults; the cell clamps to them). */
export const KNOB_LIMITS = { draft: [1, 64], steps: [1, 1024], blockLength: [0, 1024] } as const;

/** The Infill cell's example: one default-length gap and one of 6 tokens. */
export const DEFAULT_TEMPLATE = 'Once upon a time, [____] lived in a small house. Every morning she [__6__] before breakfast.';

export const DEFAULT_PLAYGROUND: PlaygroundParams = {
  text: DEFAULT_TEMPLATE,
  strategy: 'groupwise',
  groupSize: 2,
  order: 'left-to-right',
  k: 2,
  score: 'confidence',
  draft: 4,
  steps: 8,
  blockLength: 0,
  remasking: 'low_confidence',
  temperature: 1,
  topK: 0,
  topP: 1,
  greedy: false,
  seed: 0,
};

export interface InspectParams {
  text: string;
  plan: GroupingSpec;
}

export const DEFAULT_INSPECT: InspectParams = {
  text: 'The quick brown fox jumps over the lazy dog.',
  plan: { kind: 'left-to-right' },
};

export interface UrlState {
  playground: PlaygroundParams;
  inspect: InspectParams;
}

/** Query keys, one per field (short, readable in a shared link). */
const PG_KEYS: Record<keyof PlaygroundParams, string> = {
  text: 'text',
  strategy: 'strategy',
  groupSize: 's',
  order: 'order',
  k: 'k',
  score: 'score',
  draft: 'draft',
  steps: 'steps',
  blockLength: 'block',
  remasking: 'remask',
  temperature: 'temp',
  topK: 'topk',
  topP: 'topp',
  greedy: 'greedy',
  seed: 'seed',
};
const INSPECT_TEXT = 'itext';
const PLAN = 'plan';
/** Every key this module owns (others in the query string are preserved). */
export const URL_KEYS: readonly string[] = [...Object.values(PG_KEYS), INSPECT_TEXT, PLAN];

const num = (v: string | null, min: number, max: number, int: boolean): number | undefined => {
  if (v == null || v.trim() === '') return undefined;
  const x = Number(v);
  if (!Number.isFinite(x) || x < min || x > max || (int && !Number.isInteger(x))) return undefined;
  return x;
};
const oneOf = <T extends string>(v: string | null, options: readonly T[]): T | undefined =>
  v != null && (options as readonly string[]).includes(v) ? (v as T) : undefined;

/**
 * `plan` values: `ltr`, `contig:4`, `random:4:7` (size, seed), `custom:0.1.1.2`
 * (explicit group ids; the word stays `custom` so older links keep working),
 * `span:1:ltr:7` (span infilling: size, order ltr|random, seed; drawn spans).
 */
export function encodePlan(plan: GroupingSpec): string {
  switch (plan.kind) {
    case 'left-to-right':
      return 'ltr';
    case 'contiguous':
      return `contig:${plan.size}`;
    case 'random':
      return `random:${plan.size}:${plan.seed ?? 0}`;
    case 'explicit':
      return `custom:${plan.gids.join('.')}`;
    case 'span-infill':
      return `span:${plan.size}:${plan.order === 'random' ? 'random' : 'ltr'}:${plan.seed ?? 0}`;
  }
}

export function decodePlan(v: string | null): GroupingSpec | undefined {
  if (v == null) return undefined;
  const [kind, ...rest] = v.split(':');
  const int = (s: string | undefined, min: number) => num(s ?? null, min, 1e6, true);
  if (kind === 'ltr' && rest.length === 0) return { kind: 'left-to-right' };
  if (kind === 'contig' && rest.length === 1) {
    const size = int(rest[0], 1);
    return size === undefined ? undefined : { kind: 'contiguous', size };
  }
  if (kind === 'random' && rest.length === 2) {
    const size = int(rest[0], 1);
    const seed = int(rest[1], 0);
    return size === undefined || seed === undefined ? undefined : { kind: 'random', size, seed };
  }
  if (kind === 'custom' && rest.length === 1) {
    if (rest[0] === '') return { kind: 'explicit', gids: [] };
    const gids = rest[0].split('.').map((s) => int(s, 0));
    return gids.some((g) => g === undefined) ? undefined : { kind: 'explicit', gids: gids as number[] };
  }
  if (kind === 'span' && rest.length === 3) {
    const size = int(rest[0], 1);
    const order = rest[1] === 'ltr' ? 'left-to-right' : rest[1] === 'random' ? 'random' : undefined;
    const seed = int(rest[2], 0);
    return size === undefined || order === undefined || seed === undefined ? undefined : { kind: 'span-infill', size, order, seed };
  }
  return undefined;
}

/** Reads the studio's URL state from a query string (`?a=b...` or `a=b...`). */
export function parseUrlState(search: string): UrlState {
  const q = new URLSearchParams(search);
  const d = DEFAULT_PLAYGROUND;
  const playground: PlaygroundParams = {
    text: q.get(PG_KEYS.text) ?? d.text,
    strategy: oneOf(q.get(PG_KEYS.strategy), STRATEGIES) ?? d.strategy,
    groupSize: num(q.get(PG_KEYS.groupSize), 1, 64, true) ?? d.groupSize,
    order: oneOf(q.get(PG_KEYS.order), ['left-to-right', 'random'] as const) ?? d.order,
    k: num(q.get(PG_KEYS.k), 1, 64, true) ?? d.k,
    score: oneOf(q.get(PG_KEYS.score), SCORES) ?? d.score,
    draft: num(q.get(PG_KEYS.draft), ...KNOB_LIMITS.draft, true) ?? d.draft,
    steps: num(q.get(PG_KEYS.steps), ...KNOB_LIMITS.steps, true) ?? d.steps,
    blockLength: num(q.get(PG_KEYS.blockLength), ...KNOB_LIMITS.blockLength, true) ?? d.blockLength,
    remasking: oneOf(q.get(PG_KEYS.remasking), REMASKINGS) ?? d.remasking,
    temperature: num(q.get(PG_KEYS.temperature), 0, 10, false) ?? d.temperature,
    topK: num(q.get(PG_KEYS.topK), 0, 100000, true) ?? d.topK,
    topP: num(q.get(PG_KEYS.topP), 0, 1, false) ?? d.topP,
    greedy: q.has(PG_KEYS.greedy) ? q.get(PG_KEYS.greedy) === '1' : d.greedy,
    seed: num(q.get(PG_KEYS.seed), 0, 2 ** 31, true) ?? d.seed,
  };
  const inspect: InspectParams = {
    text: q.get(INSPECT_TEXT) ?? DEFAULT_INSPECT.text,
    plan: decodePlan(q.get(PLAN)) ?? DEFAULT_INSPECT.plan,
  };
  return { playground, inspect };
}

/**
 * Writes `state` into `search` (keeping keys this module does not own) and
 * returns the new query string, with a leading `?`, or '' when empty.
 */
export function writeUrlState(search: string, state: UrlState): string {
  const q = new URLSearchParams(search);
  for (const key of URL_KEYS) q.delete(key);
  const d = DEFAULT_PLAYGROUND;
  for (const field of Object.keys(PG_KEYS) as (keyof PlaygroundParams)[]) {
    const v = state.playground[field];
    if (v === d[field]) continue;
    q.set(PG_KEYS[field], typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  }
  if (state.inspect.text !== DEFAULT_INSPECT.text) q.set(INSPECT_TEXT, state.inspect.text);
  const plan = encodePlan(state.inspect.plan);
  if (plan !== encodePlan(DEFAULT_INSPECT.plan)) q.set(PLAN, plan);
  const s = q.toString();
  return s ? `?${s}` : '';
}
