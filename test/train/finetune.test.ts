import { describe, expect, it } from 'vitest';
import { SPECIAL_TOKENS, Tokenizer } from '@/lib/a3/tokenizer';
import { prepareData } from '@/lib/train/finetune';

describe('prepareData: the validation split is never trained on (as the fine-tune cell says)', () => {
  const prose = 'It was a bright cold day in April, and the clocks were striking thirteen. '.repeat(10);
  const tokenizer = Tokenizer.train(prose, 10);
  const all = [...tokenizer.encode(prose), SPECIAL_TOKENS.eos];

  it.each([
    ['the last tenth holds a window', 16],
    ['the last tenth is shorter than a window', 256],
  ])('%s: train then validation, disjoint, covering the text once', (_what, maxLen) => {
    const { train, val, length } = prepareData(prose, tokenizer, maxLen);
    // Validation is at least one window of the text's end; training is everything before it.
    expect(val.length).toBeGreaterThanOrEqual(length);
    expect(train.length).toBeGreaterThanOrEqual(length);
    expect([...train, ...val]).toEqual(all);
  });

  it('holds out the last tenth when it is longer than a window', () => {
    const { val } = prepareData(prose, tokenizer, 16);
    expect(val.length).toBe(all.length - Math.floor(all.length * 0.9));
  });
});
