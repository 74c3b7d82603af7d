import { describe, expect, it } from 'vitest';
import { issue13Targets, targetsTable } from '@/scripts/lib/targets';

const gapSet = (mean: number, low: number, high: number) => ({
  ran: true,
  set: 'stories',
  context: 128,
  counts: { problems: 90 },
  rows: [
    { scorer: 'ar-prefix', ran: true, meanNll: 3.8 },
    { scorer: 'a3-both-s1', ran: true, meanNll: 3.8 + mean, minusArPrefix: { mean, low, high } },
  ],
});

const fixture = {
  gap: { sets: [gapSet(0.02, -0.03, 0.07)] },
  baseTraining: { valLoss: 3.805, 'valLoss@256': 3.747 },
  a3Training: { stages: [{ val: { 'left-to-right s=1': 4.2 } }, { val: { 'left-to-right s=1': 3.87 } }] },
  adaptA3: { stages: [{ val: { 'AR (content stream)': 3.788, 'left-to-right s=1': 7.2 } }] },
  infill: {
    decoders: [
      { decoder: 'AR (base, prefix only)', model: 'base', ran: true, rougeF1: { rouge1: 0.1 } },
      { decoder: 'A3 dynamic', model: 'a3', ran: true, rougeF1: { rouge1: 0.14 } },
      { decoder: 'A3 s=1', model: 'a3', ran: true, rougeF1: { rouge1: 0.12 } },
    ],
  },
  generation: {
    rows: [
      { setting: 'prompted', family: 'ar', param: 1, aggregate: { genPpl: 40 } },
      { setting: 'unconditional', family: 'a3-groupwise', param: 1, aggregate: { genPpl: 41 } },
      { setting: 'prompted', family: 'a3-groupwise', param: 1, aggregate: { genPpl: 80 } },
    ],
  },
  pageSpeed: { weightsBytes: 4.2 * 1024 * 1024, readyMs: 1900 },
};

describe('issue 13 targets', () => {
  it('computes every figure from the files and says by how much a target is missed', () => {
    const rows = issue13Targets(fixture);
    expect(rows.map((r) => r.verdict)).toEqual(['missed by 0.27', 'met', 'missed by 0.055', 'met', 'missed by 0.70×', 'met']);
    expect(rows[1].measured).toBe('3.870 vs 3.788 (+0.082; 32 windows of 128)'); // the last stage, vs the base row of the curriculum run
    expect(rows[3].measured).toContain('1.40× (A3 dynamic 14.0 vs 10.0)'); // the best A3 decoder
    expect(rows[4].measured).toBe('2.00× (80.0 vs 40.0)'); // prompted rows only
  });

  it('the gap target needs both the size and an interval below 0', () => {
    expect(issue13Targets({ gap: { sets: [gapSet(-0.3, -0.4, -0.2)] } })[0].verdict).toBe('met');
    expect(issue13Targets({ gap: { sets: [gapSet(-0.3, -0.6, 0.01)] } })[0].verdict).toBe('missed: the interval includes 0');
  });

  it('a missing file is a row that says what to run, not an error', () => {
    const rows = issue13Targets({});
    expect(rows).toHaveLength(6);
    for (const r of rows) expect(r.measured).toMatch(/^not measured \(`.+`\)$/);
    expect(targetsTable(rows)).toHaveLength(8);
  });
});
