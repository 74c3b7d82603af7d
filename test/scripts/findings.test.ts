import { describe, expect, it } from 'vitest';
import { compareIntervals, findings, findingsTable, gapTable } from '@/scripts/lib/findings';

const acc = (accuracy: number, low: number, high: number) => ({ perToken: { accuracy, ci95: { low, high } }, total: { accuracy } });

const fixture = {
  choice: {
    tasks: [
      {
        task: 'story-endings',
        results: [
          { scorer: 'base AR (content stream)', ...acc(0.5, 0.4, 0.6) },
          { scorer: 'A3 left-to-right singletons', ...acc(0.7, 0.62, 0.78) },
          { scorer: 'A3 option as one group', ...acc(0.3, 0.2, 0.4) },
          { scorer: 'MDLM ELBO (4 ratios)', ...acc(0.3, 0.22, 0.38) },
        ],
      },
    ],
  },
  infill: {
    counts: { stories: 3 },
    decoders: [
      { decoder: 'AR (base, prefix only)', model: 'base', ran: true, rougeF1: { rouge1: 0.1, rouge2: 0, rougeL: 0.1 } },
      { decoder: 'A3 group-wise s=2', model: 'a3', ran: true, rougeF1: { rouge1: 0.2, rouge2: 0.01, rougeL: 0.15 } },
      { decoder: 'A3 group-wise s=1', model: 'a3', ran: true, rougeF1: { rouge1: 0.05, rouge2: 0, rougeL: 0.05 } },
      { decoder: 'MDLM', model: 'mdlm', ran: true, rougeF1: { rouge1: 0.15, rouge2: 0, rougeL: 0.1 } },
    ],
  },
  adaptA3: { stages: [{ val: { 'left-to-right s=1': 4.5, 'random s=4': 5.2, 'random s=8': 5.3 } }] },
  adaptAblation: { stages: [{ val: { 'left-to-right s=1': 4.6, 'random s=4': 5.0, 'random s=8': 5.1 } }] },
  generation: {
    rows: [
      ...[1, 2].map((s) => ({ setting: 'prompted', family: 'a3-groupwise', param: s, plannedForwards: 8 / s, aggregate: { genPpl: 100 * s, distinct: { 2: 0.9 } } })),
      ...[1, 2].map((k) => ({ setting: 'prompted', family: 'a3-dynamic-entropy', param: k, plannedForwards: 8 / k, aggregate: { genPpl: k === 1 ? 150 : 120, distinct: { 2: 0.9 } } })),
      ...[8, 4].map((n) => ({ setting: 'prompted', family: 'mdlm-diffusion', param: n, plannedForwards: n, aggregate: { genPpl: n === 8 ? 50 : 500, distinct: { 2: 0.5 } } })),
    ],
  },
  decodeBench: { rows: [{ name: 'AR (group-wise s=1, cached)', ms: 100 }, { name: 'group-wise s=2 (cached)', ms: 60 }, { name: 'group-wise s=4 (cached)', ms: 40 }] },
};

const gapRows = (a3: number, d: [number, number, number]) => [
  { scorer: 'ar-prefix', ran: true, meanNll: 4.0 },
  { scorer: 'a3-both-s1', ran: true, meanNll: a3, minusArPrefix: { mean: d[0], low: d[1], high: d[2] } },
  { scorer: 'mdlm-both', ran: false, skipped: 'no mdlm model' },
];
const gap = {
  quick: false,
  bootstrap: { resamples: 2000 },
  scorers: [
    { id: 'ar-prefix', name: 'AR (base), prefix only', exact: true },
    { id: 'a3-both-s1', name: 'A3, both sides, gap left to right (s=1)', exact: true },
    { id: 'mdlm-both', name: 'MDLM bound, both sides', exact: false },
  ],
  sets: [
    { set: 'stories', context: 128, ran: true, counts: { problems: 90, fit: 90, skippedLongerThanContext: 112, windows: 202 }, gapTokens: 2000, rows: gapRows(3.6, [-0.4, -0.5, -0.3]) },
    { set: 'random-spans', context: 128, ran: true, counts: { problems: 64 }, gapTokens: 500, rows: gapRows(4.1, [0.1, -0.05, 0.2]) },
    { set: 'stories', context: 256, ran: false, skipped: "the models' context is 128 tokens, shorter than 256", counts: { problems: 202 } },
  ],
};

