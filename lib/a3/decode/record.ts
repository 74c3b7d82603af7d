/** Assembling a DecodeTrace from a finished session, and one forward's DecodeStep. */
import type { DecodeSession } from './session';
import type { Candidate, CommittedToken, DecodeStep, DecodeTrace } from './trace';

export type StepRecorder = (step: DecodeStep) => void;

/**
 * The trace of a finished session. Every position must be committed except
 * possibly a trailing open run — a decode that stopped early (AR's stop
 * token) — which the trace leaves out.
 */
export function finishTrace(strategy: string, session: DecodeSession, steps: DecodeStep[], start: number, notes?: string[]): DecodeTrace {
  const totalMs = performance.now() - start;
  let n = session.length;
  while (n > 0 && !session.committed[n - 1]) n--;
  const open = session.committed.slice(0, n).indexOf(false);
  if (open >= 0) throw new Error(`decode finished with position ${open} still open`);
  const given = session.given.slice(0, n);
  const generated = given.filter((g) => !g).length;
  return {
    strategy,
    initial: session.initial.slice(0, n),
    given,
    tokens: Array.from(session.tokens.subarray(0, n)),
    groupIds: Array.from({ length: n }, (_, i) => session.groupId(i)),
    steps,
    nfe: steps.length,
    generated,
    totalMs,
    tokensPerSec: generated / (totalMs / 1000),
    ...(notes && notes.length > 0 ? { notes } : {}),
  };
}

/** One forward's record: what it committed, and the candidates it saw at every predicted position. */
export function stepRecord(groupId: number, committed: CommittedToken[], predicted: Candidate[], cached: boolean, startedAt: number): DecodeStep {
  return {
    groupId,
    committed: committed.map(({ pos, token, prob, entropy }) => ({ pos, token, prob, entropy })),
    candidates: predicted.map(({ pos, top }) => ({ pos, top })),
    cached,
    ms: performance.now() - startedAt,
  };
}
