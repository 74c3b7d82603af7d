/**
 * Automatic gap lengths for infilling.
 *
 * Rule: the gaps chosen for search are visited left to right; each is decoded
 * at every candidate length (the gaps already visited keep their chosen
 * length, the others their current one), and a completion is scored by its
 * exact per-token log-likelihood under the same model:
 *
 *     score = log P(open tokens | given; trace.groupIds) / #open positions
 *
 * (`sequenceLogProb` with `given`, using the partition the decoder itself
 * used, so the score is an exact likelihood, not a bound). The best score wins;
 * ties go to the shorter gap. Per token, because the total is a sum of one
 * negative term per open token and would always pick the shortest gap.
 * Cost: one decode plus one scoring forward per (gap, candidate).
 */
import { sequenceLogProbAsync } from '../likelihood';
import type { A3Model } from '../model';
import { MASK_TOKEN } from '../tokenizer';
import type { InfillProblem } from './infill';
import type { DecodeProblem } from './session';
import type { DecodeTrace } from './trace';

export interface LengthTrial {
  /** Index of the gap in `problem.spans`. */
  span: number;
  length: number;
  logProbPerToken: number;
}

export interface AutoLengthResult {
  /** The problem with every searched gap at its chosen length. */
  problem: InfillProblem;
  /** The decode of that problem (the best trial's own trace: nothing is decoded twice). */
  trace: DecodeTrace;
  trials: LengthTrial[];
}

/** Any strategy: a closure over its options (same seed every call keeps trials comparable). */
export type DecodeFn = (problem: DecodeProblem) => Promise<DecodeTrace>;

/** The same problem with gap `span` resized to `length` open positions; later gaps shift. */
export function resizeSpan(problem: InfillProblem, span: number, length: number): InfillProblem {
  const { start, length: old } = problem.spans[span];
  const tokens = Array.from(problem.tokens);
  const given = Array.from(problem.given, Boolean);
  tokens.splice(start, old, ...new Array<number>(length).fill(MASK_TOKEN));
  given.splice(start, old, ...new Array<boolean>(length).fill(false));
  const delta = length - old;
  const spans = problem.spans.map((s, i) => (i === span ? { start, length } : s.start > start ? { ...s, start: s.start + delta } : s));
  return { tokens, given, spans };
}

/** Exact per-token log-likelihood of a finished decode's completion. */
export async function completionScore(model: A3Model, trace: DecodeTrace): Promise<number> {
  const open = trace.given.filter((g) => !g).length;
  const logp = await sequenceLogProbAsync(
    model,
    { batch: 1, tokens: Int32Array.from(trace.tokens), groupIds: Int32Array.from(trace.groupIds) },
    Uint8Array.from(trace.given, Number),
  );
  return logp[0] / open;
}

/** Clear errors before any decode: bad gap indices, bad candidates, or a longest layout past the context. */
function checkSearch(model: A3Model, problem: InfillProblem, spans: number[], candidates: number[]): void {
  if (candidates.length === 0) throw new Error('automatic gap length needs at least one candidate length');
  for (const c of candidates) {
    if (!Number.isInteger(c) || c < 1) throw new Error(`candidate gap length must be an integer >= 1, got ${c}`);
  }
  if (new Set(spans).size !== spans.length) throw new Error('a gap is listed twice for automatic length');
  for (const s of spans) {
    if (!Number.isInteger(s) || s < 0 || s >= problem.spans.length) throw new Error(`gap ${s} does not exist (the problem has ${problem.spans.length})`);
  }
  const longest = Math.max(...candidates);
  const n = problem.tokens.length + spans.reduce((sum, s) => sum + longest - problem.spans[s].length, 0);
  if (n > model.config.maxLen) {
    throw new Error(`prompt plus gaps at the longest candidate (${longest}) is ${n} tokens, longer than the model's context of ${model.config.maxLen}`);
  }
}

/** Choose the length of each gap in `spans` among `candidates` (see the rule at the top). */
export async function chooseGapLengths(model: A3Model, problem: InfillProblem, spans: number[], candidates: number[], decode: DecodeFn): Promise<AutoLengthResult> {
  checkSearch(model, problem, spans, candidates);
  const sorted = [...new Set(candidates)].sort((a, b) => a - b);
  const trials: LengthTrial[] = [];
  let best = { problem, trace: null as DecodeTrace | null, score: -Infinity };
  for (const span of [...spans].sort((a, b) => problem.spans[a].start - problem.spans[b].start)) {
    const base = best.problem;
    best = { problem: base, trace: null, score: -Infinity };
    for (const length of sorted) {
      const candidate = resizeSpan(base, span, length);
      const trace = await decode(candidate);
      const score = await completionScore(model, trace);
      trials.push({ span, length, logProbPerToken: score });
      if (score > best.score) best = { problem: candidate, trace, score }; // strict: ties keep the shorter
    }
  }
  // No gap searched, or no length of the last one scored (NaN): decode the problem as chosen so far, so the
  // trace answers the problem returned (earlier gaps at their chosen lengths).
  const trace = best.trace ?? (await decode(best.problem));
  return { problem: best.problem, trace, trials };
}
