/**
 * Generation quality vs. speed (issue 7, item 3): continue prompts by a fixed
 * number of tokens L with one decoder configuration, and score the
 * continuations by
 *   - generative perplexity under the base AR model (the paper's Table 2 and
 *     MDLM's "gen PPL"): exp of the mean NLL of the generated tokens given
 *     everything before them; the prompt's tokens are context, never scored;
 *   - distinct-n over token ids (Li et al. 2016), which catches the
 *     degenerate repetition that a low perplexity can hide.
 * plus forwards (NFE), wall time and tokens/s of the decoding alone (scoring
 * is timed separately, so it never flatters or penalises a decoder).
 *
 * Pure TypeScript + tfjs: no Node I/O, so the page or a worker could run it.
 *
 * Longer than most: the metrics, the decoder grid and the run/aggregate loop
 * are one evaluation, kept together so what is scored and how it is timed can be
 * read in one place.
 */
import * as tf from '@tensorflow/tfjs';
import { decodeAR } from '../a3/decode/ar';
import { decodeDiffusion } from '../a3/decode/diffusion';
import { decodeDynamic } from '../a3/decode/dynamic';
import { decodeGroupwise } from '../a3/decode/groupwise';
import type { SamplingOptions } from '../a3/decode/sampling';
import type { DecodeProblem } from '../a3/decode/session';
import { decodeSpeculative } from '../a3/decode/speculative';
import { MASK_TOKEN } from '../a3/mdlm';
import { arForward, type A3Model } from '../a3/model';
import type { Tokenizer } from '../a3/tokenizer';

// ---------------------------------------------------------------------------
// distinct-n

/**
 * distinct-n of a set of token sequences S (corpus level, Li et al. 2016):
 *
 *   distinct-n(S) = |∪_{s∈S} G_n(s)| / Σ_{s∈S} |G_n(s)|
 *
 * where G_n(s) is the multiset of the max(0, len(s) − n + 1) contiguous
 * n-grams of s (token ids; no n-gram spans two sequences) and the numerator
 * counts distinct n-grams over all of S. 1 = no n-gram repeats anywhere; a
 * sampler stuck in a loop, or one that emits the same text for every prompt,
 * scores low. NaN when S has no n-gram at all (every sequence shorter than n).
 */
export function distinctN(sequences: ArrayLike<number>[], n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`n must be an integer >= 1, got ${n}`);
  const seen = new Set<string>();
  let total = 0;
  for (const s of sequences) {
    for (let i = 0; i + n <= s.length; i++) {
      let key = String(s[i]);
      for (let j = 1; j < n; j++) key += ',' + s[i + j];
      seen.add(key);
      total++;
    }
  }
  return total === 0 ? NaN : seen.size / total;
}

