import { describe, it, expect } from 'vitest';
import { evalWindows, randomWindows, stackBatches, stepSeed } from '@/lib/train/batches';

const stream = Int32Array.from({ length: 1000 }, (_, i) => i); // token = its own index

describe('randomWindows', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = randomWindows(stream, 8, 16, 42);
    const b = randomWindows(stream, 8, 16, 42);
    const c = randomWindows(stream, 8, 16, 43);
    expect(a.batch).toBe(8);
    expect(a.tokens.length).toBe(8 * 16);
    expect(Array.from(a.tokens)).toEqual(Array.from(b.tokens));
    expect(Array.from(a.tokens)).not.toEqual(Array.from(c.tokens));
  });

  it('takes contiguous slices of the stream, inside its bounds', () => {
    const starts = new Set<number>();
    for (let seed = 0; seed < 50; seed++) {
      const w = randomWindows(stream, 4, 16, seed);
      for (let b = 0; b < 4; b++) {
        const row = w.tokens.subarray(b * 16, (b + 1) * 16);
        expect(row[0]).toBeGreaterThanOrEqual(0);
        expect(row[15]).toBeLessThan(stream.length);
        for (let t = 1; t < 16; t++) expect(row[t]).toBe(row[t - 1] + 1);
        starts.add(row[0]);
      }
    }
    expect(starts.size).toBeGreaterThan(150); // spread over the stream
  });

  it('works when the stream is exactly one window and refuses a shorter one', () => {
    const w = randomWindows(stream.subarray(0, 16), 3, 16, 1);
    expect(Array.from(w.tokens.subarray(32))).toEqual(Array.from(stream.subarray(0, 16)));
    expect(() => randomWindows(stream.subarray(0, 15), 1, 16, 1)).toThrow(/shorter/);
  });
});

describe('evalWindows', () => {
  it('gives non-overlapping contiguous windows spread over the stream', () => {
    const ws = evalWindows(stream, 10, 32);
    expect(ws).toHaveLength(10);
    const ranges = ws.map((w) => {
      expect(w.batch).toBe(1);
      expect(w.tokens.length).toBe(32);
      for (let t = 1; t < 32; t++) expect(w.tokens[t]).toBe(w.tokens[t - 1] + 1);
      return [w.tokens[0], w.tokens[31]];
    });
    for (let i = 1; i < ranges.length; i++) expect(ranges[i][0]).toBeGreaterThan(ranges[i - 1][1]);
    expect(ranges[ranges.length - 1][1]).toBeGreaterThan(stream.length / 2);
  });
  it('caps the count at what fits and refuses a too-short stream', () => {
    const ws = evalWindows(stream, 100, 100);
    expect(ws).toHaveLength(10);
    expect(ws.map((w) => w.tokens[0])).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    expect(() => evalWindows(stream.subarray(0, 10), 3, 16)).toThrow(/shorter/);
  });
  it('is deterministic', () => {
    expect(evalWindows(stream, 7, 16).map((w) => Array.from(w.tokens))).toEqual(evalWindows(stream, 7, 16).map((w) => Array.from(w.tokens)));
  });
});

describe('stepSeed', () => {
  it('differs by step and by seed, and is a uint32', () => {
    const seeds = new Set<number>();
    for (let step = 0; step < 1000; step++) {
      const s = stepSeed(5, step);
      expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
      seeds.add(s);
    }
    expect(seeds.size).toBe(1000);
    expect(stepSeed(5, 3)).toBe(stepSeed(5, 3));
    expect(stepSeed(5, 3)).not.toBe(stepSeed(6, 3));
    // consecutive steps give different batches
    expect(Array.from(randomWindows(stream, 4, 8, stepSeed(1, 0)).tokens)).not.toEqual(Array.from(randomWindows(stream, 4, 8, stepSeed(1, 1)).tokens));
  });
});

describe('stackBatches', () => {
  it('stacks single windows into batches of up to `size`, in order', () => {
    const ws = evalWindows(stream, 10, 8);
    const stacked = stackBatches(ws, 4);
    expect(stacked.map((b) => b.batch)).toEqual([4, 4, 2]);
    expect(stacked.map((b) => b.tokens.length)).toEqual([32, 32, 16]);
    const flat = stacked.flatMap((b) => Array.from(b.tokens));
    expect(flat).toEqual(ws.flatMap((w) => Array.from(w.tokens)));
  });
  it('stacks multi-sequence batches too', () => {
    const a = randomWindows(stream, 2, 8, 1);
    const b = randomWindows(stream, 3, 8, 2);
    const [s] = stackBatches([a, b], 2);
    expect(s.batch).toBe(5);
    expect(s.tokens.length).toBe(40);
  });
});
