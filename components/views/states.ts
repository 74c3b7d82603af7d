/**
 * Token states from a decode trace: which step committed each position, and
 * the state of every position as seen at step t. Plain data in, plain data out;
 * `steps` is structurally a DecodeTrace's `steps` (extra fields are ignored).
 */
import type { TokenState } from './palette';

export interface CommitRecord {
  pos: number;
  prob?: number;
}

export interface StepRecord {
  committed: readonly CommitRecord[];
}

export interface CommitInfo {
  /** Step index that committed each position; -1 for given or never committed. */
  step: Int32Array;
  /** Probability of the committed token (NaN where unknown). */
  prob: Float64Array;
}

/** First step that committed each position (later re-commits of a position are ignored). */
export function commitInfo(length: number, steps: readonly StepRecord[]): CommitInfo {
  const step = new Int32Array(length).fill(-1);
  const prob = new Float64Array(length).fill(NaN);
  steps.forEach((s, t) => {
    for (const c of s.committed) {
      if (c.pos >= 0 && c.pos < length && step[c.pos] === -1) {
        step[c.pos] = t;
        prob[c.pos] = c.prob ?? NaN;
      }
    }
  });
  return { step, prob };
}

/** State of one position at step t (after step t's commits). */
export function stateAt(given: boolean, commitStep: number, t: number): TokenState {
  if (given) return 'given';
  if (commitStep < 0 || commitStep > t) return 'open';
  return commitStep === t ? 'current' : 'earlier';
}

/** States of all positions at step t. */
export function statesAt(length: number, given: ArrayLike<boolean>, steps: readonly StepRecord[], t: number): TokenState[] {
  const info = commitInfo(length, steps);
  return Array.from({ length }, (_, i) => stateAt(!!given[i], info.step[i], t));
}
