/** Assembling a DecodeTrace from a finished session. */
import { MASK_TOKEN } from '../mdlm';
import type { DecodeProblem, DecodeSession } from './session';
import type { Sampled } from './sampling';
import type { DecodeStep, DecodeTrace } from './trace';

export type StepRecorder = (step: DecodeStep) => void;

export function finishTrace(strategy: string, problem: DecodeProblem, session: DecodeSession, steps: DecodeStep[], start: number): DecodeTrace {
  const given = Array.from(problem.given, Boolean);
  const totalMs = performance.now() - start;
  const generated = given.filter((g) => !g).length;
  return {
    strategy,
    initial: given.map((g, i) => (g ? problem.tokens[i] : MASK_TOKEN)),
    given,
    tokens: Array.from(session.tokens),
    groupIds: Array.from(session.gids),
    steps,
    nfe: steps.length,
    generated,
    totalMs,
    tokensPerSec: generated / (totalMs / 1000),
  };
}

type Pick = Sampled & { pos: number };

/** One forward's record: what it committed, and the candidates it saw at every predicted position. */
export function stepRecord(groupId: number, committed: Pick[], predicted: Pick[], cached: boolean, startedAt: number): DecodeStep {
  return {
    groupId,
    committed: committed.map(({ pos, token, prob, entropy }) => ({ pos, token, prob, entropy })),
    candidates: predicted.map(({ pos, top }) => ({ pos, top })),
    cached,
    ms: performance.now() - startedAt,
  };
}
