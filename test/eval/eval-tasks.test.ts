import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useCpu, tiny, randomModel, maxAbsDiff } from '../helpers/tf';
import { arForward, type A3Model } from '@/lib/a3/model';
import { sequenceLogProb } from '@/lib/a3/likelihood';
import { Tokenizer } from '@/lib/a3/tokenizer';
import { a3OptionLogProbs, arOptionLogProbs, makeEndingQuestions, mdlmOptionElbos, questionTokens, wilsonInterval } from '@/lib/eval/multiple-choice';
import { answerPositionCounts } from '@/lib/eval/choice-questions';
import { infillSetup, infillStory, INFILL_DECODERS, type StoryWindow } from '@/lib/eval/story-infill';

const WORDS = ['the', 'cat', 'dog', 'sat', 'ran', 'on', 'a', 'mat', 'hill', 'big', 'red', 'saw', 'bird', 'sun', 'home'];

function sentence(seed: number, n: number): string {
  const w = Array.from({ length: n }, (_, i) => WORDS[(seed * 7 + i * 3 + (seed >> 2)) % WORDS.length]);
  return w.join(' ').replace(/^./, (c) => c.toUpperCase()) + '.';
}

function windowsFor(count: number, length = 3): StoryWindow[] {
  return Array.from({ length: count }, (_, k) => {
    const sentences = Array.from({ length: 5 }, (_, j) => sentence(k * 5 + j, length + ((k + j) % 3)));
    return { id: `src.txt:${String(k).padStart(3, '0')}`, source: 'src.txt', sentences, text: sentences.join(' ') };
  });
}

let tokenizer: Tokenizer;
let model: A3Model;

beforeAll(async () => {
  await useCpu();
  tokenizer = Tokenizer.train(windowsFor(20).map((w) => w.text).join(' '), 30);
  model = randomModel({ ...tiny, vocabSize: tokenizer.vocabSize, maxLen: 64 }, 3);
});

describe('story-ending questions', () => {
  it('are deterministic in the seed and never leak the answer', () => {
    const windows = windowsFor(12);
    const a = makeEndingQuestions(windows, 5);
    const b = makeEndingQuestions(windows, 5);
    expect(a).toEqual(b);
    expect(makeEndingQuestions(windows, 6)).not.toEqual(a);
    a.forEach((q, i) => {
      const w = windows[i];
      expect(q.options).toHaveLength(4);
      expect(q.options[q.answer]).toBe(w.sentences[4]);
      expect(q.optionSources[q.answer]).toBe(w.id);
      expect(q.context).toBe(w.sentences.slice(0, 4).join(' '));
      expect(q.context.includes(w.sentences[4])).toBe(false);
      for (const o of q.options) expect(w.sentences.slice(0, 4)).not.toContain(o);
      expect(new Set(q.options).size).toBe(4);
      expect(q.optionSources.filter((s) => s === w.id)).toHaveLength(1);
    });
  });

  it('balance the answer position over every prefix (counts differ by at most 1)', () => {
    for (const count of [4, 9, 13]) {
      const qs = makeEndingQuestions(windowsFor(count), 11);
      for (let n = 1; n <= qs.length; n++) {
        const counts = answerPositionCounts(qs.slice(0, n));
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('Wilson interval', () => {
    // 8/10, z = 1.96: centre (0.8 + 0.19208)/1.38416 = 0.71675; half 1.96*sqrt(0.016 + 0.0009604)/1.38416 = 0.18442
    const ci = wilsonInterval(8, 10);
    expect(ci.low).toBeCloseTo(0.4902, 3);
    expect(ci.high).toBeCloseTo(0.9433, 3);
  });
});

describe('option scoring', () => {
  const question = () => {
    const q = makeEndingQuestions(windowsFor(8), 1)[2];
    return questionTokens(q, tokenizer, 64);
  };

  it('A3 batched scores equal sequenceLogProb on each unpadded sequence', () => {
    const { context, options } = question();
    expect(new Set(options.map((o) => o.length)).size).toBeGreaterThan(1); // padding is exercised
    for (const grouping of ['left-to-right', 'one-group'] as const) {
      const batched = a3OptionLogProbs(model, context, options, grouping);
      const direct = options.map((opt) => {
        const tokens = Int32Array.from([...context, ...opt]);
        const groupIds = Int32Array.from([...context.map(() => 0), ...opt.map((_, j) => (grouping === 'left-to-right' ? j + 1 : 1))]);
        const given = [...context.map(() => true), ...opt.map(() => false)];
        return sequenceLogProb(model, { batch: 1, tokens, groupIds }, given)[0];
      });
      expect(maxAbsDiff(batched, direct)).toBeLessThan(1e-3);
    }
  });

  it('AR scores equal the next-token log-probs of the content stream', () => {
    const { context, options } = question();
    const batched = arOptionLogProbs(model, context, options);
    const direct = options.map((opt) => {
      const tokens = [...context, ...opt];
      const lp = tf.tidy(() => tf.logSoftmax(arForward(model, { batch: 1, tokens: Int32Array.from(tokens) }).logits).arraySync() as number[][]);
      let s = 0;
      for (let i = context.length; i < tokens.length; i++) s += lp[i - 1][tokens[i]];
      return s;
    });
    expect(maxAbsDiff(batched, direct)).toBeLessThan(1e-3);
  });

  it('MDLM ELBO is finite, negative and deterministic', () => {
    const { context, options } = question();
    const a = mdlmOptionElbos(model, context, options, 4, 9);
    expect(a.every((x) => Number.isFinite(x) && x < 0)).toBe(true);
    expect(mdlmOptionElbos(model, context, options, 4, 9)).toEqual(a);
  });
});

describe('story infilling', () => {
  it('fills exactly the true sentence length with every decoder', async () => {
    const w = windowsFor(3)[1];
    const setup = infillSetup(w, tokenizer);
    expect(setup.gapLength).toBe(tokenizer.encode(` ${w.sentences[2]}`).length);
    expect(setup.problem.tokens.length).toBe(setup.prefix.length + setup.gapLength + setup.suffix.length);
    const models = { base: model, a3: model, mdlm: model };
    for (const d of INFILL_DECODERS) {
      const r = await infillStory(w, tokenizer, d, models, 0);
      expect(r.gapTokens).toHaveLength(setup.gapLength);
      expect(r.reference).toBe(w.sentences[2]);
      expect(r.rouge.rouge1.f1).toBeGreaterThanOrEqual(0);
      // greedy: the same result twice
      expect((await infillStory(w, tokenizer, d, models, 0)).gapTokens).toEqual(r.gapTokens);
    }
    await expect(infillStory(w, tokenizer, INFILL_DECODERS[1], { base: model }, 0)).rejects.toThrow(/a3/);
  });
});
