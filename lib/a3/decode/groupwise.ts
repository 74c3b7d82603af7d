/**
 * Group-wise AR (the paper's Algorithm 1): given tokens are group 0; the open
 * positions are cut into groups of size s (left to right, random, or an
 * explicit order) and sampled group by group, one forward per group.
 * s = 1 left to right is plain AR decoding with the query stream.
 */
import type { OpenOrder } from '../groups';
import type { A3Model } from '../model';
import { makeRng } from '../random';
import { sampleToken, validateSampling, type SamplingOptions } from './sampling';
import { DecodeSession, type DecodeProblem } from './session';
import { finishTrace, stepRecord, type StepRecorder } from './record';
import type { DecodeTrace } from './trace';

export interface GroupwiseOptions {
  groupSize: number;
  order?: OpenOrder;
  seed?: number;
  sampling?: SamplingOptions;
  cached?: boolean;
  /** Candidates kept per predicted position in the trace. */
  topK?: number;
}

export async function decodeGroupwise(model: A3Model, problem: DecodeProblem, o: GroupwiseOptions, onStep?: StepRecorder): Promise<DecodeTrace> {
  if (!Number.isInteger(o.groupSize) || o.groupSize < 1) throw new Error(`group size s must be an integer >= 1, got ${o.groupSize}`);
  const sampling = o.sampling ?? {};
  validateSampling(sampling);
  const session = new DecodeSession(model, problem, o.cached ?? true, { allowSpecial: sampling.allowSpecial });
  const start = performance.now();
  try {
    const rng = makeRng(o.seed ?? 0);
    const steps = [];
    for (const { id: k, positions: targets } of session.openGroups(o.groupSize, o.order, o.seed)) {
      const t0 = performance.now();
      const rows = await session.predict(targets, k);
      const picks = targets.map((pos, r) => ({ pos, ...sampleToken(rows[r], sampling, rng, o.topK ?? 5) }));
      for (const p of picks) session.commit(p.pos, p.token, k);
      const step = stepRecord(k, picks, picks, session.cached, t0);
      steps.push(step);
      onStep?.(step);
    }
    return finishTrace(`group-wise s=${o.groupSize}`, session, steps, start);
  } finally {
    session.dispose();
  }
}
