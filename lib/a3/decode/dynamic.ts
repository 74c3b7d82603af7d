/**
 * Dynamic decoding (the paper's Algorithm 2): each step predicts every open
 * position from the committed ones and commits the best k by the model's
 * confidence (max probability), by lowest entropy, or at random. Tokens
 * committed at step t get group id t (given = 0): the sampled sequence then
 * has a well-defined factorization and the KV cache stays exact.
 *
 * The ranking runs on the device (summaries.ts): a step reads back each open
 * row's entropy and top-k plus the k chosen rows' logits — one asynchronous
 * read — and samples only those k rows on the host.
 */
import type { A3Model } from '../model';
import { makeRng } from '../random';
import { sampleToken, validateSampling, type SamplingOptions } from './sampling';
import { DecodeSession, type DecodeProblem } from './session';
import { finishTrace, stepRecord, type StepRecorder } from './record';
import { rankRows, type RankBy } from './summaries';
import type { DecodeStep, DecodeTrace } from './trace';

export type CommitScore = 'confidence' | 'entropy' | 'random';

export interface DynamicOptions {
  perStep: number;
  score?: CommitScore;
  seed?: number;
  sampling?: SamplingOptions;
  cached?: boolean;
  /** Candidates kept per predicted position in the trace. */
  topK?: number;
  /**
   * Only the first `window` open positions (left to right) are predicted and
   * ranked each step: the semi-autoregressive variant (LLaDA's blocks, sliding).
   * Fewer rows per forward, so faster; not the paper's Algorithm 2, which is
   * the default (every open position).
   */
  window?: number;
}

function checkOptions(o: DynamicOptions): CommitScore {
  if (!Number.isInteger(o.perStep) || o.perStep < 1) throw new Error(`k (tokens per step) must be an integer >= 1, got ${o.perStep}`);
  const score = o.score ?? 'confidence';
  if (!['confidence', 'entropy', 'random'].includes(score)) throw new Error(`unknown commit score "${score}"`);
  if (o.window !== undefined && !(Number.isInteger(o.window) && o.window >= o.perStep)) throw new Error(`window must be an integer >= k (${o.perStep}), got ${o.window}`);
  validateSampling(o.sampling ?? {});
  return score;
}

export async function decodeDynamic(model: A3Model, problem: DecodeProblem, o: DynamicOptions, onStep?: StepRecorder): Promise<DecodeTrace> {
  const score = checkOptions(o);
  const sampling = o.sampling ?? {};
  const session = new DecodeSession(model, problem, o.cached ?? true, { allowSpecial: sampling.allowSpecial });
  const start = performance.now();
  try {
    const rng = makeRng(o.seed ?? 0);
    const topK = Math.min(o.topK ?? 5, model.config.vocabSize);
    const steps: DecodeStep[] = [];
    for (let t = 1; ; t++) {
      const t0 = performance.now();
      const open = session.openPositions().slice(0, o.window);
      if (open.length === 0) break;
      const by: RankBy = score === 'confidence' ? 'max-prob' : score === 'entropy' ? 'neg-entropy' : Float32Array.from(open, () => rng());
      const logits = session.forwardLogits([], open, open.map(() => t));
      const ranked = await rankRows(logits, by, Math.min(o.perStep, open.length), topK).finally(() => logits.dispose());
      const chosen = ranked.chosen.map(({ row, logits: rowLogits }) => ({ pos: open[row], ...sampleToken(rowLogits, sampling, rng, topK) }));
      for (const c of chosen) session.commit(c.pos, c.token, t);
      const step = stepRecord(t, chosen, ranked.rows.map((r, i) => ({ pos: open[i], top: r.top })), session.cached, t0);
      steps.push(step);
      onStep?.(step);
    }
    const label = `dynamic k=${o.perStep} (${score})${o.window !== undefined ? ` window=${o.window}` : ''}`;
    return finishTrace(label, session, steps, start);
  } finally {
    session.dispose();
  }
}
