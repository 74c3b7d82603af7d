import { describe, expect, it } from 'vitest';
import { Tokenizer } from '@/lib/a3/tokenizer';
import { prepareData } from '@/lib/train/finetune';
import { MIN_TEXT_CHARS, textProblem } from '@/lib/train/text-checks';

describe('the one rule for a text to fine-tune on (page and worker)', () => {
  const prose = 'It was a bright cold day in April, and the clocks were striking thirteen. '.repeat(10);

  it('accepts prose and names what is wrong with the rest', () => {
    expect(textProblem(prose)).toBeNull();
    expect(textProblem(' \n\t ', 'notes.txt')).toMatch(/^notes\.txt has no text in it \(it is empty/);
    expect(textProblem('x'.repeat(MIN_TEXT_CHARS - 1))).toMatch(/very short \(399 characters\)/);
    expect(textProblem(`${prose}${'\u0001\u0002\ufffd'.repeat(100)}`)).toMatch(/binary file, not UTF-8 text/);
    expect(textProblem('a'.repeat(5 * 1024 * 1024 + 1))).toMatch(/over the 5 MB limit/);
  });

  it('the worker refuses with the same words the page shows', () => {
    const tokenizer = Tokenizer.train(prose, 10);
    expect(() => prepareData('   ', tokenizer, 32)).toThrow(textProblem('   ') ?? 'unreachable');
    expect(() => prepareData('short', tokenizer, 32)).toThrow(/very short/);
    expect(prepareData(prose, tokenizer, 32).length).toBeGreaterThan(0);
  });
});
