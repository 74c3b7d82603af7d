/**
 * The masked-diffusion baseline (MDLM / LLaDA style) on the same network:
 * bidirectional attention (every position in group 0, content stream only),
 * a `<mask>` input token, masking ratio t ~ U(0,1), and a loss on masked
 * positions weighted 1/t. Its NLL is an upper bound (the ELBO), unlike A3's
 * exact likelihood: reports must say which is which.
 */
import * as tf from '@tensorflow/tfjs';
import { forwardRows, logitsFromStates, type A3Model } from './model';
import { flatTargetIndex, weightedCrossEntropySum } from './ops';
import { makeRng } from './random';
import { MASK_TOKEN } from './tokenizer';

/** Defined with the tokenizer's special tokens; re-exported for the modules that import it from here. */
export { MASK_TOKEN };

/**
 * Logits at every position, attending to every position (no causal mask):
 * [B*T, V], or only at `rows` (flat indices into B*T) — a decoder needs the
 * open positions only, and the LM head is most of a small model's step.
 * `head`: a precomputed headMatrix (a decoder makes it once per run).
 */
export function bidirectionalLogits(model: A3Model, batch: number, tokens: Int32Array, rows?: number[], head?: tf.Tensor2D): tf.Tensor2D {
  const length = tokens.length / batch;
  const positions = new Int32Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) positions[i] = i % length;
  const input = {
    batch,
    content: { tokens, positions, gids: new Int32Array(tokens.length) },
    query: { positions: new Int32Array(0), gids: new Int32Array(0) },
  };
  return tf.tidy(() => {
    // contentOutput: true always returns the content states.
    const states = forwardRows(model, input, { contentOutput: true }).content!.reshape([tokens.length, model.config.dModel]);
    return logitsFromStates(model, rows ? tf.gather(states, tf.tensor1d(rows, 'int32')) : states, head);
  });
}

export interface Corruption {
  /** Input with masked positions replaced by <mask>. */
  input: Int32Array;
  /** Per-position loss weight: 1/t at masked positions, 0 elsewhere. */
  weights: Float32Array;
  /** Masking ratio of each sequence. */
  ratios: Float32Array;
}

/**
 * Mask each position of sequence b with probability t_b. `ratios` fixes t per
 * sequence (evaluation); otherwise t ~ U(0,1). At least one position is masked.
 */
export function corrupt(tokens: Int32Array, batch: number, seed: number, ratios?: ArrayLike<number>): Corruption {
  const rng = makeRng(seed);
  const length = tokens.length / batch;
  const input = Int32Array.from(tokens);
  const weights = new Float32Array(tokens.length);
  const ts = new Float32Array(batch);
  for (let b = 0; b < batch; b++) {
    // Keep t away from 0: the 1/t weight would explode on a near-empty mask.
    const t = ratios ? ratios[b] : Math.max(1e-3, rng());
    ts[b] = t;
    let any = false;
    for (let i = b * length; i < (b + 1) * length; i++) {
      if (rng() < t) {
        input[i] = MASK_TOKEN;
        weights[i] = 1 / t;
        any = true;
      }
    }
    if (!any) {
      const i = b * length + Math.floor(rng() * length);
      input[i] = MASK_TOKEN;
      weights[i] = 1 / t;
    }
  }
  return { input, weights, ratios: ts };
}

/** Σ_masked CE / t, divided by the number of tokens: the MDLM objective (nats/token, a bound). */
export function mdlmLoss(model: A3Model, batch: number, clean: Int32Array, corruption: Corruption): tf.Scalar {
  return tf.tidy(() => {
    const logits = bidirectionalLogits(model, batch, corruption.input);
    const idx = tf.tensor1d(flatTargetIndex(clean, logits.shape[1]), 'int32');
    return tf.div(weightedCrossEntropySum(logits, idx, tf.tensor1d(corruption.weights)), clean.length) as tf.Scalar;
  });
}

/**
 * Minus the MDLM ELBO of the tokens at `open` given every other position (a
 * lower bound on log P(x_open | x_rest), not exact), from `ratios` stratified
 * masking ratios t_k = (k + 0.5)/K: each open position masked with probability
 * t_k (at least one), weight 1/t_k, averaged over the K draws; one batched
 * forward. `seed` fixes the masks. Positions outside `open` are never masked.
 */
export function maskedElbo(model: A3Model, tokens: ArrayLike<number>, open: number[], ratios = 4, seed = 0): number {
  if (open.length === 0) throw new Error('nothing to score: no open positions');
  const V = model.config.vocabSize;
  const T = tokens.length;
  const rng = makeRng(seed);
  const input = new Int32Array(ratios * T);
  const weights: number[] = [];
  const idx: number[] = [];
  for (let k = 0; k < ratios; k++) {
    const t = (k + 0.5) / ratios;
    const row = k * T;
    input.set(Array.from(tokens), row);
    const masked = open.filter(() => rng() < t);
    if (masked.length === 0) masked.push(open[Math.floor(rng() * open.length)]);
    for (const pos of masked) {
      input[row + pos] = MASK_TOKEN;
      idx.push((row + pos) * V + tokens[pos]);
      weights.push(1 / t);
    }
  }
  const logp = tf.tidy(() => tf.gather(tf.logSoftmax(bidirectionalLogits(model, ratios, input)).reshape([-1]), tf.tensor1d(idx, 'int32')).dataSync() as Float32Array);
  let sum = 0;
  for (let k = 0; k < logp.length; k++) sum += weights[k] * logp[k];
  return sum / ratios;
}
