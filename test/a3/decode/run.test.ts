/**
 * runDecodeRequest (decode/run.ts): every registry entry reaches its decoder with its knobs; a bad knob is
 * refused with the registry's words before any tensor is made.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runDecodeRequest } from '@/lib/a3/decode/run';
import { DEFAULT_GAP_LENGTH } from '@/lib/a3/decode/gaps';
import { checkTemplate } from '@/lib/a3/decode/infill';
import { STRATEGY_IDS } from '@/lib/a3/decode/strategies';
import { Tokenizer } from '@/lib/a3/tokenizer';
import { randomModel, tiny, useCpu } from '../../helpers/tf';

describe('runDecodeRequest', () => {
  beforeAll(useCpu);
  const tok = Tokenizer.train('the cat sat on the mat. the dog ran to the cat. '.repeat(8), 12);
  const model = () => randomModel({ ...tiny, vocabSize: tok.vocabSize, maxLen: 48 }, 3, 0.3);

  it('runs every strategy of the registry with its default knobs; each fills exactly the open positions', async () => {
    const m = model();
    const before = tf.memory().numTensors;
    for (const strategy of STRATEGY_IDS) {
      const r = await runDecodeRequest(m, tok, { text: 'the cat [__4__] the mat', strategy, seed: 1 });
      expect(r.trace.given.filter((g) => !g).length).toBe(4);
      expect(r.trace.strategy.startsWith(strategy === 'groupwise' ? 'group' : strategy)).toBe(true);
      expect(r.labels.length).toBe(r.trace.tokens.length);
    }
    // The knobs arrive: group-wise s = 4 fills the gap in one forward, dynamic k = 1 in four.
    expect((await runDecodeRequest(m, tok, { text: 'the cat [__4__] the mat', strategy: 'groupwise', groupSize: 4 })).trace.nfe).toBe(1);
    expect((await runDecodeRequest(m, tok, { text: 'the cat [__4__] the mat', strategy: 'dynamic', perStep: 1 })).trace.nfe).toBe(4);
    // No gap: the text is continued by the default gap length.
    expect((await runDecodeRequest(m, tok, { text: 'the cat', strategy: 'dynamic', perStep: 8 })).spans).toEqual([{ start: tok.encode('the cat').length, length: DEFAULT_GAP_LENGTH }]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a knob outside its range, naming the strategy and the knob, before any tensor is made', async () => {
    const m = model();
    const before = tf.memory().numTensors;
    await expect(runDecodeRequest(m, tok, { text: 'a [____]', strategy: 'groupwise', groupSize: 0 })).rejects.toThrow('A3 group-wise: group size s must be an integer from 1 to 64, got 0');
    await expect(runDecodeRequest(m, tok, { text: 'a [____]', strategy: 'dynamic', score: 'loudest' as 'entropy' })).rejects.toThrow(/A3 dynamic: pick by must be one of confidence, entropy, random/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('decodes a template of gaps only unconditionally (an empty group 0), with every strategy', async () => {
    const m = model();
    const before = tf.memory().numTensors;
    for (const strategy of STRATEGY_IDS) {
      const r = await runDecodeRequest(m, tok, { text: '[____]', strategy, seed: 2 });
      expect(r.trace.given.some((g) => g)).toBe(false);
      expect(r.trace.generated).toBe(DEFAULT_GAP_LENGTH);
    }
    // An automatic length with nothing given: every candidate is decoded and scored without context.
    const auto = await runDecodeRequest(m, tok, { text: '[__?__]', strategy: 'groupwise', autoLengths: [2, 3], seed: 2 });
    expect([2, 3]).toContain(auto.trace.generated);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("refuses exactly what checkTemplate refuses, in its words, before any tensor is made (the page shows the same message)", async () => {
    const m = model();
    const before = tf.memory().numTensors;
    const long = 'the cat sat on the mat. '.repeat(10);
    for (const text of ['the cat [__0__] the mat', 'the cat [__999__]', long, '   ', 'the [__?__] mat [__40__]']) {
      const { problem } = checkTemplate({ text }, tok, m.config.maxLen);
      expect(problem).not.toBeNull();
      await expect(runDecodeRequest(m, tok, { text, strategy: 'groupwise' })).rejects.toThrow(problem ?? '');
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
