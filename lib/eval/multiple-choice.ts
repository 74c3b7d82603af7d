/**
 * Story-ending choice: context = sentences 0-3 of a held-out window; options =
 * its true 5th sentence and the 5th sentences of 3 other windows (seeded,
 * never the same window, never a sentence of the context); the answer's
 * position is balanced over the set (choice-questions.ts).
 *
 * Scorers give log P(option | context) (natural log, total over the option's
 * tokens); the per-token score (total / option tokens) is the main figure
 * since options differ in length, and the total is reported beside it.
 *   - A3, left to right: context = group 0, option tokens singleton groups 1..n.
 *   - A3, one group: context = group 0, all option tokens group 1 (predicted
 *     independently given the context: one masked-diffusion-like step).
 *     Both exact, through `sequenceLogProb` with `given` = context.
 *   - Base model: its causal content stream (arForward), next-token log-probs
 *     of the option tokens after the context.
 *   - MDLM baseline: minus its ELBO of the option given the context (a lower
 *     bound on log P, not exact): masking ratios t_k = (k + 0.5)/K, k < K, each
 *     option position masked with probability t_k (at least one), weight 1/t_k,
 *     averaged over the K draws (seeded). Only option positions are masked.
 */
import * as tf from '@tensorflow/tfjs';
import { sequenceLogProb } from '../a3/likelihood';
import { maskedElbo } from '../a3/mdlm';
import { arForward, type A3Model } from '../a3/model';
import { makeRng, randomPermutation } from '../a3/random';
import { SPECIAL_TOKENS, type Tokenizer } from '../a3/tokenizer';
import { balancedAnswerPositions, NUM_OPTIONS, withAnswerAt, type ChoiceQuestion } from './choice-questions';
import type { StoryWindow } from './story-infill';

export { NUM_OPTIONS, type ChoiceQuestion } from './choice-questions';

export interface EndingQuestion extends ChoiceQuestion {
  /** The window the context and the answer come from. */
  windowId: string;
  /** Sentences 0-3, joined by spaces. */
  context: string;
  /** Window id of each option (the answer's is windowId). */
  optionSources: string[];
}

/** One question per window, in file order; deterministic in `seed`. */
export function makeEndingQuestions(windows: StoryWindow[], seed: number): EndingQuestion[] {
  if (windows.length < NUM_OPTIONS) throw new Error(`need at least ${NUM_OPTIONS} windows, got ${windows.length}`);
  const positions = balancedAnswerPositions(windows.length, seed);
  return windows.map((w, i) => {
    const rng = makeRng((Math.imul(seed, 1000003) + i) >>> 0);
    const contextSentences = w.sentences.slice(0, 4);
    const answer = w.sentences[4];
    const taken = new Set([answer, ...contextSentences]);
    const picks: number[] = [];
    // A seeded permutation of the other windows; take the first 3 admissible endings.
    for (const j of randomPermutation(windows.length, rng)) {
      if (picks.length === NUM_OPTIONS - 1) break;
      const ending = windows[j].sentences[4];
      if (j === i || windows[j].id === w.id || taken.has(ending)) continue;
      taken.add(ending);
      picks.push(j);
    }
    if (picks.length < NUM_OPTIONS - 1) throw new Error(`window ${w.id}: not enough distinct distractor endings`);
    const at = positions[i];
    const options = withAnswerAt(picks.map((j) => windows[j].sentences[4]), answer, at);
    const sources = withAnswerAt(picks.map((j) => windows[j].id), w.id, at);
    return { id: `ending-${String(i).padStart(3, '0')}`, windowId: w.id, context: contextSentences.join(' '), options, answer: at, optionSources: sources };
  });
}

/** Tokens of a question: the context (cut from the left so the longest option fits) and each option. */
export function questionTokens(q: ChoiceQuestion, tokenizer: Tokenizer, maxLen: number): { context: number[]; options: number[][] } {
  const options = q.options.map((o) => tokenizer.encode(` ${o}`));
  const longest = Math.max(...options.map((o) => o.length));
  if (longest >= maxLen) throw new Error(`question ${q.id}: an option of ${longest} tokens leaves no room for context (max ${maxLen})`);
  const context = tokenizer.encode(q.context).slice(-(maxLen - longest));
  return { context, options };
}

export type A3Grouping = 'left-to-right' | 'one-group';

/**
 * log P(option | context) under A3 for every option, batched with right
 * padding (pads are never attended to and never scored). Equals
 * `sequenceLogProb` on each unpadded sequence with `given` = context.
 */
