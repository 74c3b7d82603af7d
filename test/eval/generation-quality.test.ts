import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useCpu, tiny, randomModel } from '../helpers/tf';
import { arForward, initModel, type A3Model } from '@/lib/a3/model';
import { SPECIAL_TOKENS, Tokenizer } from '@/lib/a3/tokenizer';
import {
  aggregateSamples,
  decoderGrid,
  distinctN,
  generativeNlls,
  generativePerplexity,
  meanSampleDistinctN,
  runGenerationConfig,
  type DecoderFamily,
  type GenerationModels,
  type GenSample,
  type PromptCase,
} from '@/lib/eval/generation-quality';
import { pickWindows, plotData, promptCases, qualityVsForwardsSvg, runGenerationEval, type GenerationResult, type PlotData, type Setting } from '@/scripts/lib/eval-generation';

beforeAll(async () => {
  await useCpu();
});

describe('distinct-n', () => {
  it('counts unique n-grams over all n-grams, by hand', () => {
    // 1 2 1 2: unigrams 1,2,1,2 (2 unique / 4); bigrams 12,21,12 (2 / 3); trigrams 121,212 (2 / 2)
    expect(distinctN([[1, 2, 1, 2]], 1)).toBeCloseTo(0.5, 12);
    expect(distinctN([[1, 2, 1, 2]], 2)).toBeCloseTo(2 / 3, 12);
    expect(distinctN([[1, 2, 1, 2]], 3)).toBe(1);
    expect(distinctN([[5, 5, 5]], 1)).toBeCloseTo(1 / 3, 12);
  });

  it('pools samples (corpus level) without n-grams across sample boundaries', () => {
    // [1 2 3] [1 2 4]: unigrams 1,2,3,1,2,4 -> 4/6; bigrams 12,23,12,24 -> 3/4; trigrams 123,124 -> 2/2
    expect(distinctN([[1, 2, 3], [1, 2, 4]], 1)).toBeCloseTo(4 / 6, 12);
    expect(distinctN([[1, 2, 3], [1, 2, 4]], 2)).toBeCloseTo(3 / 4, 12);
    expect(distinctN([[1, 2, 3], [1, 2, 4]], 3)).toBe(1);
    // [1 2] [2 1]: a boundary bigram "2 2" would make it 3 n-grams; only 12 and 21 exist
    expect(distinctN([[1, 2], [1, 2]], 2)).toBeCloseTo(1 / 2, 12);
    expect(distinctN([[1, 2], [3]], 2)).toBe(1);
    // ids 1,23 and 12,3 are different bigrams (no string-concatenation collisions)
    expect(distinctN([[1, 23], [12, 3]], 2)).toBe(1);
  });

  it('is NaN when there is no n-gram; rejects n < 1', () => {
    expect(distinctN([[1, 2]], 3)).toBeNaN();
    expect(distinctN([], 1)).toBeNaN();
    expect(() => distinctN([[1]], 0)).toThrow(/n must be/);
  });

  it('per-sample mean differs from the pooled figure as defined', () => {
    // [1 1] -> 1/2, [1 2] -> 2/2: mean 0.75; pooled unigrams 1,1,1,2 -> 2/4
    expect(meanSampleDistinctN([[1, 1], [1, 2]], 1)).toBeCloseTo(0.75, 12);
    expect(distinctN([[1, 1], [1, 2]], 1)).toBeCloseTo(0.5, 12);
  });
});

/** NLL of each generated token recomputed in float64 from arForward's logits, one sequence at a time. */
function referenceNll(model: A3Model, context: number[], generated: number[]): number[] {
  const tokens = [...context, ...generated];
  const logits = tf.tidy(() => arForward(model, { batch: 1, tokens: Int32Array.from(tokens) }).logits.arraySync()) as number[][];
  return generated.map((tok, j) => {
    const row = logits[context.length + j - 1];
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((a, l) => a + Math.exp(l - max), 0));
    return lse - row[tok];
  });
}

