/**
 * Generation quality vs. speed (issue 7, item 3), the Node side: pick the
 * prompts, run the decoder grid of lib/eval/generation-quality.ts in two
 * settings (prompted: the first tokens of held-out story windows;
 * unconditional: a lone <eos>, the document separator the models were trained
 * on), and write <outDir>/eval-generation.json and the plot
 * <outDir>/quality-vs-forwards.svg (gen-PPL and distinct-2 against forwards).
 *
 * Called by `scripts/eval-generation.ts` on its own, and meant to be called by
 * `scripts/eval.ts` (runGenerationEval) as one part of `npm run eval`.
 */
import * as tf from '@tensorflow/tfjs';
import * as d3 from 'd3';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRng, randomPermutation } from '@/lib/a3/random';
import { SPECIAL_TOKENS, type Tokenizer } from '@/lib/a3/tokenizer';
import {
  aggregateSamples,
  decoderGrid,
  FAMILY_LABELS,
  GENERATION_SAMPLING,
  generateContinuation,
  generativeNlls,
  plannedForwards,
  runGenerationConfig,
  type DecoderFamily,
  type GenAggregate,
  type GenDecoder,
  type GenerationModels,
  type GenSample,
  type PromptCase,
} from '@/lib/eval/generation-quality';
import { ROOT } from './data';

export type Setting = 'prompted' | 'unconditional';

/** Sizes of one run. Quick keeps CI under a minute or two on 2 cores; full is sized for ~10 minutes. */
export interface GenerationSizes {
  length: number;
  promptLength: number;
  prompted: number;
  unconditional: number;
}

export const QUICK_SIZES: GenerationSizes = { length: 16, promptLength: 16, prompted: 16, unconditional: 8 };
export const FULL_SIZES: GenerationSizes = { length: 32, promptLength: 16, prompted: 96, unconditional: 48 };

/** Per-sample figures are kept for every sample (as columns); text and tokens only for the first few, so the JSON stays small. */
const EXAMPLES_PER_ROW = 3;

export interface RanRow {
  setting: Setting;
  family: DecoderFamily;
  decoder: string;
  model: GenDecoder['model'];
  param: number;
  ran: true;
  plannedForwards: number | null;
  aggregate: GenAggregate;
  /** Decoding + scoring of this row, seconds. */
  wallSec: number;
  /** Column i = sample i: prompt promptIds[i] (prompted) or unconditional-i, seed as in `sampling.note`; gen-PPL = exp(nll). */
  perSample: { nfe: number[]; ms: number[]; nll: number[] };
  examples: { id: string; text?: string; tokens: number[] }[];
}

export interface SkippedRow {
  setting: Setting;
  family: DecoderFamily;
  decoder: string;
  model: GenDecoder['model'];
  param: number;
  ran: false;
  skipped: string;
}

export type GenerationRow = RanRow | SkippedRow;

export interface ReferenceRow {
  setting: Setting;
  description: string;
  aggregate: GenAggregate;
}

export interface GenerationResult {
  task: string;
  definitions: Record<string, string>;
  sampling: typeof GENERATION_SAMPLING & { note: string };
  seed: number;
  quick: boolean;
  config: GenerationSizes & { unconditionalPrompt: string; grid: (GenDecoder & { plannedForwards: number | null })[] };
  promptIds: string[];
  backend: string;
  models: Record<'base' | 'a3' | 'mdlm', boolean>;
  notes: string[];
  wallSec: { total: number; prompted: number; unconditional: number };
  reference: ReferenceRow[];
  rows: GenerationRow[];
  files: { json: string; svg: string };
}

export interface GenerationEvalOptions {
  models: GenerationModels;
  tokenizer: Tokenizer;
  seed: number;
  quick: boolean;
  outDir: string;
  /** Overrides QUICK_SIZES / FULL_SIZES (tests, experiments). */
  sizes?: GenerationSizes;
  /** Held-out windows file; default data/heldout-stories.jsonl. */
  storiesPath?: string;
  log?: (line: string) => void;
}