export function a3OptionLogProbs(model: A3Model, context: number[], options: number[][], grouping: A3Grouping): number[] {
  const c = context.length;
  const T = c + Math.max(...options.map((o) => o.length));
  const B = options.length;
  const tokens = new Int32Array(B * T);
  const groupIds = new Int32Array(B * T);
  const pad = new Uint8Array(B * T);
  const given = new Uint8Array(B * T);
  options.forEach((opt, b) => {
    for (let i = 0; i < T; i++) {
      const at = b * T + i;
      if (i < c) {
        tokens[at] = context[i];
        given[at] = 1;
      } else if (i - c < opt.length) {
        tokens[at] = opt[i - c];
        groupIds[at] = grouping === 'left-to-right' ? i - c + 1 : 1;
      } else {
        tokens[at] = SPECIAL_TOKENS.pad;
        groupIds[at] = T + 1;
        pad[at] = 1;
      }
    }
  });
  return Array.from(sequenceLogProb(model, { batch: B, tokens, groupIds, pad }, given));
}

/** log P(option | context) from the causal content stream (the base model): Σ next-token log-probs. */
export function arOptionLogProbs(model: A3Model, context: number[], options: number[][]): number[] {
  const c = context.length;
  if (c === 0) throw new Error('AR scoring needs at least one context token');
  const T = c + Math.max(...options.map((o) => o.length));
  const B = options.length;
  const tokens = new Int32Array(B * T);
  const pad = new Uint8Array(B * T);
  const idx: number[] = [];
  const owner: number[] = [];
  const V = model.config.vocabSize;
  options.forEach((opt, b) => {
    for (let i = 0; i < T; i++) {
      const at = b * T + i;
      if (i < c) tokens[at] = context[i];
      else if (i - c < opt.length) {
        tokens[at] = opt[i - c];
        // Row at-1 predicts token `at`.
        idx.push((at - 1) * V + opt[i - c]);
        owner.push(b);
      } else pad[at] = 1;
    }
  });
  const values = tf.tidy(() => {
    const logits = arForward(model, { batch: B, tokens, pad }).logits;
    return tf.gather(tf.logSoftmax(logits).reshape([-1]), tf.tensor1d(idx, 'int32')).dataSync() as Float32Array;
  });
  const out = new Array<number>(B).fill(0);
  for (let k = 0; k < values.length; k++) out[owner[k]] += values[k];
  return out;
}

/** Minus the MDLM ELBO of each option given the context (a lower bound on log P); see the file comment. */
export function mdlmOptionElbos(model: A3Model, context: number[], options: number[][], ratios = 4, seed = 0): number[] {
  return options.map((opt, o) => {
    const open = opt.map((_, j) => context.length + j);
    return maskedElbo(model, [...context, ...opt], open, ratios, (Math.imul(seed, 7919) + o) >>> 0);
  });
}

/** Wilson score interval for a binomial proportion (z = 1.96: 95%). */
export function wilsonInterval(successes: number, n: number, z = 1.96): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 1 };
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

/** Total log-score of each option given the context; `index` is the question's place in the scored list (for seeds). */
export type OptionScorer = (context: number[], options: number[][], question: ChoiceQuestion, index: number) => number[];

export interface ChoiceAccuracy {
  n: number;
  correct: number;
  accuracy: number;
  ci95: { low: number; high: number };
}

export interface ChoiceResult {
  scorer: string;
  /** Main figure: pick the option with the highest mean log-prob per token. */
  perToken: ChoiceAccuracy;
  /** Pick by the total log-prob (favours short options). */
  total: ChoiceAccuracy;
  chance: number;
  questions: { id: string; answer: number; totals: number[]; perToken: number[]; pickPerToken: number; pickTotal: number }[];
  ms: number;
}

function argmax(xs: number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}

function accuracy(correct: number, n: number): ChoiceAccuracy {
  return { n, correct, accuracy: n > 0 ? correct / n : 0, ci95: wilsonInterval(correct, n) };
}

export function evaluateChoice(name: string, questions: ChoiceQuestion[], tokenizer: Tokenizer, maxLen: number, scorer: OptionScorer): ChoiceResult {
  const t0 = performance.now();
  const tokens = questions.map((q) => questionTokens(q, tokenizer, maxLen));
  const totals = tokens.map(({ context, options }, index) => scorer(context, options, questions[index], index));
  return choiceResult(name, questions, tokens, totals, performance.now() - t0);
}

/**
 * Accuracies from each question's option totals (totals[i] for questions[i], tokens[i] its questionTokens),
 * however they were computed: in this thread or by `npm run eval`'s workers. `ms`: the scoring's wall time.
 */
export function choiceResult(name: string, questions: ChoiceQuestion[], tokens: { options: number[][] }[], totals: number[][], ms: number): ChoiceResult {
  const rows = questions.map((q, index) => {
    const options = tokens[index].options;
    const perToken = totals[index].map((t, i) => t / options[i].length);
    return { id: q.id, answer: q.answer, totals: totals[index], perToken, pickPerToken: argmax(perToken), pickTotal: argmax(totals[index]) };
  });
  return {
    scorer: name,
    perToken: accuracy(rows.filter((r) => r.pickPerToken === r.answer).length, rows.length),
    total: accuracy(rows.filter((r) => r.pickTotal === r.answer).length, rows.length),
    chance: 1 / NUM_OPTIONS,
    questions: rows,
    ms,
  };
}
