/** The bench's analytic FLOP counts (bench/flops.ts), checked by hand on a small config. */
import { describe, it, expect } from 'vitest';
import { decodeFlopsLowerBound, decodeRowFlops } from '@/bench/flops';
import { tiny } from '../helpers/tf';

const cfg = { ...tiny, dModel: 8, ffnDim: 16, nLayers: 2, vocabSize: 10 };

describe('decode FLOP lower bound', () => {
  it('counts a row’s projections and FFN per layer, and the LM head for a query row only', () => {
    const ffn = 2 * 3 * 8 * 16; // gate, up, down
    expect(decodeRowFlops(cfg, 'content')).toBe(2 * (2 * 8 * 8 * 4 + ffn)); // q, k, v, o
    expect(decodeRowFlops(cfg, 'query')).toBe(2 * (2 * 8 * 8 * 2 + ffn) + 2 * 8 * 10); // q, o; head
  });

  it('adds the prompt, every predicted row and every committed token', () => {
    const work = { prompt: 3, steps: [{ predicted: 4, committed: 2 }, { predicted: 2, committed: 2 }] };
    const expected = 3 * decodeRowFlops(cfg, 'content') + 6 * decodeRowFlops(cfg, 'query') + 4 * decodeRowFlops(cfg, 'content');
    expect(decodeFlopsLowerBound(cfg, work)).toBe(expected);
    // Predicting every open row each forward (dynamic) costs more than predicting the committed ones only (group-wise).
    const groupwise = { prompt: 3, steps: [{ predicted: 2, committed: 2 }, { predicted: 2, committed: 2 }] };
    expect(decodeFlopsLowerBound(cfg, work)).toBeGreaterThan(decodeFlopsLowerBound(cfg, groupwise));
  });
});
