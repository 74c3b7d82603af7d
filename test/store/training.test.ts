import { describe, expect, it } from 'vitest';
import { beginRun, initialTraining, reduceTrainEvent, stageOffsets, type TrainingState } from '@/lib/store';
import { defaultCurriculum, type Curriculum } from '@/lib/train/curriculum';
import type { TrainEvent } from '@/lib/train/trainer';
import { checkpointMeta } from '../helpers/checkpoint-meta';

const plan = { ...defaultCurriculum(3), stages: defaultCurriculum(3).stages.slice(0, 2) };
const [s1, s2] = plan.stages.map((s) => s.name);
/** Events of stage `index` of `p` (name from the plan). */
const at = (index: number, p: Curriculum = plan) => ({ stage: p.stages[index].name, stageIndex: index });
const step = (index: number, n: number, loss: number, p: Curriculum = plan): TrainEvent => ({
  type: 'step', ...at(index, p), step: n, steps: 3, loss, lr: 1e-3, gradNorm: 1, tokensPerSec: 100, etaSec: (3 - n) * 2, elapsedSec: n * 2,
});
const fold = (t: TrainingState, events: TrainEvent[]) => events.reduce(reduceTrainEvent, t);

describe('training reduction', () => {
  it('puts stages on one global step axis with boundaries', () => {
    expect(stageOffsets(plan)).toEqual([0, 3]);
    const t = fold(beginRun(initialTraining(), plan), [
      step(0, 1, 5), step(0, 2, 4), step(0, 3, 3.5),
      { type: 'eval', ...at(0), step: 3, metrics: { valLoss: 3.9 } },
      { type: 'checkpoint', ...at(0), step: 3 },
      { type: 'done', ...at(0), step: 3, reason: 'finished' },
      step(1, 1, 3.4), step(1, 2, 3.2),
      { type: 'skip', ...at(1), step: 2, reason: 'non-finite loss' },
    ]);
    expect(t.train).toEqual([
      { step: 1, loss: 5 }, { step: 2, loss: 4 }, { step: 3, loss: 3.5 }, { step: 4, loss: 3.4 }, { step: 5, loss: 3.2 },
    ]);
    expect(t.val).toEqual([{ step: 3, loss: 3.9 }]);
    expect(t.stages).toEqual([{ index: 0, name: s1, startStep: 0 }, { index: 1, name: s2, startStep: 3 }]);
    expect(t.step).toBe(5);
    expect(t.totalSteps).toBe(6);
    expect(t.stage).toBe(s2);
    expect(t.stageIndex).toBe(1);
    expect(t.tokensPerSec).toBe(100);
    expect(t.workers).toBe(1); // a step event without `workers` came from this thread
    expect(reduceTrainEvent(t, { ...step(1, 3, 3), workers: 3 } as TrainEvent).workers).toBe(3);
    expect(t.etaSec).toBe(2); // 1 step left in the last stage at 2 s/step
    expect(t.skipped).toHaveLength(1);
    expect(t.ended).toBeNull();
  });

  it('two stages with the same name keep their own curves and boundaries (add → remove → add in the plan editor)', () => {
    const same: Curriculum = { ...plan, stages: [plan.stages[0], { ...plan.stages[1], name: plan.stages[0].name }] };
    const t = fold(beginRun(initialTraining(), same), [step(0, 1, 5, same), step(0, 3, 4, same), step(1, 1, 3, same), step(1, 3, 2, same)]);
    // The second stage's steps come after the first's instead of replacing them.
    expect(t.train).toEqual([{ step: 1, loss: 5 }, { step: 3, loss: 4 }, { step: 4, loss: 3 }, { step: 6, loss: 2 }]);
    expect(t.stages).toEqual([{ index: 0, name: s1, startStep: 0 }, { index: 1, name: s1, startStep: 3 }]);
    expect(t.stageIndex).toBe(1);
  });

  it('ETA includes later stages; done records the reason', () => {
    let t = fold(beginRun(initialTraining(), plan), [step(0, 1, 5)]);
    expect(t.etaSec).toBe(4 + 3 * 2);
    t = reduceTrainEvent(t, { type: 'done', ...at(0), step: 1, reason: 'stopped' });
    expect(t.ended).toBe('stopped');
    expect(t.etaSec).toBeNull();
  });

  it('a resumed stage replaces points from the older attempt; a new run keeps checkpoints only', () => {
    let t = fold(beginRun(initialTraining(), plan), [step(0, 1, 5), step(0, 2, 4), step(0, 3, 3)]);
    t = fold(t, [step(0, 2, 4.1), step(0, 3, 3.1)]);
    expect(t.train.map((p) => p.loss)).toEqual([5, 4.1, 3.1]);
    t = { ...t, checkpoints: [checkpointMeta({ runId: 'run-a', plan, stageIndex: 0, losses: [5, 4, 3], savedAt: 1 })] };
    const fresh = beginRun(t, plan);
    expect(fresh.train).toEqual([]);
    expect(fresh.checkpoints).toHaveLength(1);
  });

  it('ignores non-finite eval metrics and input is never mutated', () => {
    const t0 = beginRun(initialTraining(), plan);
    const t1 = reduceTrainEvent(t0, { type: 'eval', ...at(0), step: 1, metrics: { valLoss: NaN } });
    expect(t1).toBe(t0);
    const t2 = reduceTrainEvent(t0, step(0, 1, 2));
    expect(t0.train).toEqual([]);
    expect(t2.train).toHaveLength(1);
  });
});
