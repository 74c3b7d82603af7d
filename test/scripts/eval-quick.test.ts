/**
 * `npm run eval -- --quick --out <tmp>` end to end (about 1.5 min on 2 cores):
 * every JSON it writes has every field, the question sets it regenerates equal
 * the committed data/eval files, and nothing under results/ or data/eval/ is
 * touched.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GAP_SCORERS } from '@/lib/eval/gap-nll';
import { INFILL_DECODERS } from '@/lib/eval/story-infill';

const ROOT = join(import.meta.dirname, '..', '..');
const TASKS = ['story-endings', 'wordnet-gloss', 'wordnet-hypernym', 'wordnet-antonym'];
const SCORERS = ['base AR (content stream)', 'A3 left-to-right singletons', 'A3 option as one group', 'MDLM ELBO (4 ratios)'];

/** sha256 of the tracked files the eval script writes by default (other scripts' results may change meanwhile). */
function snapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [dir, prefix] of [['results', 'eval-'], [join('data', 'eval'), '']]) {
    if (!existsSync(join(ROOT, dir))) continue;
    for (const f of readdirSync(join(ROOT, dir)).filter((name) => name.startsWith(prefix) || name === 'quality-vs-forwards.svg')) {
      out[join(dir, f)] = createHash('sha256').update(readFileSync(join(ROOT, dir, f))).digest('hex');
    }
  }
  return out;
}

const isFraction = (x: unknown) => typeof x === 'number' && x >= 0 && x <= 1;

