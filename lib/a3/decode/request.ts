/**
 * The page's decode request: text with gaps (or a prompt to continue),
 * a strategy and its knobs. One entry point for the worker, the scripts and
 * the benchmarks; it validates everything before any state is made.
 */
import type { OpenOrder } from '../groups';
import type { A3Model } from '../model';
import type { Tokenizer } from '../tokenizer';
import { decodeDiffusion } from './diffusion';
import { decodeDynamic, type CommitScore } from './dynamic';
import { decodeGroupwise } from './groupwise';
import { chooseGapLengths } from './auto-length';
import { continuation, parseTemplate, type InfillProblem, type Span } from './infill';
import type { DecodeProblem } from './session';
import type { SamplingOptions } from './sampling';
import { decodeSpeculative } from './speculative';
import type { DecodeTrace } from './trace';

export type DecodeStrategy = 'groupwise' | 'dynamic' | 'speculative' | 'diffusion';
export const DECODE_STRATEGIES: readonly DecodeStrategy[] = ['groupwise', 'dynamic', 'speculative', 'diffusion'];

export interface DecodeRequest {
  text: string;
  strategy: DecodeStrategy;
  /** Group size s (group-wise). */
  groupSize?: number;
  order?: OpenOrder;
  /** Tokens committed per step (dynamic). */
  perStep?: number;
  score?: CommitScore;
  sampling?: SamplingOptions;
  seed?: number;
  /** false = recompute every position each forward (the released code's way). */
  cached?: boolean;
  /** Draft size (speculative). */
  draft?: number;
  /** Diffusion baseline: forwards, block length, remasking. */
  steps?: number;
  blockLength?: number;
  remasking?: 'low_confidence' | 'random';
  /** Length of `[____]` gaps, and of the continuation when the text has no gap. */
  gapLength?: number;
  /** Lengths tried for `[__?__]` gaps. */
  autoLengths?: number[];
}

/** Gap lengths tried for `[__?__]` when the request does not say. */
export const AUTO_LENGTHS = [2, 4, 6, 8, 12];

export interface DecodeResult {
  trace: DecodeTrace;
  spans: Span[];
  /** Display text of every position's token (the views label cells with these). */
  labels: string[];
  /** The initial labels: given tokens' text, '' at open positions. */
  initialLabels: string[];
  text: string;
}

function decodeStrategy(model: A3Model, problem: DecodeProblem, request: DecodeRequest): Promise<DecodeTrace> {
  const common = { seed: request.seed ?? 0, sampling: request.sampling, cached: request.cached ?? true };
  switch (request.strategy) {
    case 'groupwise':
      return decodeGroupwise(model, problem, { ...common, groupSize: request.groupSize ?? 1, order: request.order });
    case 'dynamic':
      return decodeDynamic(model, problem, { ...common, perStep: request.perStep ?? 1, score: request.score });
    case 'speculative':
      return decodeSpeculative(model, problem, { ...common, draft: request.draft ?? 4, order: request.order });
    case 'diffusion':
      return decodeDiffusion(model, problem, { seed: common.seed, sampling: common.sampling, steps: request.steps ?? 8, blockLength: request.blockLength, remasking: request.remasking });
    default:
      throw new Error(`unknown strategy "${String((request as { strategy: unknown }).strategy)}": use ${DECODE_STRATEGIES.join(', ')}`);
  }
}

export async function runDecodeRequest(model: A3Model, tokenizer: Tokenizer, request: DecodeRequest): Promise<DecodeResult> {
  if (typeof request?.text !== 'string') throw new Error('a decode request needs text');
  const gapLength = request.gapLength ?? 8;
  let problem: InfillProblem = /\[_+(\d+|\?)?_*\]/.test(request.text) ? parseTemplate(request.text, tokenizer, gapLength) : continuation(request.text, tokenizer, gapLength);
  const decodeWith = (p: DecodeProblem) => decodeStrategy(model, p, request);
  const autoSpans = problem.spans.flatMap((s, i) => (s.auto ? [i] : []));
  let trace: DecodeTrace;
  if (autoSpans.length > 0) {
    const chosen = await chooseGapLengths(model, problem, autoSpans, request.autoLengths ?? AUTO_LENGTHS, decodeWith);
    problem = chosen.problem;
    trace = chosen.trace;
  } else {
    trace = await decodeWith(problem);
  }
  const labels = trace.tokens.map((t) => tokenizer.decodeToken(t));
  return {
    trace,
    spans: problem.spans,
    labels,
    initialLabels: labels.map((l, i) => (trace.given[i] ? l : '')),
    text: tokenizer.decode(trace.tokens),
  };
}
