/**
 * Plain left-to-right sampling from the base model's causal content stream
 * (the model before A3 adaptation; its query stream is untrained), through a
 * causal DecodeSession: every position is its own group (group id = position).
 *
 * Cached by default: the causal stream is the A3 content stream with
 * gid = position, so the same KV cache holds: each step runs one content row
 * (the token just sampled) against the cached keys. Once the sequence fills
 * the context, the window slides (see DecodeSession.predictNext).
 */
import type { A3Model } from '../model';
import { MASK_TOKEN } from '../mdlm';
import { makeRng } from '../random';
import { sampleToken, validateSampling, type SamplingOptions } from './sampling';
import { DecodeSession } from './session';
import { finishTrace, stepRecord, type StepRecorder } from './record';
import type { DecodeTrace } from './trace';

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
