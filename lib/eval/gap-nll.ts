/**
 * Gap likelihood: does the model use the words on BOTH sides of a gap?
 * (issue 13, item 1: the headline of the README's findings.)
 *
 * A gap problem is prefix + gap + suffix, as tokens. Each scorer gives the
 * total log-probability (natural log) of the true gap tokens:
 *   ar-prefix    base AR model, prefix only: Σ next-token log-probs of the gap
 *                after the prefix (its causal content stream); exact.
 *   a3-prefix    A3 with the prefix only: prefix = group 0, the gap as
 *                singletons left to right, the suffix absent; exact.
 *   a3-both-s1   A3 with prefix and suffix given (group 0), the gap left to
 *                right in singletons; exact.
 *   a3-both-s2/s4  the same with the gap in groups of 2 / 4 (tokens of one
 *                group predicted independently given the earlier ones); exact
 *                for that factorisation, a different (coarser) model of the gap.
 *   a3-both-one  the gap as one group: every gap token from the context alone.
 *   mdlm-both    the diffusion baseline's bound (minus its ELBO) with both
 *                sides visible, only gap positions masked; a bound, not exact.
 * Every A3 figure goes through `sequenceLogProb` with `given` = the context,
 * the one exact scorer (likelihood.ts); the groupings are GroupingSpecs with
 * the gap as a fixed span (groups.ts).
 *
 * Means, in nats/token: the main figure is per problem (each gap's NLL / its
 * length, averaged over problems: every window counts once, as the issue's
 * figures do); the token-weighted mean (Σ NLL / Σ gap tokens) is reported
 * beside it. Intervals are paired bootstrap 95% percentile intervals of
 * (scorer − ar-prefix), resampling problems (fixed seed), for both means.
 */
import { groupIdsFor, drawSpanLength, SPAN_LENGTHS } from '../a3/groups';
import { sequenceLogProb } from '../a3/likelihood';
import { maskedElbo } from '../a3/mdlm';
import type { A3Model } from '../a3/model';
import { makeRng } from '../a3/random';
import { arOptionLogProbs } from './multiple-choice';
import { infillSetup, type StoryWindow } from './story-infill';
import type { Tokenizer } from '../a3/tokenizer';

export interface GapProblem {
  id: string;
  prefix: number[];
  gap: number[];
  suffix: number[];
}

export type GapScorerId = 'ar-prefix' | 'a3-prefix' | 'a3-both-s1' | 'a3-both-s2' | 'a3-both-s4' | 'a3-both-one' | 'mdlm-both';

export interface GapScorer {
  id: GapScorerId;
  name: string;
  model: 'base' | 'a3' | 'mdlm';
  /** Exact log-likelihood (true) or a bound (the diffusion ELBO). */
  exact: boolean;
}

export const GAP_SCORERS: GapScorer[] = [
  { id: 'ar-prefix', name: 'AR (base), prefix only', model: 'base', exact: true },
  { id: 'a3-prefix', name: 'A3, prefix only, gap left to right', model: 'a3', exact: true },
  { id: 'a3-both-s1', name: 'A3, both sides, gap left to right (s=1)', model: 'a3', exact: true },
  { id: 'a3-both-s2', name: 'A3, both sides, gap in groups of 2', model: 'a3', exact: true },
  { id: 'a3-both-s4', name: 'A3, both sides, gap in groups of 4', model: 'a3', exact: true },
  { id: 'a3-both-one', name: 'A3, both sides, gap as one group', model: 'a3', exact: true },
  { id: 'mdlm-both', name: 'MDLM bound, both sides', model: 'mdlm', exact: false },
];

/** The headline comparison: does the suffix help A3 beat an AR model that never sees it? */
export const HEADLINE = { scorer: 'a3-both-s1', baseline: 'ar-prefix' } as const;

/** Masking ratios of the diffusion bound (stratified, as the validation bound). */
export const MDLM_RATIOS = 8;

export interface GapModels {
  base?: A3Model;
  a3?: A3Model;
  mdlm?: A3Model;
}

/** Group size of each "both sides" A3 scorer; 'one' = the whole gap. */
const BOTH_SIDES: { id: GapScorerId; size: number | 'one' }[] = [
  { id: 'a3-both-s1', size: 1 },
  { id: 'a3-both-s2', size: 2 },
  { id: 'a3-both-s4', size: 4 },
  { id: 'a3-both-one', size: 'one' },
];

