/**
 * Plain left-to-right sampling from the base model's causal content stream
 * (the model before A3 adaptation; its query stream is untrained), through a
 * causal DecodeSession: every position is its own group (group id = position).
 *
 * Cached by default: the causal stream is the A3 content stream with
 * gid = position, so the same KV cache holds: each step runs one content row
 * (the token just sampled) against the cached keys. Once the sequence fills
 * the context, the window slides (see DecodeSession.predictNext).
 *
 * decodeARInfill is the registry's AR strategy (strategies.ts): a template's
 * gaps filled by this sampler, each continued from the text before it.
 */
import type { A3Model } from '../model';
import { MASK_TOKEN } from '../mdlm';
import { SPECIAL_TOKENS } from '../tokenizer';
import { makeRng } from '../random';
import { sampleToken, validateSampling, type SamplingOptions } from './sampling';
import { DecodeSession, type DecodeProblem } from './session';
import { finishTrace, stepRecord, type StepRecorder } from './record';
import type { DecodeStep, DecodeTrace } from './trace';

export interface AROptions {
  /** Tokens to generate (fewer if the stop token comes first). */
  length: number;
  sampling?: SamplingOptions;
  seed?: number;
  /** A token that ends the decode once sampled (kept in the trace); the one special token AR may emit. */
  stopToken?: number;
  cached?: boolean;
  /** Candidates kept per step in the trace. */
  topK?: number;
}

export async function decodeAR(model: A3Model, prompt: ArrayLike<number>, o: AROptions, onStep?: StepRecorder): Promise<DecodeTrace> {
  if (prompt.length === 0) throw new Error('the prompt is empty: give at least one token');
  if (!Number.isInteger(o.length) || o.length < 1) throw new Error(`length must be an integer >= 1, got ${o.length}`);
  const sampling = o.sampling ?? {};
  validateSampling(sampling);
  const problem = {
    tokens: [...Array.from(prompt), ...new Array<number>(o.length).fill(MASK_TOKEN)],
    given: Array.from({ length: prompt.length + o.length }, (_, i) => i < prompt.length),
  };
  const session = new DecodeSession(model, problem, o.cached ?? true, { causal: true, allowSpecial: sampling.allowSpecial, stopToken: o.stopToken });
  const start = performance.now();
  try {
    const rng = makeRng(o.seed ?? 0);
    const steps = [];
    for (let pos = prompt.length; pos < problem.tokens.length; pos++) {
      const t0 = performance.now();
      const pick = { pos, ...sampleToken(await session.predictNext(), sampling, rng, o.topK ?? 5) };
      session.commit(pos, pick.token, pos);
      const step = stepRecord(pos, [pick], [pick], session.cached, t0);
      steps.push(step);
      onStep?.(step);
      if (pick.token === o.stopToken) break;
    }
    return finishTrace('AR (base model)', session, steps, start);
  } finally {
    session.dispose();
  }
}

/** What the registry's AR strategy passes (strategies.ts): no knobs of its own. */
export interface ARInfillOptions {
  seed: number;
  sampling?: SamplingOptions;
  cached: boolean;
}

/** A step's positions moved by `by` (the trace of a prompt with a token put in front, in template positions). */
function shiftPositions(step: DecodeStep, by: number): DecodeStep {
  if (by === 0) return step;
  return {
    ...step,
    groupId: step.groupId + by,
    committed: step.committed.map((c) => ({ ...c, pos: c.pos + by })),
    candidates: step.candidates.map((c) => ({ ...c, pos: c.pos + by })),
  };
}

/** The runs of open positions, left to right. */
function openRuns(given: ArrayLike<boolean>): { start: number; length: number }[] {
  const runs: { start: number; length: number }[] = [];
  for (let i = 0; i < given.length; i++) {
    if (given[i]) continue;
    const last = runs.at(-1);
    if (last && last.start + last.length === i) last.length++;
    else runs.push({ start: i, length: 1 });
  }
  return runs;
}

/**
 * A template filled the way a left-to-right model can: each gap, left to right, is a continuation of
 * everything before it (given text and the gaps already filled); the text after a gap is never seen.
 * One trace for the whole template, in the AR convention (group id = position).
 */
export async function decodeARInfill(model: A3Model, problem: DecodeProblem, o: ARInfillOptions): Promise<DecodeTrace> {
  const n = problem.tokens.length;
  if (problem.given.length !== n) throw new Error(`given has length ${problem.given.length}, tokens ${n}`);
  const gaps = openRuns(problem.given);
  if (gaps.length === 0) throw new Error('there is no open position to fill');
  const start = performance.now();
  const tokens = Array.from(problem.tokens);
  const steps = [];
  for (const [i, gap] of gaps.entries()) {
    // A gap at the very start has nothing before it: the model starts as it learned a document starts, after
    // the <eos> that separates documents in its training stream (that token is dropped from the result).
    const lead = gap.start === 0 ? [SPECIAL_TOKENS.eos] : [];
    // A different seed per gap: the same seed would replay the same random draws in every gap.
    const part = await decodeAR(model, [...lead, ...tokens.slice(0, gap.start)], { length: gap.length, sampling: o.sampling, seed: o.seed + i, cached: o.cached });
    tokens.splice(gap.start, gap.length, ...part.tokens.slice(lead.length + gap.start));
    steps.push(...part.steps.map((step) => shiftPositions(step, -lead.length)));
  }
  const given = Array.from(problem.given, Boolean);
  // Given text after the first gap: some gap was filled without the text on its right.
  const suffixUnseen = given.some((g, p) => g && p > gaps[0].start);
  const totalMs = performance.now() - start;
  const generated = n - given.filter(Boolean).length;
  return {
    strategy: 'AR (base model)',
    initial: tokens.map((t, p) => (given[p] ? t : MASK_TOKEN)),
    given,
    tokens,
    groupIds: tokens.map((_, p) => p),
    steps,
    nfe: steps.length,
    generated,
    totalMs,
    tokensPerSec: generated / (totalMs / 1000),
    ...(suffixUnseen ? { notes: ['left to right: each gap was continued from the text before it; the text after it was not seen'] } : {}),
  };
}
