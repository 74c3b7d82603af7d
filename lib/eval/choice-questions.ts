/**
 * What every multiple-choice question set shares: the question shape the
 * scorers read, and where the correct option goes.
 *
 * The answer's position is balanced, not drawn independently per question: a
 * model (or a scorer bug) that prefers one slot would otherwise gain or lose
 * accuracy by the luck of the draw. Each block of NUM_OPTIONS consecutive
 * questions takes a seeded permutation of the positions, so every prefix of a
 * set (the `--quick` subsets are prefixes) has position counts that differ by
 * at most 1.
 */
import { makeRng, randomPermutation } from '../a3/random';

export const NUM_OPTIONS = 4;

/** The part of a question the scorers use; task-specific fields ride along. */
export interface ChoiceQuestion {
  id: string;
  /** Text the options continue; never contains the answer. */
  context: string;
  /** Continuations of the context, each scored as " " + option. */
  options: string[];
  /** Index of the correct option. */
  answer: number;
}

/** Answer index for questions 0..n-1 (see the file comment); deterministic in `seed`. */
export function balancedAnswerPositions(n: number, seed: number, options = NUM_OPTIONS): number[] {
  const rng = makeRng((Math.imul(seed, 2654435761) ^ 0x5bd1e995) >>> 0);
  const out: number[] = [];
  while (out.length < n) out.push(...randomPermutation(options, rng));
  return out.slice(0, n);
}

/** `distractors` with `answer` inserted at index `at`. */
export function withAnswerAt<T>(distractors: readonly T[], answer: T, at: number): T[] {
  if (at < 0 || at > distractors.length) throw new Error(`answer position ${at} out of range 0..${distractors.length}`);
  return [...distractors.slice(0, at), answer, ...distractors.slice(at)];
}

/** How often the answer sits at each position (for reports and tests). */
export function answerPositionCounts(questions: readonly ChoiceQuestion[], options = NUM_OPTIONS): number[] {
  const counts = new Array<number>(options).fill(0);
  for (const q of questions) counts[q.answer]++;
  return counts;
}