/** A3 log P(gap | context) under each span grouping, all in one batched exact forward. */
function a3GapLogProbs(model: A3Model, tokens: number[], gapStart: number, gapLength: number, sizes: (number | 'one')[]): number[] {
  const T = tokens.length;
  const spans = [{ start: gapStart, length: gapLength }];
  const groupIds = new Int32Array(sizes.length * T);
  sizes.forEach((s, b) => groupIds.set(groupIdsFor({ kind: 'span-infill', size: s === 'one' ? gapLength : s, order: 'left-to-right', spans }, T), b * T));
  const given = new Uint8Array(sizes.length * T);
  for (let b = 0; b < sizes.length; b++) for (let i = 0; i < T; i++) given[b * T + i] = i >= gapStart && i < gapStart + gapLength ? 0 : 1;
  const batchTokens = new Int32Array(sizes.length * T);
  for (let b = 0; b < sizes.length; b++) batchTokens.set(tokens, b * T);
  return Array.from(sequenceLogProb(model, { batch: sizes.length, tokens: batchTokens, groupIds }, given));
}

/**
 * Total log-prob of the gap under every scorer whose model is present
 * (missing models' scorers are absent from the result). `seed` fixes the
 * diffusion bound's masks.
 */
export function gapLogProbs(models: GapModels, p: GapProblem, seed = 0): Partial<Record<GapScorerId, number>> {
  if (p.gap.length === 0) throw new Error(`gap problem ${p.id} has an empty gap`);
  if (p.prefix.length === 0) throw new Error(`gap problem ${p.id} has no prefix: the AR scorer needs one token of context`);
  const out: Partial<Record<GapScorerId, number>> = {};
  if (models.base) out['ar-prefix'] = arOptionLogProbs(models.base, p.prefix, [p.gap])[0];
  if (models.a3) {
    out['a3-prefix'] = a3GapLogProbs(models.a3, [...p.prefix, ...p.gap], p.prefix.length, p.gap.length, [1])[0];
    const both = a3GapLogProbs(models.a3, [...p.prefix, ...p.gap, ...p.suffix], p.prefix.length, p.gap.length, BOTH_SIDES.map((b) => b.size));
    BOTH_SIDES.forEach((b, k) => (out[b.id] = both[k]));
  }
  if (models.mdlm) {
    const open = p.gap.map((_, j) => p.prefix.length + j);
    out['mdlm-both'] = maskedElbo(models.mdlm, [...p.prefix, ...p.gap, ...p.suffix], open, MDLM_RATIOS, seed);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Problem sets

/** The masked middle sentence of a held-out 5-sentence window (tokenised as story infilling does). */
export function storyGapProblem(window: StoryWindow, tokenizer: Tokenizer): GapProblem {
  const s = infillSetup(window, tokenizer);
  return { id: window.id, prefix: s.prefix, gap: s.middle, suffix: s.suffix };
}

export const problemLength = (p: GapProblem) => p.prefix.length + p.gap.length + p.suffix.length;

/**
 * One random span per window of held-out text: length from the span-infill
 * law (groups.ts SPAN_LENGTHS, 1-32 tokens), start uniform such that at least
 * one token stays on each side. Deterministic in `seed`.
 */
export function randomSpanProblems(windows: Int32Array[], seed: number, maxSpan: number = SPAN_LENGTHS.max): GapProblem[] {
  const rng = makeRng(seed);
  return windows.map((w, k) => {
    if (w.length < 3) throw new Error(`window ${k} has ${w.length} tokens: a span needs one token of context on each side`);
    const length = Math.min(drawSpanLength(rng, maxSpan), w.length - 2);
    const start = 1 + Math.floor(rng() * (w.length - length - 1));
    const t = Array.from(w);
    return { id: `span-${String(k).padStart(3, '0')}`, prefix: t.slice(0, start), gap: t.slice(start, start + length), suffix: t.slice(start + length) };
  });
}

// ---------------------------------------------------------------------------
// Statistics

export interface PairedInterval {
  mean: number;
  low: number;
  high: number;
}

/**
 * Weighted mean of (a_i − b_i) with a paired bootstrap 95% percentile interval
 * over problems; a, b are per-token NLLs of problem i under two scorers.
 * weights = 1: every problem counts once; weights = gap lengths: the
 * token-weighted mean Σ(A_i − B_i) / Σ n_i. Deterministic in `seed`.
 */
export function pairedBootstrap(a: number[], b: number[], weights: number[], resamples = 2000, seed = 1): PairedInterval {
  const n = a.length;
  if (n === 0 || b.length !== n || weights.length !== n) throw new Error('paired bootstrap needs equal, non-empty lists');
  const wd = a.map((x, i) => weights[i] * (x - b[i]));
  const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
  const mean = sum(wd) / sum(weights);
  const rng = makeRng(seed);
  const stats = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let d = 0;
    let w = 0;
    for (let k = 0; k < n; k++) {
      const i = Math.floor(rng() * n);
      d += wd[i];
      w += weights[i];
    }
    stats[r] = d / w;
  }
  stats.sort();
  const at = (q: number) => stats[Math.min(resamples - 1, Math.max(0, Math.floor(q * resamples)))];
  return { mean, low: at(0.025), high: at(0.975) };
}

export interface GapRow {
  scorer: GapScorerId;
  name: string;
  model: GapScorer['model'];
  exact: boolean;
  ran: boolean;
  skipped?: string;
  /** nats/token per problem, averaged over problems (the main figure). */
  meanNll?: number;
  /** Σ NLL / Σ gap tokens. */
  tokenWeightedNll?: number;
  /** (this scorer − ar-prefix) per problem, averaged, with a paired bootstrap 95% interval. */
  minusArPrefix?: PairedInterval;
  /** The same, token-weighted. */
  minusArPrefixTokenWeighted?: PairedInterval;
}

export interface GapSetScores {
  rows: GapRow[];
  gapTokens: number;
  /** Per problem: gap length and NLL (nats, total over the gap) per scorer. */
  problems: { id: string; gapLength: number; nll: Partial<Record<GapScorerId, number>> }[];
}

/** The diffusion bound's seed for problem `index` of a set: a problem scores the same wherever it is computed. */
export function gapProblemSeed(seed: number, index: number): number {
  return (Math.imul(seed, 7919) + index) >>> 0;
}

/** Every scorer on every problem (the same problems for all: the comparison is paired). */
export function scoreGapSet(models: GapModels, problems: GapProblem[], options: { seed: number; resamples?: number }): GapSetScores {
  const logProbs = problems.map((p, i) => gapLogProbs(models, p, gapProblemSeed(options.seed, i)));
  return gapSetScores(models, problems, logProbs, options);
}

/**
 * The set's figures from each problem's `gapLogProbs` (logProbs[i] for problems[i], however they were
 * computed: in this thread or by `npm run eval`'s workers); sums and bootstraps run in problem order.
 */
export function gapSetScores(models: GapModels, problems: GapProblem[], logProbs: Partial<Record<GapScorerId, number>>[], options: { seed: number; resamples?: number }): GapSetScores {
  if (logProbs.length !== problems.length) throw new Error(`${logProbs.length} scored problems for a set of ${problems.length}`);
  const perProblem = problems.map((p, i) => {
    const lp = logProbs[i];
    const nll = Object.fromEntries(Object.entries(lp).map(([k, v]) => [k, -v])) as Partial<Record<GapScorerId, number>>;
    return { id: p.id, gapLength: p.gap.length, nll };
  });
  const tokens = perProblem.map((p) => p.gapLength);
  const ones = tokens.map(() => 1);
  const gapTokens = tokens.reduce((s, x) => s + x, 0);
  const perToken = (id: GapScorerId) => perProblem.map((p) => (p.nll[id] as number) / p.gapLength);
  const mean = (xs: number[], w: number[]) => xs.reduce((a, x, i) => a + w[i] * x, 0) / w.reduce((a, x) => a + x, 0);
  const haveAr = models.base !== undefined && problems.length > 0;
  const rows = GAP_SCORERS.map((s): GapRow => {
    const base = { scorer: s.id, name: s.name, model: s.model, exact: s.exact };
    if (!models[s.model]) return { ...base, ran: false, skipped: `no ${s.model} model` };
    if (problems.length === 0) return { ...base, ran: false, skipped: 'no problems' };
    const x = perToken(s.id);
    const figures = { meanNll: mean(x, ones), tokenWeightedNll: mean(x, tokens) };
    if (!haveAr || s.id === 'ar-prefix') return { ...base, ran: true, ...figures };
    const ar = perToken('ar-prefix');
    return {
      ...base,
      ran: true,
      ...figures,
      minusArPrefix: pairedBootstrap(x, ar, ones, options.resamples, options.seed),
      minusArPrefixTokenWeighted: pairedBootstrap(x, ar, tokens, options.resamples, options.seed),
    };
  });
  return { rows, gapTokens, problems: perProblem };
}
