/**
 * Story infilling (the paper's ROCStories-style task on our held-out
 * 5-sentence windows): the middle sentence (index 2) is masked, prefix =
 * sentences 0-1, suffix = sentences 3-4, and the gap is exactly as long as the
 * true sentence's token count. A decoder fills it; ROUGE compares the filled
 * text with the true sentence.
 *
 * Tokenisation: prefix, " " + middle and " " + suffix are encoded separately
 * (the pre-tokenizer splits before a space, so this matches encoding the whole
 * text up to the boundaries), which keeps the gap on token edges.
 */
import { decodeAR } from '../a3/decode/ar';
import { decodeDiffusion } from '../a3/decode/diffusion';
import { decodeDynamic } from '../a3/decode/dynamic';
import { decodeGroupwise } from '../a3/decode/groupwise';
import type { SamplingOptions } from '../a3/decode/sampling';
import type { DecodeProblem } from '../a3/decode/session';
import { decodeSpeculative } from '../a3/decode/speculative';
import { MASK_TOKEN } from '../a3/mdlm';
import type { A3Model } from '../a3/model';
import type { Tokenizer } from '../a3/tokenizer';
import { rouge, type RougeScores } from './rouge';

export interface StoryWindow {
  id: string;
  source: string;
  sentences: string[];
  text: string;
}

/** Every decoder of the comparison. `model` says which weights it runs on. */
export type InfillDecoder =
  | { name: string; kind: 'ar'; model: 'base' }
  | { name: string; kind: 'groupwise'; model: 'a3'; groupSize: number }
  | { name: string; kind: 'dynamic'; model: 'a3'; score: 'confidence' | 'entropy'; perStep: number }
  | { name: string; kind: 'speculative'; model: 'a3'; draft: number }
  | { name: string; kind: 'diffusion'; model: 'mdlm' };

export const INFILL_DECODERS: InfillDecoder[] = [
  { name: 'AR (base, prefix only)', kind: 'ar', model: 'base' },
  { name: 'A3 group-wise s=1', kind: 'groupwise', model: 'a3', groupSize: 1 },
  { name: 'A3 group-wise s=2', kind: 'groupwise', model: 'a3', groupSize: 2 },
  { name: 'A3 group-wise s=4', kind: 'groupwise', model: 'a3', groupSize: 4 },
  { name: 'A3 dynamic k=1 (confidence)', kind: 'dynamic', model: 'a3', score: 'confidence', perStep: 1 },
  { name: 'A3 dynamic k=1 (entropy)', kind: 'dynamic', model: 'a3', score: 'entropy', perStep: 1 },
  { name: 'A3 speculative (draft 4)', kind: 'speculative', model: 'a3', draft: 4 },
  { name: 'MDLM diffusion (steps = gap)', kind: 'diffusion', model: 'mdlm' },
];

/** Greedy everywhere: the comparison is deterministic. */
export const INFILL_SAMPLING: SamplingOptions = { greedy: true };

export interface InfillSetup {
  prefix: number[];
  middle: number[];
  suffix: number[];
  problem: DecodeProblem;
  gapStart: number;
  gapLength: number;
}

/** Tokens of the masked-middle problem of one window. */
export function infillSetup(window: StoryWindow, tokenizer: Tokenizer): InfillSetup {
  if (window.sentences.length !== 5) throw new Error(`window ${window.id} has ${window.sentences.length} sentences, expected 5`);
  const [s0, s1, s2, s3, s4] = window.sentences;
  const prefix = tokenizer.encode(`${s0} ${s1}`);
  const middle = tokenizer.encode(` ${s2}`);
  const suffix = tokenizer.encode(` ${s3} ${s4}`);
  const tokens = [...prefix, ...middle.map(() => MASK_TOKEN), ...suffix];
  const given = [...prefix.map(() => true), ...middle.map(() => false), ...suffix.map(() => true)];
  return { prefix, middle, suffix, problem: { tokens, given }, gapStart: prefix.length, gapLength: middle.length };
}

export interface InfillResult {
  id: string;
  decoder: string;
  gapLength: number;
  /** Tokens generated for the gap (always gapLength of them). */
  gapTokens: number[];
  filled: string;
  reference: string;
  rouge: RougeScores;
  nfe: number;
  ms: number;
}

export interface InfillModels {
  base?: A3Model;
  a3?: A3Model;
  mdlm?: A3Model;
}

/** Fill the middle sentence of `window` with `decoder`; throws if the decoder's model is missing. */
export async function infillStory(window: StoryWindow, tokenizer: Tokenizer, decoder: InfillDecoder, models: InfillModels, seed = 0): Promise<InfillResult> {
  const setup = infillSetup(window, tokenizer);
  const model = models[decoder.model];
  if (!model) throw new Error(`decoder "${decoder.name}" needs the ${decoder.model} model`);
  const sampling = INFILL_SAMPLING;
  const t0 = performance.now();
  let gapTokens: number[];
  let nfe: number;
  if (decoder.kind === 'ar') {
    // The AR model sees the prefix only; no stop token: exactly gapLength tokens.
    gapTokens = (await decodeAR(model, setup.prefix, { length: setup.gapLength, sampling, seed })).tokens.slice(setup.prefix.length);
    nfe = setup.gapLength;
  } else {
    // The decoders return a promise (async reads, for WebGPU); `await` also accepts a plain trace.
    const trace = await (
      decoder.kind === 'groupwise'
        ? decodeGroupwise(model, setup.problem, { groupSize: decoder.groupSize, seed, sampling })
        : decoder.kind === 'dynamic'
          ? decodeDynamic(model, setup.problem, { perStep: decoder.perStep, score: decoder.score, seed, sampling })
          : decoder.kind === 'speculative'
            ? decodeSpeculative(model, setup.problem, { draft: decoder.draft, seed, sampling })
            : decodeDiffusion(model, setup.problem, { steps: setup.gapLength, seed, sampling })
    );
    gapTokens = trace.tokens.slice(setup.gapStart, setup.gapStart + setup.gapLength);
    nfe = trace.nfe;
  }
  if (gapTokens.length !== setup.gapLength) throw new Error(`decoder "${decoder.name}" produced ${gapTokens.length} tokens for a gap of ${setup.gapLength}`);
  const filled = tokenizer.decode(gapTokens, { skipSpecials: true }).trim();
  const reference = window.sentences[2];
  return { id: window.id, decoder: decoder.name, gapLength: setup.gapLength, gapTokens, filled, reference, rouge: rouge(filled, reference), nfe, ms: performance.now() - t0 };
}

/** Windows whose whole 5 sentences fit the model's context (the A3 and diffusion problems hold all of them). */
export function fitsContext(window: StoryWindow, tokenizer: Tokenizer, maxLen: number): boolean {
  const s = infillSetup(window, tokenizer);
  return s.prefix.length + s.gapLength + s.suffix.length <= maxLen;
}
