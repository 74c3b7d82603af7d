/**
 * What `npm run adapt` runs (scripts/lib/adapt-plan.ts): every variant is a
 * valid curriculum, a token budget is met exactly, a longer context keeps the
 * weights and the outputs at the old positions, and the per-stage figures
 * carry the keys the report and the comparisons read.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { randomModel, tiny, useCpu, maxAbsDiff } from '../helpers/tf';
import { disposeModel, forward, namedParams } from '@/lib/a3/model';
import { leftToRight } from '@/lib/a3/groups';
import { textLengthLimit } from '@/lib/a3/config';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultOut, evalWindowSets, initRecord, parseVariant, stageMetrics, variantCurriculum, VARIANTS, withContext } from '@/scripts/lib/adapt-plan';

beforeAll(async () => {
  await useCpu();
});

describe('variants', () => {
  const o = { stepsPerStage: 30, lr: 1e-3, infillP: 0.5, arWarmup: 0, tokensPerStep: 16 * 128 };

  it('every variant is a valid curriculum; unknown ones are refused by name', () => {
    for (const v of VARIANTS) expect(variantCurriculum(v, o).stages.length).toBeGreaterThan(0);
    expect(variantCurriculum('a3-infill', o).stages.reduce((n, s) => n + s.steps, 0)).toBe(150); // the a3 budget
    expect(variantCurriculum('joint', { ...o, arWarmup: 10 }).stages[0]).toMatchObject({ objective: 'ar', steps: 10 });
    expect(() => parseVariant('diffusion')).toThrow(/unknown variant diffusion: use a3, ablation, mdlm, a3-infill, a3-then-infill, joint/);
    expect(parseVariant(undefined)).toBe('a3');
    expect(defaultOut('a3')).toBe('public/weights/a3');
    expect(defaultOut('joint')).toBe('checkpoints/adapt-joint/final');
  });

  it('--max-tokens: every variant sees the same number of tokens', () => {
    const maxTokens = 16 * 128 * 400;
    for (const v of VARIANTS) {
      const c = variantCurriculum(v, { ...o, maxTokens });
      expect(c.stages.reduce((n, s) => n + s.steps, 0) * o.tokensPerStep, v).toBe(maxTokens);
    }
  });
});

describe('withContext', () => {
  it('keeps every weight, gives the same outputs at the old positions, and accepts the new ones', () => {
    const small = randomModel({ ...tiny, maxLen: 16 }, 3, 0.3);
    const before = namedParams(small).map((p) => Array.from(p.variable.dataSync()));
    const tokens = Int32Array.from({ length: 16 }, (_, i) => (i * 5) % 16);
    const ref = tf.tidy(() => forward(small, { batch: 1, tokens, groupIds: leftToRight(16) }).logits.dataSync() as Float32Array);
    const long = withContext(small, 40);
    expect(long.config.maxLen).toBe(40);
    expect(long.rope.cos.shape[0]).toBe(40);
    namedParams(long).forEach((p, i) => expect(Array.from(p.variable.dataSync())).toEqual(before[i]));
    const again = tf.tidy(() => forward(long, { batch: 1, tokens, groupIds: leftToRight(16) }).logits.dataSync() as Float32Array);
    expect(maxAbsDiff(again, ref)).toBeLessThan(1e-6);
    const forty = Int32Array.from({ length: 40 }, (_, i) => i % 16);
    expect(() => tf.tidy(() => forward(long, { batch: 1, tokens: forty, groupIds: leftToRight(40) }).logits)).not.toThrow();
    disposeModel(long);
  });
});

describe('stageMetrics', () => {
  it('the shortest windows give the plain keys, longer ones "@<len>"; span infilling, AR and gap figures are there', async () => {
    const m = randomModel({ ...tiny, maxLen: 32 }, 5, 0.3);
    const val = Int32Array.from({ length: 400 }, (_, i) => 4 + ((i * 7) % 12));
    const windowsByLength = new Map([...evalWindowSets(val, 2, 16), ...evalWindowSets(val, 2, 32)]);
    const problems = [{ id: 'p', prefix: [4, 5, 6], gap: [7, 8], suffix: [9] }];
    const out = await stageMetrics(m, { variant: 'a3-infill', windowsByLength, gapProblems: problems });
    expect(Object.keys(out).sort()).toEqual(
      [
        'left-to-right s=1', 'contiguous s=4', 'random s=4', 'random s=8', 'span-infill s=1', 'AR (content stream)',
        'left-to-right s=1 @32', 'contiguous s=4 @32', 'random s=4 @32', 'random s=8 @32', 'span-infill s=1 @32', 'AR (content stream) @32',
        'gap: A3 both sides s=1', 'gap: A3 prefix only', 'gap: AR (content stream) prefix only',
      ].sort(),
    );
    for (const v of Object.values(out)) expect(v).toBeGreaterThan(0);
    expect(Object.keys(await stageMetrics(m, { variant: 'mdlm', windowsByLength, gapProblems: problems }))).toEqual(['diffusion bound', 'diffusion bound @32']);
    expect([...evalWindowSets(val, 2, 32).keys()]).toEqual([32]); // below 128, the whole context is the plain key
    disposeModel(m);
  });
});

describe('page limits come from the model config', () => {
  it('a text box accepts 4 characters per token of context', () => {
    expect(textLengthLimit({ maxLen: 128 })).toBe(512);
    expect(textLengthLimit({ maxLen: 256 })).toBe(1024);
  });
});

describe('initRecord (what a shipped training.json says about the runs before it)', () => {
  const folder = (training: Record<string, unknown>) => {
    const dir = mkdtempSync(join(tmpdir(), 'init-record-'));
    writeFileSync(join(dir, 'training.json'), JSON.stringify(training));
    return dir;
  };

  it('a start from the base model: its record is kept, adaptation tokens are this run only', () => {
    const dir = folder({ tokensSeen: 5e6, guard: { loss: 1 } });
    expect(initRecord(dir, 1000)).toEqual({ initTraining: { tokensSeen: 5e6 }, adaptTokensInAll: 1000 });
  });

  it('a start from an adapted model (a rehearsal) adds the tokens of every adaptation before it', () => {
    const curriculum = folder({ variant: 'a3', totalTokens: 12_000 });
    const first = initRecord(curriculum, 2_000);
    expect(first.adaptTokensInAll).toBe(14_000);
    const rehearsal = folder({ variant: 'a3-rehearsal', totalTokens: 2_000, adaptTokensInAll: first.adaptTokensInAll });
    expect(initRecord(rehearsal, 3_000).adaptTokensInAll).toBe(17_000);
  });

  it('a fresh init or a folder without a record', () => {
    expect(initRecord(null, 7)).toEqual({ initTraining: null, adaptTokensInAll: 7 });
    expect(initRecord(mkdtempSync(join(tmpdir(), 'init-record-')), 7)).toEqual({ initTraining: null, adaptTokensInAll: 7 });
  });
});