interface Window {
  id: string;
  text: string;
}

export async function runGenerationEval(opts: GenerationEvalOptions): Promise<GenerationResult> {
  const started = performance.now();
  const sizes = opts.sizes ?? (opts.quick ? QUICK_SIZES : FULL_SIZES);
  const log = opts.log ?? ((line: string) => console.log(line));
  const L = sizes.length;
  const picked = pickWindows(opts.storiesPath ?? join(ROOT, 'data', 'heldout-stories.jsonl'), opts.tokenizer, sizes, opts.seed);
  const cases = promptCases(picked, sizes, opts.seed);
  const grid = decoderGrid(L);
  const notes: string[] = [];
  for (const m of ['a3', 'mdlm'] as const) if (!opts.models[m]) notes.push(`the ${m} model is missing: its rows are skipped`);
  await warmUp(grid, opts.models, (cases.prompted[0] ?? cases.unconditional[0]).tokens);

  const reference = await referenceRows(opts.models, picked, sizes);
  const rows: GenerationRow[] = [];
  const wall = { prompted: 0, unconditional: 0 };
  for (const setting of ['prompted', 'unconditional'] as const) {
    const t0 = performance.now();
    for (const d of grid) {
      const row = await runRow(setting, d, cases[setting], L, opts);
      rows.push(row);
      log(rowLine(row));
    }
    wall[setting] = (performance.now() - t0) / 1000;
  }

  const files = { json: join(opts.outDir, 'eval-generation.json'), svg: join(opts.outDir, 'quality-vs-forwards.svg') };
  const result: GenerationResult = {
    task: 'generation quality vs. speed: continue each prompt by exactly L tokens with every decoder configuration; score by the base AR model (gen-PPL) and distinct-n; time the decoding alone',
    definitions: {
      genPpl: 'exp(mean NLL of the generated tokens under the base AR model (arForward, causal content stream) given the prompt and the tokens before them); prompt tokens are not scored; pooled over all samples (= geometric mean of per-sample gen-PPL, MDLM\'s definition). meanSampleGenPpl = arithmetic mean of per-sample values',
      distinct: 'distinct-n = |unique n-grams| / |n-grams| over the generated token ids of all samples of a row (n-grams never cross samples); sampleDistinct = the same per sample, averaged',
      forwards: 'aggregate.meanNfe = model forwards per sample as counted by the decoder (speculative: draft + verify forwards, data-dependent); plannedForwards = what the configuration fixes (null for speculative)',
      tokensPerSec: 'generated tokens / decoding seconds (scoring excluded), summed over samples; same backend, same process, one row after another',
      ar: 'AR = decodeAR on the base model with its KV cache (one content row per forward), like the A3 decoders',
      reference: 'the held-out text itself scored the same way: prompted = the true next L tokens of each window; unconditional = the first L tokens of each window after <eos>',
    },
    sampling: { ...GENERATION_SAMPLING, note: 'temperature 1, no top-k/top-p: each model\'s own joint, the setting of MDLM\'s gen PPL; sample i uses seed (seed + i) for prompted and (seed + 100000 + i) for unconditional, the same for every decoder' },
    seed: opts.seed,
    quick: opts.quick,
    config: { ...sizes, unconditionalPrompt: `<eos> (id ${SPECIAL_TOKENS.eos}): the document separator of the training stream`, grid: grid.map((d) => ({ ...d, plannedForwards: plannedForwards(d, L) })) },
    promptIds: cases.prompted.map((c) => c.id),
    backend: tf.getBackend(),
    models: { base: true, a3: Boolean(opts.models.a3), mdlm: Boolean(opts.models.mdlm) },
    notes,
    wallSec: { total: (performance.now() - started) / 1000, ...wall },
    reference,
    rows,
    files,
  };
  mkdirSync(opts.outDir, { recursive: true });
  writeFileSync(files.svg, qualityVsForwardsSvg(plotData(result), { length: L, samples: { prompted: sizes.prompted, unconditional: sizes.unconditional } }));
  result.wallSec.total = (performance.now() - started) / 1000;
  writeFileSync(files.json, JSON.stringify(result, null, 2) + '\n');
  return result;
}

