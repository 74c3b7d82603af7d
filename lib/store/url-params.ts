/**
 * The shareable part of the studio's state, as a query string: the playground (text, decoding strategy,
 * knobs) and the Inspect cell's text and group plan. The knobs, their URL keys, ranges and defaults come from
 * the strategy registry (lib/a3/decode/strategies.ts). Only values that differ from the defaults are written,
 * so a fresh page has a clean URL; unknown or invalid values fall back to the defaults. Other parameters
 * (e.g. `?backend=`) are left alone.
 */
import { ALL_KNOBS, isStrategyId, knobProblem, type KnobParams, type KnobSpec, type StrategyId } from '../a3/decode/strategies';
import type { GroupingKind, GroupingSpec } from '../a3/groups';

/** What the Infill / Compare cells decode with: the text, the strategy, every knob of the registry, greedy. */
export type PlaygroundParams = {
  /** Text with gaps `[____]` (default length) or `[__5__]` (5 tokens); without a gap the text is continued. */
  text: string;
  strategy: StrategyId;
  greedy: boolean;
} & KnobParams;

/** The Infill cell's example: one default-length gap and one of 6 tokens. */
export const DEFAULT_TEMPLATE = 'Once upon a time, [____] lived in a small house. Every morning she [__6__] before breakfast.';

/** Every knob at its registry default. */
const knobDefaults = Object.fromEntries(ALL_KNOBS.map((k) => [k.key, k.default])) as KnobParams;

export const DEFAULT_PLAYGROUND: PlaygroundParams = { text: DEFAULT_TEMPLATE, strategy: 'groupwise', greedy: false, ...knobDefaults };

export interface InspectParams {
  text: string;
  plan: GroupingSpec;
}

export const DEFAULT_INSPECT: InspectParams = {
  text: 'The quick brown fox jumps over the lazy dog.',
  plan: { kind: 'left-to-right' },
};

/**
 * The plan kinds Inspect's radios offer, in their order. A shared `?plan=` of another kind (`span:`, which
 * encodePlan still writes for any plan) falls back to the default, so a link always selects a radio.
 */
export const INSPECT_PLAN_KINDS = ['left-to-right', 'contiguous', 'random', 'explicit'] as const satisfies readonly GroupingKind[];

function offeredByInspect(plan: GroupingSpec | undefined): GroupingSpec | undefined {
  return plan && (INSPECT_PLAN_KINDS as readonly GroupingKind[]).includes(plan.kind) ? plan : undefined;
}

export interface UrlState {
  playground: PlaygroundParams;
  inspect: InspectParams;
}

const TEXT = 'text';
const STRATEGY_KEY = 'strategy';
const GREEDY = 'greedy';
const INSPECT_TEXT = 'itext';
const PLAN = 'plan';
/** Every key this module owns (others in the query string are preserved). */
export const URL_KEYS: readonly string[] = [TEXT, STRATEGY_KEY, ...ALL_KNOBS.map((k) => k.url), GREEDY, INSPECT_TEXT, PLAN];

/** A knob's value from its query parameter, or undefined when absent or invalid. */
function knobFromUrl(knob: KnobSpec, v: string | null): number | string | undefined {
  if (v == null || v.trim() === '') return undefined;
  const value = knob.kind === 'select' ? v : Number(v);
  return knobProblem(knob, value) === null ? value : undefined;
}

const integer = (s: string | undefined, min: number): number | undefined => {
  if (s === undefined || s.trim() === '') return undefined;
  const x = Number(s);
  return Number.isInteger(x) && x >= min && x <= 1e6 ? x : undefined;
};

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
  if (kind === 'ltr' && rest.length === 0) return { kind: 'left-to-right' };
  if (kind === 'contig' && rest.length === 1) {
    const size = integer(rest[0], 1);
    return size === undefined ? undefined : { kind: 'contiguous', size };
  }
  if (kind === 'random' && rest.length === 2) {
    const size = integer(rest[0], 1);
    const seed = integer(rest[1], 0);
    return size === undefined || seed === undefined ? undefined : { kind: 'random', size, seed };
  }
  if (kind === 'custom' && rest.length === 1) {
    if (rest[0] === '') return { kind: 'explicit', gids: [] };
    const gids = rest[0].split('.').map((s) => integer(s, 0));
    return gids.every((g) => g !== undefined) ? { kind: 'explicit', gids } : undefined;
  }
  if (kind === 'span' && rest.length === 3) {
    const size = integer(rest[0], 1);
    const order = rest[1] === 'ltr' ? 'left-to-right' : rest[1] === 'random' ? 'random' : undefined;
    const seed = integer(rest[2], 0);
    return size === undefined || order === undefined || seed === undefined ? undefined : { kind: 'span-infill', size, order, seed };
  }
  return undefined;
}

/** Reads the studio's URL state from a query string (`?a=b...` or `a=b...`). */
export function parseUrlState(search: string): UrlState {
  const q = new URLSearchParams(search);
  const d = DEFAULT_PLAYGROUND;
  const knobs: Record<string, number | string> = {};
  for (const knob of ALL_KNOBS) knobs[knob.key] = knobFromUrl(knob, q.get(knob.url)) ?? knob.default;
  const strategy = q.get(STRATEGY_KEY);
  const playground: PlaygroundParams = {
    ...(knobs as KnobParams),
    text: q.get(TEXT) ?? d.text,
    strategy: isStrategyId(strategy) ? strategy : d.strategy,
    greedy: q.has(GREEDY) ? q.get(GREEDY) === '1' : d.greedy,
  };
  const inspect: InspectParams = {
    text: q.get(INSPECT_TEXT) ?? DEFAULT_INSPECT.text,
    plan: offeredByInspect(decodePlan(q.get(PLAN))) ?? DEFAULT_INSPECT.plan,
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
  const p = state.playground;
  const d = DEFAULT_PLAYGROUND;
  if (p.text !== d.text) q.set(TEXT, p.text);
  if (p.strategy !== d.strategy) q.set(STRATEGY_KEY, p.strategy);
  for (const knob of ALL_KNOBS) {
    const v = p[knob.key as keyof KnobParams];
    if (v !== knob.default) q.set(knob.url, String(v));
  }
  if (p.greedy !== d.greedy) q.set(GREEDY, p.greedy ? '1' : '0');
  if (state.inspect.text !== DEFAULT_INSPECT.text) q.set(INSPECT_TEXT, state.inspect.text);
  const plan = encodePlan(state.inspect.plan);
  if (plan !== encodePlan(DEFAULT_INSPECT.plan)) q.set(PLAN, plan);
  const s = q.toString();
  return s ? `?${s}` : '';
}
