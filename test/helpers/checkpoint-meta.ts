/** Checkpoint metadata as the worker lists it, built by the real checkpointRecord (for store and cell tests with a fake worker). */
import type { Curriculum } from '@/lib/train/curriculum';
import { checkpointRecord, type CheckpointMeta } from '@/lib/train/storage';

export interface MetaOptions {
  runId: string;
  plan: Curriculum;
  stageIndex: number;
  /** This stage's losses, one per step. */
  losses: number[];
  savedAt: number;
}

export function checkpointMeta(o: MetaOptions): CheckpointMeta {
  const history = o.losses.map((loss, i) => ({ step: i, loss })); // as the Trainer logs them: from 0
  const state = { stage: o.plan.stages[o.stageIndex].name, step: history.length, optimizer: { step: history.length, slots: [] }, history, evals: [], elapsedSec: 1 };
  const { files: _files, state: _state, run: _run, ...meta } = checkpointRecord({
    runId: o.runId,
    runStartedAt: o.savedAt - 1,
    run: { text: 'text', plan: o.plan, batch: 2, seed: 1 },
    stageIndex: o.stageIndex,
    files: {},
    state,
    earlierLosses: [],
    savedAt: o.savedAt,
  });
  return meta;
}