describe('gap likelihood (first in Findings)', () => {
  it('the headline row: A3 both sides vs AR prefix only, its interval and the issue target', () => {
    const row = findings({ gap })[0];
    expect(row.claim).toMatch(/^A3 uses the right-hand side/);
    expect(row.ours).toBe('A3 both sides (gap left to right) 3.60 vs AR prefix only 4.00 nats/token on 90 held-out story middles of windows ≤ 128 tokens: Δ −0.40 [−0.50, −0.30]');
    expect(row.verdict).toBe('holds (interval below 0); target met');
    const worse = { ...gap, sets: [{ ...gap.sets[0], rows: gapRows(4.24, [0.24, 0.18, 0.3]) }] };
    expect(findings({ gap: worse })[0].verdict).toBe('reversed (interval above 0); target missed by 0.49 nats/token');
    const unsure = { ...gap, sets: [{ ...gap.sets[0], rows: gapRows(3.9, [-0.1, -0.2, 0.05]) }] };
    expect(findings({ gap: unsure })[0].verdict).toBe('not separable (interval includes 0); target missed by 0.15 nats/token');
    expect(findings({})[0]).toMatchObject({ ours: 'not run (`npm run eval`)', verdict: '—' });
  });

  it('the table: one column per set that ran, Δ with intervals, skipped windows and sets not run said in words', () => {
    const t = gapTable(gap);
    expect(t[0]).toBe('| scorer | story middles, ≤ 128 (90; 2000 tok) | random spans, ≤ 128 (64; 500 tok) |');
    expect(t[2]).toBe('| AR (base), prefix only | 4.00 | 4.00 |');
    expect(t[3]).toBe('| A3, both sides, gap left to right (s=1) | 3.60 (−0.40 [−0.50, −0.30]) | 4.10 (+0.10 [−0.05, +0.20]) |');
    expect(t[4]).toBe('| MDLM bound, both sides | — | — |');
    expect(t.at(-1)).toBe("112 of 202 story windows are longer than 128 tokens and are skipped at that context. Not run: stories at 256 (the models' context is 128 tokens, shorter than 256).");
    expect(gapTable(null)).toEqual([]);
  });
});

describe('findings table', () => {
  it('compares 95% intervals conservatively', () => {
    expect(compareIntervals({ accuracy: 0.7, low: 0.6, high: 0.8 }, { accuracy: 0.3, low: 0.2, high: 0.4 })).toBe('holds');
    expect(compareIntervals({ accuracy: 0.3, low: 0.2, high: 0.4 }, { accuracy: 0.7, low: 0.6, high: 0.8 })).toBe('reversed');
    expect(compareIntervals({ accuracy: 0.5, low: 0.4, high: 0.6 }, { accuracy: 0.45, low: 0.35, high: 0.55 })).toMatch(/not separable/);
  });

  it('derives every verdict from the results it is given', () => {
    const rows = findings(fixture);
    const by = (prefix: string) => rows.filter((r) => r.claim.startsWith(prefix));
    expect(by('A3 beats the diffusion LM')[0].verdict).toBe('holds'); // 0.62 > 0.38
    expect(by('A3 stays below its AR parent')[0].verdict).toBe('reversed'); // base 0.6 < A3 0.62
    expect(by('Story infilling')[0].verdict).toBe('A3 above AR, above diffusion on ROUGE-1 (means, no interval)');
    expect(by('Story infilling')[0].ours).toContain('A3 group-wise s=2');
    expect(by('The progressive curriculum')[0].verdict).toBe('mixed: curriculum better on left-to-right s=1');
    expect(by('Perplexity grows with group size — exact')[0].verdict).toBe('holds');
    expect(by('Perplexity grows with group size — generation')[0].verdict).toBe('holds');
    expect(by('Confidence/entropy ordering')[0].verdict).toBe('holds at 4 forwards, not at 8');
    expect(by('A3 generates better text')[0].verdict).toBe('holds at 1 of 2 budgets');
    expect(by('Group-wise decoding is faster')[0].ours).toContain('s=2 took 0.60x');
    expect(by('Group-wise decoding is faster')[0].verdict).toBe('holds');
  });

  it('says what is missing instead of guessing, and renders a markdown table', () => {
    const rows = findings({});
    expect(rows.length).toBeGreaterThan(5);
    for (const r of rows) expect(r.verdict).toBe('—');
    const table = findingsTable(rows);
    expect(table[0]).toMatch(/^\| claim/);
    expect(table).toHaveLength(rows.length + 2);
  });
});