// ---------------------------------------------------------------------------
// prompts

/** Windows long enough for prompt + L true tokens, in a seeded order (deterministic). */
export function pickWindows(path: string, tokenizer: Tokenizer, sizes: GenerationSizes, seed: number): { id: string; tokens: number[] }[] {
  const windows: Window[] = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
  const need = sizes.promptLength + sizes.length;
  const eligible = windows.map((w) => ({ id: w.id, tokens: tokenizer.encode(w.text) })).filter((w) => w.tokens.length >= need);
  const count = Math.max(sizes.prompted, sizes.unconditional);
  if (eligible.length < count) throw new Error(`only ${eligible.length} held-out windows have ${need} tokens; ${count} needed`);
  const order = randomPermutation(eligible.length, makeRng(seed));
  return Array.from(order.slice(0, count), (i) => eligible[i]);
}

export function promptCases(picked: { id: string; tokens: number[] }[], sizes: GenerationSizes, seed: number): Record<Setting, PromptCase[]> {
  return {
    prompted: picked.slice(0, sizes.prompted).map((w, i) => ({ id: w.id, tokens: w.tokens.slice(0, sizes.promptLength), seed: seed + i })),
    unconditional: Array.from({ length: sizes.unconditional }, (_, i) => ({ id: `unconditional-${i}`, tokens: [SPECIAL_TOKENS.eos], seed: seed + 100000 + i })),
  };
}

/** The held-out text scored like a sample: what gen-PPL and distinct-n look like for real text. */
async function referenceRows(models: GenerationModels, picked: { id: string; tokens: number[] }[], sizes: GenerationSizes): Promise<ReferenceRow[]> {
  const P = sizes.promptLength;
  const L = sizes.length;
  const make = async (setting: Setting, context: number[][], generated: number[][], description: string): Promise<ReferenceRow> => {
    const nlls = await generativeNlls(models.base, context, generated);
    const samples: GenSample[] = generated.map((tokens, i) => {
      const nll = nlls[i].reduce((a, b) => a + b, 0) / L;
      return { id: picked[i].id, seed: 0, tokens, nfe: 0, ms: 0, nll, genPpl: Math.exp(nll) };
    });
    return { setting, description, aggregate: aggregateSamples(samples, L) };
  };
  const pw = picked.slice(0, sizes.prompted);
  const uw = picked.slice(0, sizes.unconditional);
  return [
    await make('prompted', pw.map((w) => w.tokens.slice(0, P)), pw.map((w) => w.tokens.slice(P, P + L)), 'held-out text: the true next L tokens after each prompt'),
    await make('unconditional', uw.map(() => [SPECIAL_TOKENS.eos]), uw.map((w) => w.tokens.slice(0, L)), 'held-out text: the first L tokens of each window, after <eos>'),
  ];
}

// ---------------------------------------------------------------------------
// rows

/** One short decode per configuration before any timing: the first forwards of a process are slow. */
async function warmUp(grid: GenDecoder[], models: GenerationModels, prompt: number[]): Promise<void> {
  const length = 4;
  for (const d of grid) if (models[d.model] && (d.family !== 'mdlm-diffusion' || d.param <= length)) await generateContinuation(d, models, prompt, length, 0);
}

