/**
 * Runs a decode request: the text becomes an infill problem (gaps.ts syntax), the registry entry
 * (strategies.ts) turns the request's knobs into its decoder's options, and the decoder named in DECODERS
 * runs on the part of the template that fits the context (window.ts; the rest comes back unchanged, marked as
 * not seen); `[__?__]` gaps get their lengths by likelihood first (auto-length.ts). One entry point for the
 * worker, the scripts and the benchmarks; everything is validated before any tensor is made.
 */
import type { A3Model } from '../model';
import type { Tokenizer } from '../tokenizer';
import { decodeARInfill } from './ar';
import { chooseGapLengths, type LengthTrial } from './auto-length';
import { decodeDiffusion } from './diffusion';
import { decodeDynamic } from './dynamic';
import { AUTO_LENGTHS, DEFAULT_GAP_LENGTH } from './gaps';
import { decodeGroupwise } from './groupwise';
import { checkTemplate, problemFromText, windowProblem } from './infill';
import type { DecodeRequest, DecodeResult, LeftOutText } from './request';
import type { DecodeProblem } from './session';
import { decodeSpeculative } from './speculative';
import { STRATEGY, STRATEGY_IDS, isStrategyId, resolveKnobs, strategySpec, type CommonOptions, type StrategyId } from './strategies';
import type { DecodeTrace } from './trace';
import { describeWindow, isPartial, type ContextWindow } from './window';

type OptionsOf<S extends StrategyId> = ReturnType<(typeof STRATEGY)[S]['options']>;
type Decoder<O> = (model: A3Model, problem: DecodeProblem, options: O) => Promise<DecodeTrace>;

/** The decoder of each registry entry. */
const DECODERS: { [S in StrategyId]: Decoder<OptionsOf<S>> } = {
  groupwise: decodeGroupwise,
  dynamic: decodeDynamic,
  speculative: decodeSpeculative,
  diffusion: decodeDiffusion,
  ar: decodeARInfill,
};

/** The request's decoder with its options bound: a function of the problem (auto-length decodes several). */
function decoderFor(model: A3Model, request: DecodeRequest): (problem: DecodeProblem) => Promise<DecodeTrace> {
  const id: unknown = request.strategy;
  if (!isStrategyId(id)) throw new Error(`unknown strategy "${String(id)}": use ${STRATEGY_IDS.join(', ')}`);
  const spec = strategySpec(id);
  const common: CommonOptions = { seed: request.seed ?? 0, sampling: request.sampling, cached: request.cached ?? true };
  const options = spec.options(resolveKnobs(spec, request), common);
  // DECODERS and STRATEGY are keyed alike (the table's type says so), but the compiler cannot follow one
  // runtime key across two records: `options` is exactly what DECODERS[id] takes.
  const decode = DECODERS[id] as Decoder<unknown>;
  return (problem) => decode(model, problem, options);
}

export async function runDecodeRequest(model: A3Model, tokenizer: Tokenizer, request: DecodeRequest): Promise<DecodeResult> {
  if (typeof request?.text !== 'string') throw new Error('a decode request needs text');
  const decodeWith = decoderFor(model, request);
  // The page checks the template live with the same rule, so it never offers to run what is refused here,
  // and it shows the same window as the one decoded.
  const check = checkTemplate(request, tokenizer, model.config.maxLen);
  if (check.problem !== null || check.window === null) throw new Error(check.problem ?? 'the template does not fit the context');
  const { window } = check;
  const whole = problemFromText(request.text, tokenizer, request.gapLength ?? DEFAULT_GAP_LENGTH);
  let problem = windowProblem(whole, window);
  const autoSpans = problem.spans.flatMap((s, i) => (s.auto ? [i] : []));
  let trace: DecodeTrace;
  let trials: LengthTrial[] | undefined;
  if (autoSpans.length > 0) {
    // checkTemplate refused [__?__] for a strategy not on the A3 model, whose likelihood scores the lengths.
    const chosen = await chooseGapLengths(model, problem, autoSpans, request.autoLengths ?? [...AUTO_LENGTHS], decodeWith);
    problem = chosen.problem;
    trace = chosen.trace;
    trials = chosen.trials;
  } else {
    trace = await decodeWith(problem);
  }
  const labels = trace.tokens.map((t) => tokenizer.decodeToken(t));
  const left = leftOut(whole.tokens, window, trace.tokens.length, tokenizer);
  return {
    trace,
    spans: problem.spans,
    labels,
    initialLabels: labels.map((l, i) => (trace.given[i] ? l : '')),
    text: tokenizer.decode([...(left?.before.tokens ?? []), ...trace.tokens, ...(left?.after.tokens ?? [])]),
    ...(trials ? { trials } : {}),
    ...(left ? { window: left } : {}),
  };
}

/** The text the window left out, unchanged, and the note of what was kept (with the gaps at their decoded lengths); null when nothing was. */
function leftOut(tokens: ArrayLike<number>, window: ContextWindow, kept: number, tokenizer: Tokenizer): LeftOutText | null {
  if (!isPartial(window)) return null;
  const part = (ids: number[]) => ({ tokens: ids, labels: ids.map((t) => tokenizer.decodeToken(t)) });
  const before = part(Array.from(tokens).slice(0, window.before));
  const after = part(Array.from(tokens).slice(tokens.length - window.after));
  return { before, after, note: describeWindow({ ...window, total: window.before + kept + window.after }) };
}
