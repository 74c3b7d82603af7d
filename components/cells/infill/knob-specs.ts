/**
 * The playground's strategies and knobs as data, for DecoderKnobs and describeRequest.
 * merge: replace with strategies.ts registry — this adapter restates today's definitions
 * (lib/store/url-params.ts ranges and defaults, the strategy notes the cell used to hold) so the form
 * is written against the registry's shape; with the registry in, this file goes.
 */
import type { DecodeRequest } from '@/lib/a3/decode/request';
import { DEFAULT_PLAYGROUND, KNOB_LIMITS, type PlaygroundParams, type Strategy } from '@/lib/store/url-params';
import type { KnobSpec } from './DecoderKnobs';

export interface StrategyInfo {
  id: Strategy;
  label: string;
  /** A short plain-language note for learners. */
  note: string;
  /** Its own knobs (URL keys), in form order. */
  knobs: readonly KnobSpec[];
}

const d = DEFAULT_PLAYGROUND;
/** A whole-number knob within [min, max]. */
const int = (key: string, label: string, [min, max]: readonly [number, number], def: number, help?: string): KnobSpec => ({
  key,
  label,
  kind: 'int',
  min,
  max,
  step: 1,
  default: def,
  ...(help ? { help } : {}),
});
/** A choice among `options` ([value, label] pairs). */
const select = (key: string, label: string, def: string, options: readonly (readonly [string, string])[]): KnobSpec => ({
  key,
  label,
  kind: 'select',
  default: def,
  options: options.map(([value, text]) => ({ value, label: text })),
});
const ORDER = select('order', 'order', d.order, [
  ['left-to-right', 'left to right'],
  ['random', 'random'],
]);

export const STRATEGY_LIST: readonly StrategyInfo[] = [
  {
    id: 'groupwise',
    label: 'A3 group-wise',
    note: 'Fills s tokens per forward in a fixed order; tokens of one group cannot see each other.',
    knobs: [int('s', 'group size s', [1, 64], d.groupSize), ORDER],
  },
  {
    id: 'dynamic',
    label: 'A3 dynamic',
    note: 'Each forward predicts every open position and commits the k the model is surest about.',
    knobs: [
      int('k', 'tokens per step k', [1, 64], d.k),
      select('score', 'pick by', d.score, [
        ['confidence', 'confidence (highest probability)'],
        ['entropy', 'entropy (least uncertain)'],
        ['random', 'random'],
      ]),
    ],
  },
  {
    id: 'speculative',
    label: 'A3 speculative',
    note:
      'Lossless parallel sampling: one forward drafts D tokens in parallel, a second verifies them all at once and keeps each draft with probability min(1, p/q). ' +
      'The first rejected draft is replaced from the corrected distribution, so the text is distributed exactly as if the model had written it one token at a time — ' +
      'the speed-up costs no quality, only the number of tokens kept per forward varies.',
    knobs: [
      int('draft', 'draft size D', KNOB_LIMITS.draft, d.draft, 'Tokens drafted in parallel per round; a verify forward then keeps between 1 and D of them'),
      ORDER,
    ],
  },
  {
    id: 'diffusion',
    label: 'MDLM diffusion (baseline)',
    note:
      'The masked-diffusion baseline runs on its own model (MDLM, loaded on first use). Every step recomputes the whole sequence — no cache — and unmasks a few positions. ' +
      'Its likelihood is only a bound (an ELBO), not an exact probability like the A3 and AR models give.',
    knobs: [
      int('steps', 'steps', KNOB_LIMITS.steps, d.steps, 'Forwards of the MDLM model (each recomputes the whole sequence); at least one per block'),
      int('block', 'block length', KNOB_LIMITS.blockLength, d.blockLength, 'Open positions are unmasked block by block, left to right; 0 = all in one block'),
      select('remask', 'remasking', d.remasking, [
        ['low_confidence', 'low confidence (unmask the surest)'],
        ['random', 'random'],
      ]),
    ],
  },
];

/** Sampling knobs every strategy shares (greedy is a checkbox beside them). */
export const SAMPLING_KNOBS: readonly KnobSpec[] = [
  { key: 'temp', label: 'temperature', kind: 'float', min: 0, max: 10, step: 0.1, default: d.temperature },
  int('topk', 'top-k', [0, 100000], d.topK, '0 = off'),
  { key: 'topp', label: 'top-p', kind: 'float', min: 0, max: 1, step: 0.05, default: d.topP, help: '1 = off' },
  int('seed', 'seed', [0, 2 ** 31], d.seed),
];

/** The knobs greedy decoding ignores (disabled while greedy is on). */
export const SAMPLING_ONLY: ReadonlySet<string> = new Set(['temp', 'topk', 'topp']);

type KnobField = Exclude<keyof PlaygroundParams, 'text' | 'strategy' | 'greedy'>;

/** URL key -> playground field. */
const FIELD: Record<string, KnobField> = {
  s: 'groupSize',
  order: 'order',
  k: 'k',
  score: 'score',
  draft: 'draft',
  steps: 'steps',
  block: 'blockLength',
  remask: 'remasking',
  temp: 'temperature',
  topk: 'topK',
  topp: 'topP',
  seed: 'seed',
};

export function strategyInfo(id: Strategy): StrategyInfo {
  return STRATEGY_LIST.find((s) => s.id === id) ?? STRATEGY_LIST[0];
}

/** The playground's knob values by URL key. */
export function knobValues(p: PlaygroundParams): Record<string, number | string> {
  return Object.fromEntries(Object.entries(FIELD).map(([key, field]) => [key, p[field]]));
}

/** A knob change as a playground patch. */
export function knobPatch(key: string, value: number | string): Partial<PlaygroundParams> {
  const field = FIELD[key];
  return field ? ({ [field]: value } as Partial<PlaygroundParams>) : {};
}

/** One line for a request: "group-wise s = 2, left-to-right, T = 1". */
export function describeRequest(r: DecodeRequest): string {
  const order = Array.isArray(r.order) ? 'custom order' : (r.order ?? 'left-to-right');
  const how =
    r.strategy === 'groupwise'
      ? `group-wise s = ${r.groupSize ?? 1}, ${order}`
      : r.strategy === 'dynamic'
        ? `dynamic k = ${r.perStep ?? 1}, ${r.score ?? 'confidence'}`
        : r.strategy === 'speculative'
          ? `speculative D = ${r.draft ?? 4}, ${order}`
          : `diffusion ${r.steps ?? 8} steps, block ${r.blockLength ?? 'all'}, ${(r.remasking ?? 'low_confidence').replace('_', ' ')} remasking`;
  const samp = r.sampling?.greedy ? 'greedy' : `T = ${r.sampling?.temperature ?? 1}`;
  return `${how}, ${samp}`;
}