describe('npm run eval -- --quick --out <dir>', () => {
  let out: string;
  let before: Record<string, string>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON written by the script
  const json = (name: string): any => JSON.parse(readFileSync(join(out, name), 'utf8'));

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'a3-eval-quick-'));
    before = snapshot();
    await promisify(execFile)(join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/eval.ts', '--quick', '--out', out], { cwd: ROOT, maxBuffer: 64 << 20 });
  }, 600_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('leaves results/ and data/eval/ alone', () => {
    expect(snapshot()).toEqual(before);
  });

  it('gap likelihood: both sets at contexts 128 and 256, every scorer, paired intervals vs AR, skipped windows counted, the headline', () => {
    const j = json('eval-gap.json');
    expect(j).toMatchObject({ seed: 2026, quick: true, backend: 'wasm', contexts: [128, 256], bootstrap: { resamples: 2000, seed: 2026 } });
    expect(j.wallSec).toBeGreaterThan(0);
    expect(j.scorers.map((s: { id: string }) => s.id)).toEqual(GAP_SCORERS.map((s) => s.id));
    expect(j.sets.map((s: { set: string; context: number }) => `${s.set}@${s.context}`)).toEqual(['stories@128', 'random-spans@128', 'stories@256', 'random-spans@256']);
    for (const set of j.sets) {
      if (set.context > j.modelContext) {
        expect(set.ran).toBe(false);
        expect(set.skipped).toMatch(/context is \d+ tokens, shorter than 256/);
        continue;
      }
      expect(set.ran).toBe(true);
      expect(set.counts.problems).toBeGreaterThan(0);
      expect(set.problems).toHaveLength(set.counts.problems);
      expect(set.gapTokens).toBe(set.problems.reduce((n: number, p: { gapLength: number }) => n + p.gapLength, 0));
      expect(set.rows.map((r: { scorer: string }) => r.scorer)).toEqual(GAP_SCORERS.map((s) => s.id));
      for (const r of set.rows) {
        expect(r.ran).toBe(true);
        expect(r.meanNll).toBeGreaterThan(0);
        if (r.scorer === 'ar-prefix') continue;
        expect(r.minusArPrefix.low).toBeLessThanOrEqual(r.minusArPrefix.mean);
        expect(r.minusArPrefix.high).toBeGreaterThanOrEqual(r.minusArPrefix.mean);
      }
    }
    const stories = j.sets.filter((s: { set: string }) => s.set === 'stories');
    for (const s of stories) expect(s.counts.fit + s.counts.skippedLongerThanContext).toBe(s.counts.windows);
    expect(stories[0].counts.skippedLongerThanContext).toBeGreaterThan(0); // today's 128 context: most windows do not fit, and say so
    expect(j.headline).toMatchObject({ set: 'stories', context: 128, scorer: 'a3-both-s1', baseline: 'ar-prefix' });
    expect(j.headline.mean).toBeCloseTo(stories[0].rows.find((r: { scorer: string }) => r.scorer === 'a3-both-s1').minusArPrefix.mean, 10);
  });

  it('story infilling: every decoder with ROUGE-1/2/L, forwards and ms; seed and wall time', () => {
    const j = json('eval-infill.json');
    expect(j).toMatchObject({ seed: 2026, quick: true, backend: 'wasm' });
    expect(j.wallSec).toBeGreaterThan(0);
    expect(j.counts.stories).toBeGreaterThan(0);
    expect(j.decoders.map((d: { decoder: string }) => d.decoder)).toEqual(INFILL_DECODERS.map((d) => d.name));
    for (const d of j.decoders) {
      expect(d.ran).toBe(true);
      for (const k of ['rouge1', 'rouge2', 'rougeL']) expect(isFraction(d.rougeF1[k])).toBe(true);
      expect(d.meanNfe).toBeGreaterThan(0);
      expect(d.meanMs).toBeGreaterThan(0);
      expect(d.stories).toHaveLength(j.counts.stories);
    }
  });

  it('multiple choice: every task with every scorer, accuracy, 95% CI, chance; balanced answers', () => {
    const j = json('eval-choice.json');
    expect(j).toMatchObject({ seed: 2026, quick: true, chance: 0.25 });
    expect(j.wallSec).toBeGreaterThan(0);
    expect(j.tasks.map((t: { task: string }) => t.task)).toEqual(TASKS);
    for (const t of j.tasks) {
      expect(t.questionFile).toBe(join(out, 'questions', `${t.task}.jsonl`));
      expect(t.counts.questions).toBeGreaterThan(0);
      expect(t.counts.generated).toBeGreaterThanOrEqual(t.counts.questions);
      expect(t.counts.answerPositions.reduce((a: number, b: number) => a + b, 0)).toBe(t.counts.questions);
      expect(Math.max(...t.counts.answerPositions) - Math.min(...t.counts.answerPositions)).toBeLessThanOrEqual(1);
      expect(t.chance).toBe(0.25);
      expect(t.wallSec).toBeGreaterThan(0);
      expect(t.results.map((r: { scorer: string }) => r.scorer)).toEqual(SCORERS);
      for (const r of t.results) {
        for (const a of [r.perToken, r.total]) {
          expect(a.n).toBe(t.counts.questions);
          expect(isFraction(a.accuracy)).toBe(true);
          expect(a.ci95.low).toBeLessThanOrEqual(a.accuracy);
          expect(a.ci95.high).toBeGreaterThanOrEqual(a.accuracy);
        }
        expect(r.chance).toBe(0.25);
        expect(r.questions).toHaveLength(t.counts.questions);
      }
    }
  });

  it('the regenerated question sets equal the committed data/eval files', () => {
    for (const task of TASKS) {
      expect(readFileSync(join(out, 'questions', `${task}.jsonl`), 'utf8')).toBe(readFileSync(join(ROOT, 'data', 'eval', `${task}.jsonl`), 'utf8'));
    }
  });

  it('generation quality: every decoder row with gen-PPL, distinct-n, forwards and tokens/s, and the plot', () => {
    const j = json('eval-generation.json');
    expect(j).toMatchObject({ seed: 2026, quick: true });
    expect(j.wallSec.total).toBeGreaterThan(0);
    const families = new Set(j.rows.map((r: { family: string }) => r.family));
    for (const f of ['ar', 'a3-groupwise', 'a3-dynamic-confidence', 'a3-dynamic-entropy', 'a3-speculative', 'mdlm-diffusion']) expect(families).toContain(f);
    for (const r of j.rows) {
      expect(r.ran).toBe(true);
      expect(r.aggregate.genPpl).toBeGreaterThan(1);
      expect(isFraction(r.aggregate.distinct['2'])).toBe(true);
      expect(r.aggregate.meanNfe).toBeGreaterThan(0);
      expect(r.aggregate.tokensPerSec).toBeGreaterThan(0);
    }
    const svg = readFileSync(join(out, 'quality-vs-forwards.svg'), 'utf8');
    expect(svg).toMatch(/<svg[^>]*width="640"/);
    expect(svg).toContain('</svg>');
  });

  it('the run record has the command, seed and wall time', () => {
    const j = json('eval-run.json');
    expect(j).toMatchObject({ seed: 2026, quick: true });
    expect(j.command).toContain('--quick');
    expect(j.wallSec).toBeGreaterThan(0);
  });
});
