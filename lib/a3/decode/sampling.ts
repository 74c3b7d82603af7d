/**
 * The one sampling module: greedy, temperature, top-k, top-p, seeded. Works on
 * a host-side logits row; also reports the model's probability and entropy.
 * Which tokens a fill may contain is decided before any of this, once, by the
 * decode session (special tokens are masked out of every predicted row).
 */
import type { Rng } from '../random';

export interface SamplingOptions {
  greedy?: boolean;
  temperature?: number;
  topK?: number;
  topP?: number;
  /**
   * Let special tokens (<pad>, <bos>, <eos>, <mask>) be sampled. Off by default:
   * the decode session masks them out of every predicted row, for every
   * strategy. Only for toy vocabularies whose ids 0-3 are ordinary tokens.
   */
  allowSpecial?: boolean;
}

export function validateSampling(o: SamplingOptions): void {
  if (o.temperature !== undefined && !(o.temperature >= 0)) throw new Error(`temperature must be >= 0, got ${o.temperature}`);
  if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 1)) throw new Error(`top-k must be an integer >= 1, got ${o.topK}`);
  if (o.topP !== undefined && !(o.topP > 0 && o.topP <= 1)) throw new Error(`top-p must be in (0, 1], got ${o.topP}`);
  if (o.allowSpecial !== undefined && typeof o.allowSpecial !== 'boolean') throw new Error(`allowSpecial must be true or false, got ${String(o.allowSpecial)}`);
}

export function softmax(logits: ArrayLike<number>, temperature = 1): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const p = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    p[i] = Math.exp((logits[i] - max) / temperature);
    sum += p[i];
  }
  for (let i = 0; i < p.length; i++) p[i] /= sum;
  return p;
}

export function entropy(p: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > 0) h -= p[i] * Math.log(p[i]);
  return h;
}

/** The k most probable tokens, best first: one pass, no sort of the whole vocabulary. */
export function topTokens(p: ArrayLike<number>, k: number): { token: number; prob: number }[] {
  const best: { token: number; prob: number }[] = [];
  for (let token = 0; token < p.length; token++) {
    const prob = p[token];
    if (best.length === k && prob <= best[k - 1].prob) continue;
    let at = best.length < k ? best.length : k - 1;
    while (at > 0 && best[at - 1].prob < prob) at--;
    best.splice(at, 0, { token, prob });
    if (best.length > k) best.pop();
  }
  return best;
}

/** The distribution actually sampled from: temperature, then top-k, then top-p (nucleus). */
export function samplingDistribution(logits: ArrayLike<number>, o: SamplingOptions): Float64Array {
  const t = o.temperature ?? 1;
  if (o.greedy || t === 0) {
    const p = new Float64Array(logits.length);
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    p[best] = 1;
    return p;
  }
  const p = softmax(logits, t);
  const restrictK = o.topK !== undefined && o.topK > 0 && o.topK < p.length;
  const restrictP = o.topP !== undefined && o.topP < 1;
  if (!restrictK && !restrictP) return p;
  // Only a truncated distribution needs an order; the plain one is used as is.
  // Non-null topK / topP below: restrictK and restrictP are true only when they are defined.
  const order = restrictK ? topTokens(p, o.topK!).map((x) => x.token) : Array.from(p.keys()).sort((a, b) => p[b] - p[a]);
  let keep = order.length;
  if (restrictP) {
    let mass = 0;
    for (let r = 0; r < order.length; r++) {
      mass += p[order[r]];
      if (mass >= o.topP!) {
        keep = r + 1;
        break;
      }
    }
  }
  const out = new Float64Array(p.length);
  let sum = 0;
  for (let r = 0; r < keep; r++) sum += p[order[r]];
  for (let r = 0; r < keep; r++) out[order[r]] = p[order[r]] / sum;
  return out;
}

/** Draw from a distribution with one uniform number. */
export function drawFrom(p: ArrayLike<number>, rng: Rng): number {
  const u = rng();
  let acc = 0;
  let last = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] <= 0) continue;
    acc += p[i];
    last = i;
    if (u < acc) return i;
  }
  return last;
}

export interface Sampled {
  token: number;
  prob: number;
  entropy: number;
  top: { token: number; prob: number }[];
}

/**
 * The model's distribution (temperature 1) and its entropy in two passes over
 * the row: with m = max and Z = sum exp(l - m), H = log Z - sum p (l - m),
 * which needs no logarithm per token (this runs once per decoded token).
 */
export function softmaxWithEntropy(logits: ArrayLike<number>): { p: Float64Array; entropy: number } {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  const p = new Float64Array(logits.length);
  let sum = 0;
  let weighted = 0;
  for (let i = 0; i < logits.length; i++) {
    const shifted = logits[i] - max;
    const e = Math.exp(shifted);
    p[i] = e;
    sum += e;
    weighted += e * shifted;
  }
  const inv = 1 / sum;
  for (let i = 0; i < p.length; i++) p[i] *= inv;
  return { p, entropy: Math.log(sum) - weighted * inv };
}

export function sampleToken(logits: ArrayLike<number>, o: SamplingOptions, rng: Rng, topK = 5): Sampled {
  const { p: model, entropy: h } = softmaxWithEntropy(logits);
  const plain = !o.greedy && (o.temperature ?? 1) === 1 && !(o.topK && o.topK < logits.length) && !(o.topP !== undefined && o.topP < 1);
  const token = drawFrom(plain ? model : samplingDistribution(logits, o), rng);
  return { token, prob: model[token], entropy: h, top: topTokens(model, topK) };
}
