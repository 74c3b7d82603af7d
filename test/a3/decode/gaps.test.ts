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

  it('checkTemplate: one rule for what runs, with the token count against the context and the part the model reads', () => {
    const tok = Tokenizer.train('the cat sat on the mat. '.repeat(20), 10);
    const prompt = tok.encode('the cat').length;
    const whole = (tokens: number) => ({ tokens, problem: null, window: { total: tokens, before: 0, after: 0 } });
    // Prompt plus gaps is what is counted; a text without a gap counts its continuation.
    expect(checkTemplate({ text: 'the cat [__5__]' }, tok, 64)).toEqual(whole(prompt + 5));
    expect(checkTemplate({ text: 'the cat' }, tok, 64)).toEqual(whole(prompt + DEFAULT_GAP_LENGTH));
    // Automatic gaps count at their longest candidate.
    expect(checkTemplate({ text: '[__?__]', autoLengths: [3, 20] }, tok, 64).tokens).toBe(20);
    // Gaps only: no context, decoded unconditionally.
    expect(checkTemplate({ text: '[____]' }, tok, 64)).toEqual(whole(DEFAULT_GAP_LENGTH));
    expect(checkTemplate({ text: 'the cat [__0__]' }, tok, 64).problem).toBe('gap "[__0__]" asks for 0 tokens: a gap needs at least one');
    expect(checkTemplate({ text: 'the cat [__999__]' }, tok, 64)).toEqual({ tokens: prompt + 999, problem: "the gap is 999 tokens, longer than the model's context of 64: shorten the gap", window: null });
    expect(checkTemplate({ text: 'a [__40__] b [__30__] c' }, tok, 64).problem).toMatch(/^the gaps and the text between them are \d+ tokens, longer than the model's context of 64: shorten the gaps or the text between them$/);
    expect(checkTemplate({ text: 'the cat [__64__]' }, tok, 64).problem).toBe("the gap is 64 tokens, the model's whole context, leaving no room for the text around it: shorten the gap");
    expect(checkTemplate({ text: 'the cat', gapLength: 65 }, tok, 64).problem).toBe("the 65-token continuation is 65 tokens, longer than the model's context of 64: ask for a shorter continuation");
    expect(checkTemplate({ text: ' ' }, tok, 64).problem).toMatch(/the template is empty/);
    // Exactly at the context is fine.
    expect(checkTemplate({ text: '[__64__]' }, tok, 64).problem).toBeNull();
  });

  it('checkTemplate: [__?__] only on a strategy whose lengths the A3 model scores (AR and diffusion refuse it, in words)', () => {
    const tok = Tokenizer.train('the cat sat on the mat. '.repeat(20), 10);
    const text = 'the cat [__?__] the mat';
    for (const strategy of ['ar', 'diffusion'] as const) {
      const check = checkTemplate({ text, strategy }, tok, 64);
      expect(check.window).toBeNull();
      expect(check.problem).toMatch(/cannot choose a gap length: \[__\?__\] is scored by the A3 model; give the gap a length such as \[__8__\]$/);
    }
    expect(checkTemplate({ text, strategy: 'ar' }, tok, 64).problem).toMatch(/^AR \(base model\) cannot/);
    for (const strategy of ['groupwise', 'dynamic', 'speculative'] as const) expect(checkTemplate({ text, strategy }, tok, 64).problem).toBeNull();
    // A sized gap is fine for every strategy.
    expect(checkTemplate({ text: 'the cat [__3__] the mat', strategy: 'diffusion' }, tok, 64).problem).toBeNull();
  });

  it('checkTemplate: a template longer than the context runs in the window around its gaps, the side the strategy reads first', () => {
    const tok = Tokenizer.train('the cat sat on the mat. the dog ran to the cat. '.repeat(20), 10);
    const side = 'the cat sat on the mat. the dog ran to the cat. '.repeat(3);
    const [left, right] = [tok.encode(side.trimEnd()).length, tok.encode(` ${side}`).length];
    const text = `${side.trimEnd()} [__4__] ${side}`;
    const both = checkTemplate({ text, strategy: 'groupwise' }, tok, 24);
    expect(both.problem).toBeNull();
    expect(both.tokens).toBe(left + 4 + right);
    // 20 tokens of context around a 4-token gap: 10 each side.
    expect(both.window).toEqual({ total: both.tokens, before: left - 10, after: right - 10 });
    // AR reads only the text before a gap: the whole budget goes left.
    expect(checkTemplate({ text, strategy: 'ar' }, tok, 24).window).toEqual({ total: both.tokens, before: left - 20, after: right });
    // A continuation keeps the end of the text.
    const long = checkTemplate({ text: side.repeat(3) }, tok, 24);
    expect(long.window).toEqual({ total: long.tokens, before: long.tokens - 24, after: 0 });
  });
});
