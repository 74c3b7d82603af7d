/**
 * Dynamic decoding (the paper's Algorithm 2): each step predicts every open
 * position from the committed ones and commits the best k by the model's
 * confidence (max probability), by lowest entropy, or at random. Tokens
 * committed at step t get group id t (given = 0): the sampled sequence then
 * has a well-defined factorization and the KV cache stays exact.
 */
import type { A3Model } from '../model';
import { makeRng } from '../random';
import { sampleToken, validateSampling, type SamplingOptions } from './sampling';
import { DecodeSession, type DecodeProblem } from './session';
import { finishTrace, stepRecord, type StepRecorder } from './record';
import type { DecodeTrace } from './trace';

export type CommitScore = 'confidence' | 'entropy' | 'random';

export interface DynamicOptions {
  perStep: number;
  score?: CommitScore;
  seed?: number;
  sampling?: SamplingOptions;
  cached?: boolean;
  topK?: number;
}

export async function decodeDynamic(model: A3Model, problem: DecodeProblem, o: DynamicOptions, onStep?: StepRecorder): Promise<DecodeTrace> {
  if (!Number.isInteger(o.perStep) || o.perStep < 1) throw new Error(`k (tokens per step) must be an integer >= 1, got ${o.perStep}`);
  const score = o.score ?? 'confidence';
  if (!['confidence', 'entropy', 'random'].includes(score)) throw new Error(`unknown commit score "${score}"`);
  validateSampling(o.sampling ?? {});
  const session = new DecodeSession(model, problem, o.cached ?? true);
  const start = performance.now();
  try {
    const rng = makeRng(o.seed ?? 0);
    const steps = [];
    for (let t = 1; session.openPositions().length > 0; t++) {
      const t0 = performance.now();
      const open = session.openPositions();
      const rows = await session.predict(open, t);
      const picks = open.map((pos, r) => ({ pos, ...sampleToken(rows[r], o.sampling ?? {}, rng, o.topK ?? 5), tie: rng() }));
      const key = (p: (typeof picks)[number]) => (score === 'confidence' ? p.top[0].prob : score === 'entropy' ? -p.entropy : p.tie);
      const chosen = [...picks].sort((a, b) => key(b) - key(a)).slice(0, o.perStep);
      for (const p of chosen) session.commit(p.pos, p.token, t);
      const step = stepRecord(t, chosen, picks, session.cached, t0);
      steps.push(step);
      onStep?.(step);
    }
    return finishTrace(`dynamic k=${o.perStep} (${score})`, problem, session, steps, start);
  } finally {
    session.dispose();
  }
}
