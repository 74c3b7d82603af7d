/**
 * LLaDA-style decoding for the masked-diffusion baseline: every step runs the
 * bidirectional model over the whole sequence (open positions hold <mask>),
 * and unmasks a scheduled number of positions of the current block — those
 * it is most confident about ('low_confidence' remasking) or random ones.
 * No cache: every position's state depends on every other, so each step is a
 * full recomputation — that is the baseline's nature.
 */
import * as tf from '@tensorflow/tfjs';
import { bidirectionalLogits, MASK_TOKEN } from '../mdlm';
import type { A3Model } from '../model';
import { makeRng } from '../random';
import { checkProblem, type DecodeProblem } from './session';
import { sampleToken, validateSampling, type SamplingOptions } from './sampling';
import type { StepRecorder } from './record';
import type { DecodeStep, DecodeTrace } from './trace';

export interface DiffusionOptions {
  steps: number;
  /** Open positions are unmasked block by block (left to right), blockLength open positions each. */
  blockLength?: number;
  remasking?: 'low_confidence' | 'random';
  seed?: number;
  sampling?: SamplingOptions;
}

/** How many positions each step unmasks: an even split of each block over its steps. */
export function diffusionSchedule(open: number, steps: number, blockLength: number): number[][] {
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps must be an integer >= 1, got ${steps}`);
  if (!Number.isInteger(blockLength) || blockLength < 1) throw new Error(`block length must be an integer >= 1, got ${blockLength}`);
  const blocks = Math.ceil(open / blockLength);
  if (steps < blocks) throw new Error(`${steps} steps cannot cover ${blocks} blocks: use at least one step per block`);
  return Array.from({ length: blocks }, (_, b) => {
    const size = Math.min(blockLength, open - b * blockLength);
    const blockSteps = Math.floor(steps / blocks) + (b < steps % blocks ? 1 : 0);
    return Array.from({ length: blockSteps }, (_, s) => Math.floor(size / blockSteps) + (s < size % blockSteps ? 1 : 0));
  });
}

export async function decodeDiffusion(model: A3Model, problem: DecodeProblem, o: DiffusionOptions, onStep?: StepRecorder): Promise<DecodeTrace> {
  checkProblem(model, problem);
  validateSampling(o.sampling ?? {});
  const remasking = o.remasking ?? 'low_confidence';
  if (remasking !== 'low_confidence' && remasking !== 'random') throw new Error(`unknown remasking "${String(remasking)}"`);
  const n = problem.tokens.length;
  const given = Array.from(problem.given, Boolean);
  const openAll = given.flatMap((g, i) => (g ? [] : [i]));
  const schedule = diffusionSchedule(openAll.length, o.steps, o.blockLength ?? openAll.length);
  const blockLength = o.blockLength ?? openAll.length;
  const tokens = Int32Array.from({ length: n }, (_, i) => (given[i] ? problem.tokens[i] : MASK_TOKEN));
  const gids = Int32Array.from({ length: n }, (_, i) => (given[i] ? 0 : -1));
  const rng = makeRng(o.seed ?? 0);
  const start = performance.now();
  const steps: DecodeStep[] = [];
  for (const [b, counts] of schedule.entries()) {
    const block = openAll.slice(b * blockLength, (b + 1) * blockLength);
    for (const count of counts) {
      const t0 = performance.now();
      const open = block.filter((p) => gids[p] === -1);
      // Logits only where this block is still open: the fair baseline (the head dominates a small model's step).
      const logitsT = tf.tidy(() => bidirectionalLogits(model, 1, tokens, open));
      const logits = (await logitsT.data()) as Float32Array;
      logitsT.dispose();
      const V = model.config.vocabSize;
      const picks = open.map((pos, r) => ({ pos, ...sampleToken(logits.subarray(r * V, (r + 1) * V), o.sampling ?? {}, rng), tie: rng() }));
      const key = (p: (typeof picks)[number]) => (remasking === 'low_confidence' ? p.prob : p.tie);
      const chosen = [...picks].sort((x, y) => key(y) - key(x)).slice(0, count);
      const groupId = steps.length + 1;
      for (const c of chosen) {
        tokens[c.pos] = c.token;
        gids[c.pos] = groupId;
      }
      const step = {
        groupId,
        committed: chosen.map(({ pos, token, prob, entropy }) => ({ pos, token, prob, entropy })),
        candidates: picks.map(({ pos, top }) => ({ pos, top })),
        cached: false,
        ms: performance.now() - t0,
      };
      steps.push(step);
      onStep?.(step);
    }
  }
  const totalMs = performance.now() - start;
  return {
    strategy: `diffusion steps=${o.steps} block=${blockLength} (${remasking})`,
    initial: given.map((g, i) => (g ? problem.tokens[i] : MASK_TOKEN)),
    given,
    tokens: Array.from(tokens),
    groupIds: Array.from(gids),
    steps,
    nfe: steps.length,
    generated: openAll.length,
    totalMs,
    tokensPerSec: openAll.length / (totalMs / 1000),
  };
}