async function runRow(setting: Setting, d: GenDecoder, cases: PromptCase[], length: number, opts: GenerationEvalOptions): Promise<GenerationRow> {
  const base = { setting, family: d.family, decoder: d.name, model: d.model, param: d.param };
  if (!opts.models[d.model]) return { ...base, ran: false, skipped: `the ${d.model} model is missing` };
  const t0 = performance.now();
  const run = await runGenerationConfig(d, cases, opts.models, { length, tokenizer: opts.tokenizer });
  return {
    ...base,
    ran: true,
    plannedForwards: run.plannedForwards,
    aggregate: run.aggregate,
    wallSec: (performance.now() - t0) / 1000,
    perSample: { nfe: run.samples.map((s) => s.nfe), ms: run.samples.map((s) => round(s.ms, 1)), nll: run.samples.map((s) => round(s.nll, 5)) },
    examples: run.samples.slice(0, EXAMPLES_PER_ROW).map(({ id, text, tokens }) => ({ id, text, tokens })),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function rowLine(r: GenerationRow): string {
  if (!r.ran) return `${r.setting.padEnd(13)} ${r.decoder.padEnd(32)} skipped: ${r.skipped}`;
  const a = r.aggregate;
  return `${r.setting.padEnd(13)} ${r.decoder.padEnd(32)} NFE ${a.meanNfe.toFixed(1).padStart(5)}  gen-PPL ${a.genPpl.toFixed(1).padStart(7)}  distinct-2 ${a.distinct[2].toFixed(3)}  ${a.tokensPerSec.toFixed(0).padStart(5)} tok/s  (${r.wallSec.toFixed(1)} s)`;
}

/** The summary table (markdown) of a result: one line per row and the references. */
export function generationTable(result: GenerationResult): string {
  const lines = ['| setting | decoder | forwards | gen-PPL [95% CI] | distinct-2 | tokens/s | ms/sample |', '|---|---|---|---|---|---|---|'];
  for (const ref of result.reference) {
    const a = ref.aggregate;
    lines.push(`| ${ref.setting} | held-out text | – | ${pplWithCi(a)} | ${a.distinct[2].toFixed(3)} | – | – |`);
  }
  for (const r of result.rows) {
    if (!r.ran) {
      lines.push(`| ${r.setting} | ${r.decoder} | skipped | | | | |`);
      continue;
    }
    const a = r.aggregate;
    lines.push(`| ${r.setting} | ${r.decoder} | ${a.meanNfe.toFixed(1)} | ${pplWithCi(a)} | ${a.distinct[2].toFixed(3)} | ${a.tokensPerSec.toFixed(0)} | ${a.msPerSample.toFixed(0)} |`);
  }
  return lines.join('\n');
}

/** gen-PPL with exp(meanNll ± 1.96 se): the interval of the per-sample mean NLL, mapped through exp. */
function pplWithCi(a: GenAggregate): string {
  const half = 1.96 * a.nllStdErr;
  return Number.isFinite(half) ? `${a.genPpl.toFixed(1)} [${Math.exp(a.meanNll - half).toFixed(0)}, ${Math.exp(a.meanNll + half).toFixed(0)}]` : a.genPpl.toFixed(1);
}

// ---------------------------------------------------------------------------
// the plot

export interface PlotPoint {
  setting: Setting;
  family: DecoderFamily;
  forwards: number;
  genPpl: number;
  distinct2: number;
}

export interface PlotData {
  points: PlotPoint[];
  /** Held-out text, prompted setting: horizontal reference lines. */
  reference?: { genPpl: number; distinct2: number };
}

export function plotData(result: Pick<GenerationResult, 'rows' | 'reference'>): PlotData {
  const points = result.rows.flatMap((r) => (r.ran ? [{ setting: r.setting, family: r.family, forwards: r.aggregate.meanNfe, genPpl: r.aggregate.genPpl, distinct2: r.aggregate.distinct[2] }] : []));
  const ref = result.reference.find((r) => r.setting === 'prompted');
  return { points, reference: ref ? { genPpl: ref.aggregate.genPpl, distinct2: ref.aggregate.distinct[2] } : undefined };
}

const FAMILY_ORDER: DecoderFamily[] = ['ar', 'a3-groupwise', 'a3-dynamic-confidence', 'a3-dynamic-entropy', 'a3-speculative', 'mdlm-diffusion'];
const FAMILY_COLORS: Record<DecoderFamily, string> = {
  ar: '#1f2328',
  'a3-groupwise': '#3a6fc4',
  'a3-dynamic-confidence': '#1a9850',
  'a3-dynamic-entropy': '#8e44ad',
  'a3-speculative': '#f0a30a',
  'mdlm-diffusion': '#d95f02',
};
const SETTING_DASH: Record<Setting, string | null> = { prompted: null, unconditional: '5,3' };

const WIDTH = 640;
const HEIGHT = 400;
const MAIN = { left: 64, right: 402, top: 48, bottom: 300 };
const SIDE = { left: 466, right: 626, top: 48, bottom: 300 };

function esc(s: string | number): string {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function tag(name: string, attrs: Record<string, string | number | null | undefined>, body = ''): string {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => ` ${k}="${esc(v as string | number)}"`)
    .join('');
  return body ? `<${name}${a}>${body}</${name}>` : `<${name}${a}/>`;
}

function text(x: number, y: number, s: string, attrs: Record<string, string | number | null> = {}): string {
  return tag('text', { x: x.toFixed(1), y: y.toFixed(1), ...attrs }, esc(s));
}

/** log2 x axis over the forwards of the data, ticks at powers of two. */
function forwardsScale(points: PlotPoint[], range: [number, number]): { x: d3.ScaleLogarithmic<number, number>; ticks: number[] } {
  const [lo, hi] = d3.extent(points, (p) => p.forwards) as [number, number];
  const x = d3.scaleLog().base(2).domain([lo / 1.25, hi * 1.25]).range(range);
  const ticks = d3.range(Math.ceil(Math.log2(lo / 1.25)), Math.floor(Math.log2(hi * 1.25)) + 1).map((k) => 2 ** k);
  return { x, ticks };
}

function xAxis(x: d3.ScaleLogarithmic<number, number>, ticks: number[], box: typeof MAIN): string {
  const parts = [tag('line', { x1: box.left, x2: box.right, y1: box.bottom, y2: box.bottom, stroke: '#8a9099' })];
  for (const t of ticks) {
    const px = x(t);
    parts.push(tag('line', { x1: px.toFixed(1), x2: px.toFixed(1), y1: box.top, y2: box.bottom, stroke: '#eef0f3' }));
    parts.push(tag('line', { x1: px.toFixed(1), x2: px.toFixed(1), y1: box.bottom, y2: box.bottom + 4, stroke: '#8a9099' }));
    parts.push(text(px, box.bottom + 15, String(t), { 'text-anchor': 'middle', 'font-size': 10, fill: '#5f6670' }));
  }
  return tag('g', { class: 'x-axis' }, parts.join(''));
}

function yAxis(y: d3.ScaleContinuousNumeric<number, number>, ticks: { value: number; label: string }[], box: typeof MAIN): string {
  const parts = [tag('line', { x1: box.left, x2: box.left, y1: box.top, y2: box.bottom, stroke: '#8a9099' })];
  for (const t of ticks) {
    const py = y(t.value);
    parts.push(tag('line', { x1: box.left, x2: box.right, y1: py.toFixed(1), y2: py.toFixed(1), stroke: '#eef0f3' }));
    parts.push(tag('line', { x1: box.left - 4, x2: box.left, y1: py.toFixed(1), y2: py.toFixed(1), stroke: '#8a9099' }));
    parts.push(text(box.left - 7, py + 3.5, t.label, { 'text-anchor': 'end', 'font-size': 10, fill: '#5f6670' }));
  }
  return tag('g', { class: 'y-axis' }, parts.join(''));
}

/** One path + markers per (family, setting) with data, drawn in `box` with the given y accessor. */
function seriesMarkup(points: PlotPoint[], x: d3.ScaleLogarithmic<number, number>, y: (p: PlotPoint) => number, settings: Setting[], markerClass: string): string {
  const out: string[] = [];
  for (const setting of settings) {
    for (const family of FAMILY_ORDER) {
      const pts = points.filter((p) => p.family === family && p.setting === setting && Number.isFinite(y(p))).sort((a, b) => a.forwards - b.forwards);
      if (pts.length === 0) continue;
      const d = d3.line<PlotPoint>().x((p) => x(p.forwards)).y(y)(pts) ?? '';
      const color = FAMILY_COLORS[family];
      const marks = pts.map((p) => tag('circle', { cx: x(p.forwards).toFixed(1), cy: y(p).toFixed(1), r: 3, fill: setting === 'prompted' ? color : '#ffffff', stroke: color, 'stroke-width': 1.5 }));
      out.push(
        tag('g', { class: markerClass, 'data-family': family, 'data-setting': setting }, tag('path', { class: 'series', 'data-family': family, 'data-setting': setting, d, fill: 'none', stroke: color, 'stroke-width': 1.8, 'stroke-dasharray': SETTING_DASH[setting] }) + marks.join('')),
      );
    }
  }
  return out.join('');
}

function legend(families: DecoderFamily[], settings: Setting[]): string {
  const parts: string[] = [];
  families.forEach((f, i) => {
    const lx = 16 + (i % 3) * 152;
    const ly = 364 + Math.floor(i / 3) * 18;
    parts.push(tag('line', { x1: lx, x2: lx + 18, y1: ly - 3.5, y2: ly - 3.5, stroke: FAMILY_COLORS[f], 'stroke-width': 2.5 }));
    parts.push(tag('circle', { cx: lx + 9, cy: ly - 3.5, r: 3, fill: FAMILY_COLORS[f] }));
    parts.push(text(lx + 23, ly, FAMILY_LABELS[f], { 'font-size': 10.5, fill: '#1f2328' }));
  });
  const keys: { label: string; dash: string | null; color: string; fill: string | null }[] = [
    ...settings.map((s) => ({ label: s, dash: SETTING_DASH[s], color: '#5f6670', fill: s === 'prompted' ? '#5f6670' : '#ffffff' })),
    { label: 'held-out text', dash: '1,3', color: '#8a9099', fill: null },
  ];
  keys.forEach((k, i) => {
    const lx = 486;
    const ly = 346 + i * 18;
    parts.push(tag('line', { x1: lx, x2: lx + 22, y1: ly - 3.5, y2: ly - 3.5, stroke: k.color, 'stroke-width': 1.8, 'stroke-dasharray': k.dash }));
    if (k.fill) parts.push(tag('circle', { cx: lx + 11, cy: ly - 3.5, r: 3, fill: k.fill, stroke: k.color, 'stroke-width': 1.5 }));
    parts.push(text(lx + 27, ly, k.label, { 'font-size': 10.5, fill: '#1f2328' }));
  });
  return tag('g', { class: 'legend' }, parts.join(''));
}

function logTicks(y: d3.ScaleLogarithmic<number, number>): { value: number; label: string }[] {
  const fmt = y.tickFormat(6, '~g');
  return y.ticks().flatMap((v) => (fmt(v) ? [{ value: v, label: fmt(v) }] : []));
}

/**
 * The figure (640x400): gen-PPL (log) against forwards (log2), one line per
 * decoder family and setting (solid = prompted, dashed = unconditional), the
 * held-out text as a dotted reference; a side panel with distinct-2
 * (prompted). d3 scales and d3.line make the geometry; the markup is a string,
 * so no DOM is needed in Node.
 */
export function qualityVsForwardsSvg(data: PlotData, meta: { length: number; samples: Record<Setting, number> }): string {
  const points = data.points.filter((p) => p.forwards > 0 && p.genPpl > 0);
  if (points.length === 0) throw new Error('nothing to plot: no row ran');
  const settings = (['prompted', 'unconditional'] as const).filter((s) => points.some((p) => p.setting === s));
  const families = FAMILY_ORDER.filter((f) => points.some((p) => p.family === f));
  const main = forwardsScale(points, [MAIN.left + 6, MAIN.right - 6]);
  const side = forwardsScale(points, [SIDE.left + 4, SIDE.right - 4]);

  const pplValues = [...points.map((p) => p.genPpl), ...(data.reference ? [data.reference.genPpl] : [])];
  const [pLo, pHi] = d3.extent(pplValues) as [number, number];
  const yPpl = d3.scaleLog().domain([pLo / 1.15, pHi * 1.15]).range([MAIN.bottom, MAIN.top]);
  const prompted = points.filter((p) => p.setting === 'prompted' && Number.isFinite(p.distinct2));
  const dValues = [...prompted.map((p) => p.distinct2), ...(data.reference ? [data.reference.distinct2] : [])];
  const [dLo, dHi] = dValues.length > 0 ? (d3.extent(dValues) as [number, number]) : [0, 1];
  const yDist = d3.scaleLinear().domain([Math.max(0, dLo - 0.05), Math.min(1, dHi + 0.02)]).nice(4).range([SIDE.bottom, SIDE.top]);

  const refLines = data.reference
    ? tag('line', { class: 'reference', x1: MAIN.left, x2: MAIN.right, y1: yPpl(data.reference.genPpl).toFixed(1), y2: yPpl(data.reference.genPpl).toFixed(1), stroke: '#8a9099', 'stroke-width': 1.5, 'stroke-dasharray': '1,3' }) +
      // Labelled at the left end: the right end (most forwards) is where the best decoders meet the line.
      text(MAIN.left + 4, yPpl(data.reference.genPpl) - 4, 'held-out text', { 'text-anchor': 'start', 'font-size': 9.5, fill: '#5f6670' }) +
      tag('line', { class: 'reference', x1: SIDE.left, x2: SIDE.right, y1: yDist(data.reference.distinct2).toFixed(1), y2: yDist(data.reference.distinct2).toFixed(1), stroke: '#8a9099', 'stroke-width': 1.5, 'stroke-dasharray': '1,3' })
    : '';

  const body = [
    tag('rect', { width: WIDTH, height: HEIGHT, fill: '#ffffff' }),
    text(WIDTH / 2, 20, `Generation quality vs. forwards (L = ${meta.length} tokens, temperature 1)`, { class: 'title', 'text-anchor': 'middle', 'font-size': 14, 'font-weight': 600, fill: '#1f2328' }),
    text(WIDTH / 2, 36, `${meta.samples.prompted} prompted + ${meta.samples.unconditional} unconditional samples per point; scored by the base AR model`, { 'text-anchor': 'middle', 'font-size': 10, fill: '#5f6670' }),
    xAxis(main.x, main.ticks, MAIN),
    yAxis(yPpl, logTicks(yPpl), MAIN),
    xAxis(side.x, side.ticks, SIDE),
    yAxis(yDist, yDist.ticks(4).map((v) => ({ value: v, label: d3.format('.2f')(v) })), SIDE),
    refLines,
    seriesMarkup(points, main.x, (p) => yPpl(p.genPpl), settings, 'ppl-series'),
    seriesMarkup(prompted, side.x, (p) => yDist(p.distinct2), ['prompted'], 'distinct-series'),
    text((MAIN.left + MAIN.right) / 2, MAIN.bottom + 32, 'forwards per sample (NFE, log₂ scale)', { class: 'axis-label x-label', 'text-anchor': 'middle', 'font-size': 11, fill: '#1f2328' }),
    text(16, (MAIN.top + MAIN.bottom) / 2, 'gen-PPL under base AR (log scale)', { class: 'axis-label y-label', 'text-anchor': 'middle', 'font-size': 11, fill: '#1f2328', transform: `rotate(-90 16 ${(MAIN.top + MAIN.bottom) / 2})` }),
    text((SIDE.left + SIDE.right) / 2, SIDE.bottom + 32, 'forwards (log₂)', { class: 'axis-label x-label', 'text-anchor': 'middle', 'font-size': 11, fill: '#1f2328' }),
    text(SIDE.left - 38, (SIDE.top + SIDE.bottom) / 2, 'distinct-2 (prompted)', { class: 'axis-label y-label', 'text-anchor': 'middle', 'font-size': 11, fill: '#1f2328', transform: `rotate(-90 ${SIDE.left - 38} ${(SIDE.top + SIDE.bottom) / 2})` }),
    legend(families, settings),
  ].join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n${tag('svg', { xmlns: 'http://www.w3.org/2000/svg', width: WIDTH, height: HEIGHT, viewBox: `0 0 ${WIDTH} ${HEIGHT}`, 'font-family': 'system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif' }, body)}\n`;
}
