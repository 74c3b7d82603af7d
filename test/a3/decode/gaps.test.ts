import { describe, expect, it } from 'vitest';
import { DEFAULT_GAP_LENGTH, findGaps, gapMarker, hasGap } from '@/lib/a3/decode/gaps';
import { checkTemplate, parseTemplate } from '@/lib/a3/decode/infill';
import { Tokenizer } from '@/lib/a3/tokenizer';

describe('gap syntax (page and decoders read the same rule)', () => {
  it('finds default, sized and automatic gaps with their places', () => {
    const text = 'A [____] B [__5__] C [__?__] D [_3_]';
    expect(findGaps(text)).toEqual([
      { start: 2, end: 8, size: 'default' },
      { start: 11, end: 18, size: 5 },
      { start: 21, end: 28, size: 'auto' },
      { start: 31, end: 36, size: 3 },
    ]);
    expect(hasGap(text)).toBe(true);
    // Repeated calls are independent (a global regex would carry its position over).
    expect(hasGap(text)).toBe(true);
    for (const notAGap of ['plain text', '[]', '[ ]', '[5]', '[__x__]']) expect(hasGap(notAGap)).toBe(false);
  });

  it('what the "mark as gap" button writes is what the parser reads', () => {
    expect(findGaps(gapMarker())).toEqual([{ start: 0, end: 6, size: 'default' }]);
    expect(findGaps(gapMarker(7))[0].size).toBe(7);
    const tok = Tokenizer.train('the cat sat on the mat. '.repeat(20), 10);
    const p = parseTemplate(`the cat ${gapMarker()} the mat ${gapMarker(3)}`, tok);
    expect(p.spans.map((s) => s.length)).toEqual([DEFAULT_GAP_LENGTH, 3]);
  });

  it('checkTemplate: one rule for what runs, with the token count against the context', () => {
    const tok = Tokenizer.train('the cat sat on the mat. '.repeat(20), 10);
    const prompt = tok.encode('the cat').length;
    // Prompt plus gaps is what must fit; a text without a gap counts its continuation.
    expect(checkTemplate({ text: 'the cat [__5__]' }, tok, 64)).toEqual({ tokens: prompt + 5, problem: null });
    expect(checkTemplate({ text: 'the cat' }, tok, 64)).toEqual({ tokens: prompt + DEFAULT_GAP_LENGTH, problem: null });
    // Automatic gaps count at their longest candidate.
    expect(checkTemplate({ text: '[__?__]', autoLengths: [3, 20] }, tok, 64).tokens).toBe(20);
    // Gaps only: no context, decoded unconditionally.
    expect(checkTemplate({ text: '[____]' }, tok, 64)).toEqual({ tokens: DEFAULT_GAP_LENGTH, problem: null });
    expect(checkTemplate({ text: 'the cat [__0__]' }, tok, 64).problem).toBe('gap "[__0__]" asks for 0 tokens: a gap needs at least one');
    expect(checkTemplate({ text: 'the cat [__999__]' }, tok, 64).problem).toBe(`prompt plus gaps is ${prompt + 999} tokens, longer than the model's context of 64: shorten the text or the gaps`);
    expect(checkTemplate({ text: 'the cat' }, tok, prompt + DEFAULT_GAP_LENGTH - 1).problem).toMatch(/^the prompt plus its 8-token continuation is \d+ tokens, longer than the model's context/);
    expect(checkTemplate({ text: ' ' }, tok, 64).problem).toMatch(/the template is empty/);
    // Exactly at the context is fine.
    expect(checkTemplate({ text: '[__64__]' }, tok, 64).problem).toBeNull();
  });
});
