/**
 * Lossless parallel sampling (after Guo & Ermon, arXiv 2504.20456): draft the
 * next D open positions (in a fixed order) in parallel from the query stream,
 * then verify them with the same network in one forward in which the drafts
 * are singleton groups in that order — which yields each draft's exact
 * sequential conditional p_i at once. Accept draft i with probability
 * min(1, p_i(x)/q_i(x)); at the first rejection, resample from
 * norm(max(0, p_i − q_i)) and start a new round. The output is distributed
 * exactly as the model's joint for that order (singleton groups), while each
 * round commits between 1 and D tokens for two forwards. Each draft step
 * records its drafts and what verification made of them (DecodeStep.drafted).
 */
import type { OpenOrder } from '../groups';
import type { A3Model } from '../model';
import { makeRng } from '../random';
import { entropy, drawFrom, samplingDistribution, softmax, topTokens, validateSampling, type SamplingOptions } from './sampling';
import { DecodeSession, type DecodeProblem } from './session';
import { finishTrace, type StepRecorder } from './record';
import type { DecodeStep, DecodeTrace, DraftedToken } from './trace';

export interface SpeculativeOptions {
  draft: number;
  order?: OpenOrder;
  seed?: number;
  sampling?: SamplingOptions;
  cached?: boolean;
}

export interface SpeculativeTrace extends DecodeTrace {
  acceptedPerForward: number;
  rounds: { drafted: number; accepted: number }[];
}

export async function decodeSpeculative(model: A3Model, problem: DecodeProblem, o: SpeculativeOptions, onStep?: StepRecorder): Promise<SpeculativeTrace> {
  if (!Number.isInteger(o.draft) || o.draft < 1) throw new Error(`draft size must be an integer >= 1, got ${o.draft}`);
  const sampling = o.sampling ?? {};
  validateSampling(sampling);
  const session = new DecodeSession(model, problem, o.cached ?? true, { allowSpecial: sampling.allowSpecial });
  const start = performance.now();
  try {
    const rng = makeRng(o.seed ?? 0);
    // The order the joint is defined over: open positions one at a time.
    const order = session.openGroups(1, o.order, o.seed).map((g) => g.positions[0]);
    const steps: DecodeStep[] = [];
    const rounds: { drafted: number; accepted: number }[] = [];
    let next = 0;
    let group = 1;
    while (next < order.length) {
      const block = order.slice(next, next + o.draft);
      // Draft: every position of the block from the committed tokens alone.
      let t0 = performance.now();
      const draftRows = await session.predict(block, group);
      const q = draftRows.map((row) => samplingDistribution(row, sampling));
      const drafts = q.map((dist) => drawFrom(dist, rng));
      const draftModel = draftRows.map((row) => softmax(row));
      const drafted: DraftedToken[] = block.map((pos, r) => ({ pos, token: drafts[r], prob: draftModel[r][drafts[r]], outcome: 'discarded' }));
      const draftStep: DecodeStep = { groupId: group, committed: [], candidates: block.map((pos, r) => ({ pos, top: topTokens(draftModel[r], 5) })), drafted, cached: session.cached, ms: performance.now() - t0 };
      // Verify: drafts as singleton groups group, group+1, ...; query rows see the drafts before them.
      t0 = performance.now();
      const extra = block.map((pos, r) => ({ pos, token: drafts[r], gid: group + r }));
      const verifyRows = await session.forward(extra, block, block.map((_, r) => group + r));
      const committed = [];
      for (let r = 0; r < block.length; r++) {
        const p = samplingDistribution(verifyRows[r], sampling);
        const x = drafts[r];
        const accept = q[r][x] > 0 && rng() < Math.min(1, p[x] / q[r][x]);
        drafted[r].outcome = accept ? 'accepted' : 'rejected';
        const token = accept ? x : drawFrom(residual(p, q[r]), rng);
        const model_ = softmax(verifyRows[r]);
        committed.push({ pos: block[r], token, prob: model_[token], entropy: entropy(model_) });
        session.commit(block[r], token, group + r);
        if (!accept) break;
      }
      rounds.push({ drafted: block.length, accepted: committed.length });
      const step = { groupId: group, committed, candidates: [], cached: session.cached, ms: performance.now() - t0 };
      // The draft step is reported once verification has judged its drafts.
      steps.push(draftStep, step);
      onStep?.(draftStep);
      onStep?.(step);
      next += committed.length;
      group += committed.length;
    }
    const trace = finishTrace(`speculative draft=${o.draft}`, session, steps, start);
    return { ...trace, acceptedPerForward: trace.generated / trace.nfe, rounds };
  } finally {
    session.dispose();
  }
}

/** norm(max(0, p − q)); if p ≤ q everywhere (p = q), p itself. */
function residual(p: Float64Array, q: Float64Array): Float64Array {
  const r = new Float64Array(p.length);
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    r[i] = Math.max(0, p[i] - q[i]);
    sum += r[i];
  }
  if (sum <= 0) return p;
  for (let i = 0; i < r.length; i++) r[i] /= sum;
  return r;
}
