/**
 * LLaDA-style decoding for the masked-diffusion baseline: every step runs the
 * bidirectional model over the whole sequence (open positions hold <mask>),
 * and unmasks a scheduled number of positions of the current block — those
 * it is most confident about ('low_confidence' remasking) or random ones.
 * No cache: every position's state depends on every other, so each step is a
 * full recomputation — that is the baseline's nature. A step unmasks at least
 * one position, so a block never gets more steps than it has positions (8 open
 * positions take 8 forwards however many steps were asked; the trace notes it).
 */
import type { A3Model } from '../model';
import { makeRng } from '../random';
import { DecodeSession, type DecodeProblem } from './session';
import { sampleToken, validateSampling, type SamplingOptions } from './sampling';
import { finishTrace, stepRecord, type StepRecorder } from './record';
import { minDiffusionSteps } from './strategies';
import type { DecodeStep, DecodeTrace } from './trace';

export interface DiffusionOptions {
  steps: number;
  /** Open positions are unmasked block by block (left to right), blockLength open positions each. */
  blockLength?: number;
  remasking?: 'low_confidence' | 'random';
  seed?: number;
  sampling?: SamplingOptions;
}

/**
 * How many positions each step unmasks: the steps split evenly over the
 * blocks, each block's steps split evenly over its positions. A block never
 * gets more steps than it has positions (a step that unmasks nothing would be
 * a wasted forward); steps it cannot use go to the next blocks with room, so
 * min(steps, open) forwards run in all.
 */
export function diffusionSchedule(open: number, steps: number, blockLength: number): number[][] {
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps must be an integer >= 1, got ${steps}`);
  if (!Number.isInteger(blockLength) || blockLength < 1) throw new Error(`block length must be an integer >= 1, got ${blockLength}`);
  const blocks = minDiffusionSteps(open, blockLength);
  if (steps < blocks) throw new Error(`${steps} steps cannot cover ${blocks} blocks: use at least one step per block`);
  const sizes = Array.from({ length: blocks }, (_, b) => Math.min(blockLength, open - b * blockLength));
  const shares = sizes.map((_, b) => Math.floor(steps / blocks) + (b < steps % blocks ? 1 : 0));
  const blockSteps = sizes.map((size, b) => Math.min(size, shares[b]));
  let spare = steps - blockSteps.reduce((a, n) => a + n, 0);
  for (let b = 0; b < blocks && spare > 0; b++) {
    const extra = Math.min(sizes[b] - blockSteps[b], spare);
    blockSteps[b] += extra;
    spare -= extra;
  }
  return sizes.map((size, b) => Array.from({ length: blockSteps[b] }, (_, s) => Math.floor(size / blockSteps[b]) + (s < size % blockSteps[b] ? 1 : 0)));
}

export async function decodeDiffusion(model: A3Model, problem: DecodeProblem, o: DiffusionOptions, onStep?: StepRecorder): Promise<DecodeTrace> {
  const sampling = o.sampling ?? {};
  validateSampling(sampling);
  const remasking = o.remasking ?? 'low_confidence';
  if (remasking !== 'low_confidence' && remasking !== 'random') throw new Error(`unknown remasking "${String(remasking)}"`);
  const session = new DecodeSession(model, problem, false, { allowSpecial: sampling.allowSpecial });
  try {
    const openAll = session.openPositions();
    const blockLength = o.blockLength ?? openAll.length;
    const schedule = diffusionSchedule(openAll.length, o.steps, blockLength);
    const effective = schedule.flat().length;
    const rng = makeRng(o.seed ?? 0);
    const start = performance.now();
    const steps: DecodeStep[] = [];
    for (const [b, counts] of schedule.entries()) {
      const block = openAll.slice(b * blockLength, (b + 1) * blockLength);
      for (const count of counts) {
        const t0 = performance.now();
        const open = block.filter((p) => !session.committed[p]);
        // Logits only where this block is still open: the fair baseline (the head dominates a small model's step).
        const rows = await session.predictBidirectional(open);
        const picks = open.map((pos, r) => ({ pos, ...sampleToken(rows[r], sampling, rng), tie: rng() }));
        const key = (p: (typeof picks)[number]) => (remasking === 'low_confidence' ? p.prob : p.tie);
        const chosen = [...picks].sort((x, y) => key(y) - key(x)).slice(0, count);
        const groupId = steps.length + 1;
        for (const c of chosen) session.commit(c.pos, c.token, groupId);
        const step = stepRecord(groupId, chosen, picks, false, t0);
        steps.push(step);
        onStep?.(step);
      }
    }
    const notes = effective < o.steps ? [`${o.steps} steps asked, ${effective} run: a step unmasks at least one position, and there are ${openAll.length} open`] : [];
    return finishTrace(`diffusion steps=${effective} block=${blockLength} (${remasking})`, session, steps, start, notes);
  } finally {
    session.dispose();
  }
}
