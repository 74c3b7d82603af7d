/** Base-model sampling from the causal content stream, through a causal decode session. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeAR } from '@/lib/a3/decode/ar';
import { arForward } from '@/lib/a3/model';
import { makeRng } from '@/lib/a3/random';
import { sampleToken } from '@/lib/a3/decode/sampling';
import { SPECIAL_TOKENS } from '@/lib/a3/tokenizer';
import { randomModel, tiny, useCpu } from '../../helpers/tf';

const generated = async (...args: Parameters<typeof decodeAR>) => (await decodeAR(...args)).tokens.slice(args[1].length);

describe('decodeAR', () => {
  beforeAll(useCpu);

  it('is deterministic per seed, slides past the context, and leaks nothing', async () => {
    const model = randomModel({ ...tiny, maxLen: 8 }, 3, 0.5);
    const before = tf.memory().numTensors;
    const a = await generated(model, [1, 2, 3], { length: 12, sampling: { temperature: 1 }, seed: 7 });
    const b = await generated(model, [1, 2, 3], { length: 12, sampling: { temperature: 1 }, seed: 7 });
    expect(a).toEqual(b);
    expect(a.length).toBe(12);
    // Special tokens (ids 0-3) never appear in what it writes.
    expect(a.every((t) => t >= 4 && t < tiny.vocabSize)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the cached sampler draws exactly what the uncached one draws, across the context sliding', async () => {
    const model = randomModel({ ...tiny, maxLen: 8 }, 5, 0.5);
    const before = tf.memory().numTensors;
    for (const seed of [1, 2, 3]) {
      // 3 prompt tokens + 12 samples: the window fills at 8 and then slides (the cached path hands over to recomputation).
      const o = { length: 12, sampling: { temperature: 1 }, seed };
      expect(await generated(model, [1, 2, 3], { ...o, cached: true })).toEqual(await generated(model, [1, 2, 3], { ...o, cached: false }));
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('samples from the AR logits of the base model, step by step (specials allowed: the same draws)', async () => {
    const model = randomModel({ ...tiny, maxLen: 8 }, 6, 0.5);
    const sampling = { temperature: 0.9, topK: 6, allowSpecial: true };
    const out = await generated(model, [5, 6], { length: 5, sampling, seed: 2 });
    const rng = makeRng(2);
    const seq = [5, 6];
    for (let i = 0; i < 5; i++) {
      const logits = tf.tidy(() => arForward(model, { batch: 1, tokens: Int32Array.from(seq) }).logits.arraySync()) as number[][];
      seq.push(sampleToken(logits[seq.length - 1], sampling, rng).token);
    }
    expect(out).toEqual(seq.slice(2));
  });

  it('returns a trace: one step per token, group id = position, stops at the stop token', async () => {
    const model = randomModel({ ...tiny, maxLen: 16 }, 4, 0.5);
    const trace = await decodeAR(model, [5, 6], { length: 6, sampling: { greedy: true } });
    expect(trace.nfe).toBe(6);
    expect(trace.groupIds).toEqual(trace.tokens.map((_, i) => i));
    expect(trace.steps.map((s) => s.committed[0].pos)).toEqual([2, 3, 4, 5, 6, 7]);
    // Greedy writes `first` again at position 2: as the stop token it ends the decode there.
    const first = trace.tokens[2];
    const stopped = await decodeAR(model, [5, 6], { length: 6, sampling: { greedy: true }, stopToken: first });
    expect(stopped.tokens).toEqual([5, 6, first]);
    expect(stopped.generated).toBe(1);
    const eos = await decodeAR(model, [5, 6], { length: 6, sampling: { greedy: true }, stopToken: SPECIAL_TOKENS.eos });
    expect(eos.tokens.slice(2).every((t) => t >= 4 || t === SPECIAL_TOKENS.eos)).toBe(true);
  });

  it('greedy picks the same token for any seed, and bad input is refused', async () => {
    const model = randomModel({ ...tiny, maxLen: 8 }, 4, 0.5);
    const first = (await generated(model, [5, 6], { length: 1, sampling: { greedy: true }, seed: 0 }))[0];
    const greedyAgain = (await generated(model, [5, 6], { length: 1, sampling: { greedy: true }, seed: 99 }))[0];
    expect(first).toBe(greedyAgain);
    await expect(decodeAR(model, [], { length: 3 })).rejects.toThrow(/prompt is empty/);
    await expect(decodeAR(model, [1], { length: 3, sampling: { topP: 2 } })).rejects.toThrow(/top-p/);
  });
});
