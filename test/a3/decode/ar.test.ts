/** Base-model sampling from the causal content stream. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sampleAR } from '@/lib/a3/decode/ar';
import { randomModel, tiny, useCpu } from '../../helpers/tf';

describe('sampleAR', () => {
  beforeAll(useCpu);

  it('is deterministic per seed, slides past the context, and leaks nothing', () => {
    const model = randomModel({ ...tiny, maxLen: 8 }, 3, 0.5);
    const before = tf.memory().numTensors;
    const a = sampleAR(model, [1, 2, 3], 12, { temperature: 1 }, 7);
    const b = sampleAR(model, [1, 2, 3], 12, { temperature: 1 }, 7);
    expect(a).toEqual(b);
    expect(a.length).toBe(12);
    expect(a.every((t) => t >= 0 && t < tiny.vocabSize)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the cached sampler draws exactly what the uncached one draws, across the context sliding', () => {
    const model = randomModel({ ...tiny, maxLen: 8 }, 5, 0.5);
    const before = tf.memory().numTensors;
    for (const seed of [1, 2, 3]) {
      // 3 prompt tokens + 12 samples: the window fills at 8 and then slides (the cached path hands over to recomputation).
      expect(sampleAR(model, [1, 2, 3], 12, { temperature: 1 }, seed, undefined, true)).toEqual(sampleAR(model, [1, 2, 3], 12, { temperature: 1 }, seed, undefined, false));
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('greedy picks the argmax of the AR logits and bad input is refused', () => {
    const model = randomModel({ ...tiny, maxLen: 8 }, 4, 0.5);
    const first = sampleAR(model, [5, 6], 1, { greedy: true }, 0)[0];
    const greedyAgain = sampleAR(model, [5, 6], 1, { greedy: true }, 99)[0];
    expect(first).toBe(greedyAgain);
    expect(() => sampleAR(model, [], 3, {}, 0)).toThrow(/prompt is empty/);
    expect(() => sampleAR(model, [1], 3, { topP: 2 }, 0)).toThrow(/top-p/);
  });
});