describe('generative perplexity', () => {
  for (const [name, make] of [
    ['initModel', () => initModel(tiny, 4)],
    ['random weights', () => randomModel(tiny, 5)],
  ] as const) {
    it(`equals exp(mean NLL) from arForward logits, prompt not scored (${name})`, async () => {
      const model = make();
      const context = [3, 7, 1];
      const generated = [4, 4, 9, 15, 0, 2];
      const ref = referenceNll(model, context, generated);
      const ppl = await generativePerplexity(model, context, generated);
      expect(ppl).toBeCloseTo(Math.exp(ref.reduce((a, b) => a + b, 0) / ref.length), 4);
      // Per token too: row P+j-1 scores generated token j; the prompt's tokens get no NLL of their own.
      const [nlls] = await generativeNlls(model, [context], [generated]);
      nlls.forEach((x, i) => expect(x).toBeCloseTo(ref[i], 4));
    });
  }

  it('batches mixed lengths and matches one-at-a-time scoring', async () => {
    const model = randomModel(tiny, 6);
    const context = [[1], [2, 3, 4], [5, 6], [7, 8, 9]];
    const generated = [[3, 4, 5], [6, 7], [1, 2, 3], [10, 11]];
    const batched = await generativeNlls(model, context, generated);
    context.forEach((c, i) => referenceNll(model, c, generated[i]).forEach((x, j) => expect(batched[i][j]).toBeCloseTo(x, 4)));
  });

  it('rejects an empty context, nothing generated, or a sequence beyond the context', async () => {
    const model = randomModel(tiny, 6);
    await expect(generativeNlls(model, [[]], [[1]])).rejects.toThrow(/context is empty/);
    await expect(generativeNlls(model, [[1]], [[]])).rejects.toThrow(/nothing generated/);
    await expect(generativeNlls(model, [[1]], [new Array(tiny.maxLen).fill(1)])).rejects.toThrow(/longer than/);
  });
});