/** distinct-n of each sequence on its own, averaged: repetition inside one sample only. */
export function meanSampleDistinctN(sequences: ArrayLike<number>[], n: number): number {
  const values = sequences.map((s) => distinctN([s], n)).filter((v) => !Number.isNaN(v));
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

// ---------------------------------------------------------------------------
// generative perplexity

/**
 * Per-token NLL (nats) of `generated[b]` after `context[b]` under the base
 * model's causal content stream: the logits at position t predict token t+1,
 * so generated token j (at position P+j) is read from row P+j−1. Sequences of
 * equal total length share one batched forward.
 */
export async function generativeNlls(model: A3Model, context: number[][], generated: number[][]): Promise<number[][]> {
  if (context.length !== generated.length) throw new Error(`${context.length} contexts for ${generated.length} continuations`);
  const out: number[][] = new Array(context.length);
  for (const indices of groupByLength(context, generated, model.config.maxLen)) {
    const rows = await nllBatch(model, indices.map((i) => context[i]), indices.map((i) => generated[i]));
    indices.forEach((i, r) => (out[i] = rows[r]));
  }
  return out;
}

/** exp(mean NLL of the generated tokens given the context): one sequence's gen-PPL. */
export async function generativePerplexity(model: A3Model, context: number[], generated: number[]): Promise<number> {
  const [nlls] = await generativeNlls(model, [context], [generated]);
  return Math.exp(mean(nlls));
}

/** Indices grouped by total length (so each group is one [B, T] batch); checks lengths first. */
function groupByLength(context: number[][], generated: number[][], maxLen: number): number[][] {
  const groups = new Map<number, number[]>();
  context.forEach((c, i) => {
    const g = generated[i];
    if (c.length === 0) throw new Error(`sequence ${i}: the context is empty — the first generated token needs one token before it`);
    if (g.length === 0) throw new Error(`sequence ${i}: nothing generated to score`);
    const length = c.length + g.length;
    if (length > maxLen) throw new Error(`sequence ${i}: context + generated is ${length} tokens, longer than the scorer's context of ${maxLen}`);
    groups.set(length, [...(groups.get(length) ?? []), i]);
  });
  return [...groups.values()];
}

async function nllBatch(model: A3Model, context: number[][], generated: number[][]): Promise<number[][]> {
  const T = context[0].length + generated[0].length;
  const tokens = Int32Array.from(context.flatMap((c, b) => [...c, ...generated[b]]));
  // Flat row index (into [B*T, V] logits) and target of every scored token.
  const rows: number[] = [];
  const targets: number[] = [];
  context.forEach((c, b) => generated[b].forEach((tok, j) => (rows.push(b * T + c.length + j - 1), targets.push(tok))));
  const nllT = tf.tidy(() => {
    const logits = arForward(model, { batch: context.length, tokens }).logits;
    const logProbs = tf.logSoftmax(tf.gather(logits, tf.tensor1d(rows, 'int32')));
    return tf.neg(tf.sum(tf.mul(logProbs, tf.oneHot(tf.tensor1d(targets, 'int32'), model.config.vocabSize)), 1));
  });
  const flat = await nllT.data();
  nllT.dispose();
  let at = 0;
  return generated.map((g) => Array.from(flat.subarray(at, (at += g.length))));
}

// ---------------------------------------------------------------------------
// decoders

export type DecoderFamily = 'ar' | 'a3-groupwise' | 'a3-dynamic-confidence' | 'a3-dynamic-entropy' | 'a3-speculative' | 'mdlm-diffusion';

export const FAMILY_LABELS: Record<DecoderFamily, string> = {
  ar: 'AR (base)',
  'a3-groupwise': 'A3 group-wise',
  'a3-dynamic-confidence': 'A3 dynamic (confidence)',
  'a3-dynamic-entropy': 'A3 dynamic (entropy)',
  'a3-speculative': 'A3 speculative',
  'mdlm-diffusion': 'MDLM diffusion',
};

/**
 * One decoder configuration. `param` is the family's knob: ignored for AR,
 * group size s, tokens per step k, draft size, or diffusion steps.
 */
export interface GenDecoder {
  family: DecoderFamily;
  name: string;
  model: 'base' | 'a3' | 'mdlm';
  param: number;
}

export interface GenerationModels {
  /** The base AR model: the AR decoder and the gen-PPL scorer. */
  base: A3Model;
  a3?: A3Model;
  mdlm?: A3Model;
}

/** Pure ancestral sampling: gen-PPL then measures each model's own joint, and speculative stays lossless. */
export const GENERATION_SAMPLING: SamplingOptions = { temperature: 1 };

/** Forwards a configuration makes for L tokens; null where the data decide (speculative). */
export function plannedForwards(d: GenDecoder, length: number): number | null {
  if (d.family === 'ar') return length;
  if (d.family === 'a3-speculative') return null;
  if (d.family === 'mdlm-diffusion') return d.param;
  return Math.ceil(length / d.param);
}

/** The comparison grid for continuations of L tokens: every family at several numbers of forwards. */
export function decoderGrid(length: number): GenDecoder[] {
  const sizes = [1, 2, 4, 8];
  const steps = [...new Set(sizes.map((s) => Math.max(1, Math.floor(length / s))))];
  return [
    { family: 'ar', name: 'AR (base) s=1', model: 'base', param: 1 },
    ...sizes.map((s): GenDecoder => ({ family: 'a3-groupwise', name: `A3 group-wise s=${s}`, model: 'a3', param: s })),
    ...sizes.map((k): GenDecoder => ({ family: 'a3-dynamic-confidence', name: `A3 dynamic k=${k} (confidence)`, model: 'a3', param: k })),
    ...sizes.map((k): GenDecoder => ({ family: 'a3-dynamic-entropy', name: `A3 dynamic k=${k} (entropy)`, model: 'a3', param: k })),
    ...[2, 4, 8].map((d): GenDecoder => ({ family: 'a3-speculative', name: `A3 speculative draft=${d}`, model: 'a3', param: d })),
    ...steps.map((n): GenDecoder => ({ family: 'mdlm-diffusion', name: `MDLM diffusion steps=${n}`, model: 'mdlm', param: n })),
  ];
}

/** Prompt + L open positions: the problem every A3 / diffusion decoder fills. */
export function continuationProblem(prompt: number[], length: number): DecodeProblem {
  return {
    tokens: [...prompt, ...new Array<number>(length).fill(MASK_TOKEN)],
    given: [...prompt.map(() => true), ...new Array<boolean>(length).fill(false)],
  };
}

/** Continue `prompt` by exactly `length` tokens with one configuration. */
export async function generateContinuation(d: GenDecoder, models: GenerationModels, prompt: number[], length: number, seed: number, sampling = GENERATION_SAMPLING): Promise<{ tokens: number[]; nfe: number }> {
  const model = models[d.model];
  if (!model) throw new Error(`decoder "${d.name}" needs the ${d.model} model`);
  if (prompt.length === 0) throw new Error('the prompt is empty: give at least one token (e.g. <eos>, the document separator)');
  // No stop token: every configuration emits exactly `length` tokens, so gen-PPL compares like with like.
  if (d.family === 'ar') return { tokens: (await decodeAR(model, prompt, { length, sampling, seed })).tokens.slice(prompt.length), nfe: length };
  const problem = continuationProblem(prompt, length);
  const trace =
    d.family === 'a3-groupwise'
      ? await decodeGroupwise(model, problem, { groupSize: d.param, seed, sampling })
      : d.family === 'a3-dynamic-confidence' || d.family === 'a3-dynamic-entropy'
        ? await decodeDynamic(model, problem, { perStep: d.param, score: d.family === 'a3-dynamic-entropy' ? 'entropy' : 'confidence', seed, sampling })
        : d.family === 'a3-speculative'
          ? await decodeSpeculative(model, problem, { draft: d.param, seed, sampling })
          : await decodeDiffusion(model, problem, { steps: d.param, seed, sampling });
  return { tokens: trace.tokens.slice(prompt.length), nfe: trace.nfe };
}

// ---------------------------------------------------------------------------
// one configuration over many prompts

export interface PromptCase {
  id: string;
  tokens: number[];
  /** Sampling seed of this case: the same for every decoder. */
  seed: number;
}

export interface GenSample {
  id: string;
  seed: number;
  /** The L generated tokens (prompt excluded). */
  tokens: number[];
  text?: string;
  nfe: number;
  /** Decoding wall time (scoring excluded). */
  ms: number;
  /** Mean per-token NLL (nats) under the base model; genPpl = exp(nll). */
  nll: number;
  genPpl: number;
}

export interface GenAggregate {
  samples: number;
  length: number;
  /** exp(mean NLL over every generated token): MDLM's gen PPL; the geometric mean of the per-sample values. */
  genPpl: number;
  /** Arithmetic mean of the per-sample gen-PPLs (dominated by the worst samples). */
  meanSampleGenPpl: number;
  meanNll: number;
  /** Standard error of the per-sample mean NLL: genPpl's 95% interval is exp(meanNll ± 1.96 se). */
  nllStdErr: number;
  /** Corpus-level distinct-n over the generated tokens of all samples (see distinctN). */
  distinct: { 1: number; 2: number; 3: number };
  /** distinct-n of each sample alone, averaged. */
  sampleDistinct: { 1: number; 2: number; 3: number };
  meanNfe: number;
  /** Generated tokens / decoding seconds, summed over samples. */
  tokensPerSec: number;
  msPerSample: number;
}

export interface GenerationRun {
  decoder: GenDecoder;
  plannedForwards: number | null;
  samples: GenSample[];
  aggregate: GenAggregate;
}

export interface RunOptions {
  length: number;
  sampling?: SamplingOptions;
  /** Decodes `text` for each sample when given. */
  tokenizer?: Pick<Tokenizer, 'decode'>;
}

/** Decode every prompt with `decoder` (timed), then score all continuations with the base model. */
export async function runGenerationConfig(decoder: GenDecoder, prompts: PromptCase[], models: GenerationModels, o: RunOptions): Promise<GenerationRun> {
  if (prompts.length === 0) throw new Error('no prompts to continue');
  const decoded: { tokens: number[]; nfe: number; ms: number }[] = [];
  for (const p of prompts) {
    const t0 = performance.now();
    const out = await generateContinuation(decoder, models, p.tokens, o.length, p.seed, o.sampling ?? GENERATION_SAMPLING);
    if (out.tokens.length !== o.length) throw new Error(`decoder "${decoder.name}" produced ${out.tokens.length} tokens, expected ${o.length}`);
    decoded.push({ ...out, ms: performance.now() - t0 });
  }
  const nlls = await generativeNlls(models.base, prompts.map((p) => p.tokens), decoded.map((d) => d.tokens));
  const samples = decoded.map((d, i): GenSample => {
    const nll = mean(nlls[i]);
    const text = o.tokenizer?.decode(d.tokens, { skipSpecials: true });
    return { id: prompts[i].id, seed: prompts[i].seed, tokens: d.tokens, ...(text === undefined ? {} : { text }), nfe: d.nfe, ms: d.ms, nll, genPpl: Math.exp(nll) };
  });
  return { decoder, plannedForwards: plannedForwards(decoder, o.length), samples, aggregate: aggregateSamples(samples, o.length) };
}

/** The aggregates of one configuration (pure: tested on hand-made samples). */
export function aggregateSamples(samples: GenSample[], length: number): GenAggregate {
  const seqs = samples.map((s) => s.tokens);
  const nll = samples.map((s) => s.nll);
  const meanNll = mean(nll);
  const sd = Math.sqrt(nll.reduce((a, x) => a + (x - meanNll) ** 2, 0) / Math.max(1, nll.length - 1));
  const totalMs = samples.reduce((a, s) => a + s.ms, 0);
  const tokens = samples.reduce((a, s) => a + s.tokens.length, 0);
  const by = (f: (s: ArrayLike<number>[], n: number) => number) => ({ 1: f(seqs, 1), 2: f(seqs, 2), 3: f(seqs, 3) });
  return {
    samples: samples.length,
    length,
    // Every sample has `length` tokens, so the mean of per-sample means is the mean over all tokens.
    genPpl: Math.exp(meanNll),
    meanSampleGenPpl: mean(samples.map((s) => s.genPpl)),
    meanNll,
    nllStdErr: samples.length > 1 ? sd / Math.sqrt(samples.length) : NaN,
    distinct: by(distinctN),
    sampleDistinct: by(meanSampleDistinctN),
    meanNfe: mean(samples.map((s) => s.nfe)),
    tokensPerSec: tokens / (totalMs / 1000),
    msPerSample: totalMs / samples.length,
  };
}

function mean(xs: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i];
  return sum / xs.length;
}
