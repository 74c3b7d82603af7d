/** Assembling a DecodeTrace from a finished session. */
import { MASK_TOKEN } from '../mdlm';
import type { DecodeProblem, DecodeSession } from './session';
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