describe('one decoder configuration over prompts', () => {
  const L = 7;
  let models: GenerationModels;
  const prompts: PromptCase[] = [
    { id: 'a', tokens: [5, 6, 7], seed: 11 },
    { id: 'b', tokens: [8, 9, 10], seed: 12 },
  ];
  beforeAll(() => {
    // One tiny model plays all three parts: the runner, not the weights, is under test.
    const m = randomModel(tiny, 7);
    models = { base: m, a3: m, mdlm: m };
  });

  it('reports the forwards each decoder makes (group-wise s -> ceil(L/s), dynamic k -> ceil(L/k), diffusion -> steps)', async () => {
    for (const d of decoderGrid(L)) {
      const run = await runGenerationConfig(d, prompts, models, { length: L, tokenizer: { decode: (ids) => Array.from(ids).join(' ') } });
      const expected: Record<DecoderFamily, number | null> = {
        ar: L,
        'a3-groupwise': Math.ceil(L / d.param),
        'a3-dynamic-confidence': Math.ceil(L / d.param),
        'a3-dynamic-entropy': Math.ceil(L / d.param),
        'a3-speculative': null,
        'mdlm-diffusion': d.param,
      };
      expect(run.plannedForwards).toBe(expected[d.family]);
      for (const s of run.samples) {
        if (d.family === 'a3-speculative') {
          // Each round is one draft forward + one verify forward, committing 1..draft tokens.
          expect(s.nfe % 2).toBe(0);
          expect(s.nfe).toBeGreaterThanOrEqual(2 * Math.ceil(L / d.param));
          expect(s.nfe).toBeLessThanOrEqual(2 * L);
        } else expect(s.nfe).toBe(expected[d.family]);
        expect(s.tokens).toHaveLength(L);
        for (const t of s.tokens) expect(t >= 0 && t < tiny.vocabSize).toBe(true);
        expect(s.text).toBe(s.tokens.join(' '));
        expect(s.ms).toBeGreaterThan(0);
      }
      expect(run.aggregate.meanNfe).toBeCloseTo(run.samples.reduce((a, s) => a + s.nfe, 0) / run.samples.length, 12);
    }
  });

  it('scores each sample by the base model and is deterministic in the seed', async () => {
    const d = decoderGrid(L).find((x) => x.family === 'a3-groupwise' && x.param === 2)!;
    const run = await runGenerationConfig(d, prompts, models, { length: L });
    const again = await runGenerationConfig(d, prompts, models, { length: L });
    expect(again.samples.map((s) => s.tokens)).toEqual(run.samples.map((s) => s.tokens));
    for (const [i, s] of run.samples.entries()) {
      expect(s.text).toBeUndefined();
      expect(s.genPpl).toBeCloseTo(await generativePerplexity(models.base, prompts[i].tokens, s.tokens), 4);
    }
    expect(run.aggregate.genPpl).toBeCloseTo(Math.exp(run.samples.reduce((a, s) => a + s.nll, 0) / run.samples.length), 8);
  });

  it('leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    for (const d of decoderGrid(L)) await runGenerationConfig(d, prompts, models, { length: L });
    await generativeNlls(models.base, [[1, 2]], [[3, 4, 5]]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('aggregates', () => {
  it('computes pooled gen-PPL, distinct-n, NFE and speed from the samples', () => {
    const sample = (tokens: number[], nll: number, nfe: number, ms: number): GenSample => ({ id: 'x', seed: 0, tokens, nfe, ms, nll, genPpl: Math.exp(nll) });
    const a = aggregateSamples([sample([1, 2, 1, 2], 1, 4, 100), sample([3, 3, 3, 3], 3, 2, 300)], 4);
    expect(a.genPpl).toBeCloseTo(Math.exp(2), 12);
    expect(a.meanSampleGenPpl).toBeCloseTo((Math.exp(1) + Math.exp(3)) / 2, 12);
    expect(a.nllStdErr).toBeCloseTo(Math.sqrt(2) / Math.sqrt(2), 12); // sd of {1,3} = sqrt(2)
    // unigrams 1,2,1,2,3,3,3,3: 3 unique / 8; bigrams 12,21,12,33,33,33: 3 / 6
    expect(a.distinct[1]).toBeCloseTo(3 / 8, 12);
    expect(a.distinct[2]).toBeCloseTo(3 / 6, 12);
    expect(a.sampleDistinct[1]).toBeCloseTo((2 / 4 + 1 / 4) / 2, 12);
    expect(a.meanNfe).toBe(3);
    expect(a.tokensPerSec).toBeCloseTo(8 / 0.4, 9);
    expect(a.msPerSample).toBe(200);
  });
});

const FAMILIES: DecoderFamily[] = ['ar', 'a3-groupwise', 'a3-dynamic-confidence', 'a3-dynamic-entropy', 'a3-speculative', 'mdlm-diffusion'];

function fixture(families = FAMILIES): PlotData {
  const points = (['prompted', 'unconditional'] as Setting[]).flatMap((setting, si) =>
    families.flatMap((family, fi) =>
      (family === 'ar' ? [32] : family === 'a3-speculative' ? [21.5, 24] : [32, 16, 8, 4]).map((forwards) => ({
        setting,
        family,
        forwards,
        genPpl: 40 * (1 + fi) * (1 + si) * (64 / forwards),
        distinct2: 0.8 + 0.02 * fi,
      })),
    ),
  );
  return { points, reference: { genPpl: 35, distinct2: 0.97 } };
}

/** jsdom ships no types and @types/jsdom is not a dependency: a typed dynamic import of the one class used. */
type JsdomModule = { JSDOM: new (markup: string, options: { contentType: string }) => { window: { document: Document } } };
const JSDOM_MODULE = 'jsdom';
let JSDOM: JsdomModule['JSDOM'];
beforeAll(async () => {
  ({ JSDOM } = (await import(/* @vite-ignore */ JSDOM_MODULE)) as JsdomModule);
});

function parseSvg(svg: string): Document {
  const doc = new JSDOM(svg, { contentType: 'image/svg+xml' }).window.document;
  expect(doc.getElementsByTagName('parsererror')).toHaveLength(0);
  return doc;
}

describe('quality-vs-forwards SVG', () => {
  it('is well-formed, with one gen-PPL path per decoder family and setting, axis labels, title and legend', () => {
    const svg = qualityVsForwardsSvg(fixture(), { length: 32, samples: { prompted: 96, unconditional: 48 } });
    const doc = parseSvg(svg);
    const root = doc.documentElement;
    expect(root.tagName).toBe('svg');
    expect(root.getAttribute('width')).toBe('640');
    expect(root.getAttribute('height')).toBe('400');
    for (const setting of ['prompted', 'unconditional']) {
      const paths = [...doc.querySelectorAll(`g.ppl-series path.series[data-setting="${setting}"]`)];
      expect(paths.map((p) => p.getAttribute('data-family')).sort()).toEqual([...FAMILIES].sort());
    }
    expect(doc.querySelectorAll('g.distinct-series path.series')).toHaveLength(FAMILIES.length);
    for (const p of doc.querySelectorAll('path')) expect(p.getAttribute('d')).not.toMatch(/NaN|undefined/);
    const labels = [...doc.querySelectorAll('text.axis-label')].map((t) => t.textContent);
    expect(labels.some((t) => /forwards/.test(t!))).toBe(true);
    expect(labels.some((t) => /gen-PPL/.test(t!))).toBe(true);
    expect(labels.some((t) => /distinct-2/.test(t!))).toBe(true);
    expect(doc.querySelector('text.title')!.textContent).toMatch(/Generation quality vs\. forwards \(L = 32/);
    const legend = doc.querySelector('g.legend')!.textContent!;
    for (const label of ['AR (base)', 'A3 group-wise', 'A3 dynamic (confidence)', 'A3 dynamic (entropy)', 'A3 speculative', 'MDLM diffusion', 'prompted', 'unconditional', 'held-out text']) expect(legend).toContain(label);
    expect(doc.querySelectorAll('line.reference')).toHaveLength(2);
  });

  it('draws only the families that ran', () => {
    const doc = parseSvg(qualityVsForwardsSvg(fixture(['ar', 'mdlm-diffusion']), { length: 32, samples: { prompted: 4, unconditional: 2 } }));
    expect(doc.querySelectorAll('g.ppl-series path.series')).toHaveLength(4);
    expect(doc.querySelector('g.legend')!.textContent).not.toContain('A3');
  });
});

describe('runGenerationEval (tiny model, tiny sizes)', () => {
  it('writes a JSON with every field and a parseable SVG; skipped models give skipped rows', async () => {
    const words = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'dog', 'ran', 'home', 'big', 'red'];
    const stories = Array.from({ length: 6 }, (_, k) => {
      const text = Array.from({ length: 14 }, (_, i) => words[(k * 5 + i * 7) % words.length]).join(' ') + '.';
      return { id: `s.txt:${k}`, source: 's.txt', sentences: [text], text };
    });
    const dir = mkdtempSync(join(tmpdir(), 'gen-eval-'));
    const storiesPath = join(dir, 'stories.jsonl');
    writeFileSync(storiesPath, stories.map((s) => JSON.stringify(s)).join('\n') + '\n');
    const tokenizer = Tokenizer.train(stories.map((s) => s.text).join(' '), 20);
    const base = randomModel({ ...tiny, vocabSize: tokenizer.vocabSize, maxLen: 32 }, 8);
    const sizes = { length: 4, promptLength: 4, prompted: 3, unconditional: 2 };
    const lines: string[] = [];
    const before = tf.memory().numTensors;
    await runGenerationEval({ models: { base, a3: base }, tokenizer, seed: 3, quick: true, outDir: join(dir, 'out'), sizes, storiesPath, log: (l) => lines.push(l) });
    expect(tf.memory().numTensors).toBe(before);
    const json = JSON.parse(readFileSync(join(dir, 'out', 'eval-generation.json'), 'utf8')) as GenerationResult;
    for (const key of ['task', 'definitions', 'sampling', 'seed', 'quick', 'config', 'promptIds', 'backend', 'models', 'notes', 'wallSec', 'reference', 'rows', 'files']) expect(json).toHaveProperty(key);
    expect(json.config).toMatchObject({ ...sizes, unconditionalPrompt: expect.stringContaining('<eos>') });
    expect(json.backend).toBe('cpu');
    expect(json.models).toEqual({ base: true, a3: true, mdlm: false });
    expect(json.promptIds).toHaveLength(3);
    expect(json.reference.map((r) => r.setting)).toEqual(['prompted', 'unconditional']);
    const grid = decoderGrid(sizes.length);
    expect(json.rows).toHaveLength(2 * grid.length);
    for (const r of json.rows) {
      if (r.model === 'mdlm') {
        expect(r.ran).toBe(false);
        continue;
      }
      expect(r.ran).toBe(true);
      if (!r.ran) continue;
      for (const col of Object.values(r.perSample)) expect(col).toHaveLength(r.setting === 'prompted' ? 3 : 2);
      for (const key of ['genPpl', 'meanSampleGenPpl', 'meanNll', 'nllStdErr', 'distinct', 'sampleDistinct', 'meanNfe', 'tokensPerSec', 'msPerSample']) expect(r.aggregate).toHaveProperty(key);
      expect(Number.isFinite(r.aggregate.genPpl)).toBe(true);
      expect(r.wallSec).toBeGreaterThan(0);
      expect(r.examples[0].tokens).toHaveLength(sizes.length);
    }
    expect(json.notes.join(' ')).toMatch(/mdlm/);
    expect(lines).toHaveLength(json.rows.length);
    const doc = parseSvg(readFileSync(join(dir, 'out', 'quality-vs-forwards.svg'), 'utf8'));
    expect(doc.querySelectorAll('g.ppl-series path.series')).toHaveLength(2 * 5); // 5 families ran (no diffusion), 2 settings
    expect(plotData(json).points).toHaveLength(json.rows.filter((r) => r.ran).length);
    // Prompts: a seeded, deterministic pick; unconditional = <eos> alone; one seed per sample, shared by every decoder.
    const picked = pickWindows(storiesPath, tokenizer, sizes, 3);
    expect(picked.map((w) => w.id)).toEqual(pickWindows(storiesPath, tokenizer, sizes, 3).map((w) => w.id));
    expect(picked.map((w) => w.id).slice(0, 3)).toEqual(json.promptIds);
    const cases = promptCases(picked, sizes, 3);
    expect(cases.prompted.map((c) => [c.tokens.length, c.seed])).toEqual([[4, 3], [4, 4], [4, 5]]);
    expect(cases.unconditional.map((c) => c.tokens)).toEqual([[SPECIAL_TOKENS.eos], [SPECIAL_TOKENS.eos]]);
  });
});
