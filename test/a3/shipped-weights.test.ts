/**
 * The shipped weights reload and reproduce the loss their training run
 * recorded on a fixed validation slice (a guard against mismatched files).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeModel } from '@/lib/a3/model';
import { loadModel } from '@/lib/a3/weights';
import { fileSource } from '@/lib/a3/weights-node';
import { guardLoss, type GuardSlice } from '@/lib/train/evaluate';
import { useCpu } from '../helpers/tf';

const WEIGHTS = join(import.meta.dirname, '..', '..', 'public', 'weights');
const shipped = ['base', 'a3', 'mdlm'].filter((name) => existsSync(join(WEIGHTS, name, 'training.json')));

describe('shipped weights', () => {
  beforeAll(useCpu);

  it('include the base model and a tokenizer of the same vocabulary', () => {
    expect(shipped).toContain('base');
    const tokenizer = JSON.parse(readFileSync(join(WEIGHTS, 'tokenizer.json'), 'utf8'));
    const config = JSON.parse(readFileSync(join(WEIGHTS, 'base', 'config.json'), 'utf8'));
    expect(config.vocabSize).toBe(tokenizer.vocabSize);
  });

  it.each(shipped)('%s reproduces its recorded guard loss', async (name) => {
    const training = JSON.parse(readFileSync(join(WEIGHTS, name, 'training.json'), 'utf8')) as { guard: GuardSlice };
    expect(training.guard, `${name}/training.json has no guard slice: run scripts/guard-slice.ts`).toBeDefined();
    const { model } = await loadModel(fileSource(join(WEIGHTS, name)));
    const { kind, tokens, length, loss } = training.guard;
    const recomputed = await guardLoss(model, kind, Int32Array.from(tokens), length);
    disposeModel(model);
    expect(Math.abs(recomputed - loss)).toBeLessThan(2e-3);
  }, 60_000);
});
