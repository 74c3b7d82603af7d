import { describe, expect, it } from 'vitest';
import { DEFAULT_GAP_LENGTH, findGaps, gapMarker, hasGap } from '@/lib/a3/decode/gaps';
import { parseTemplate } from '@/lib/a3/decode/infill';
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
});
