/**
 * Plain left-to-right sampling from the base model's causal content stream
 * (the model before A3 adaptation; its query stream is untrained).
 *
 * Cached by default: the causal stream is the A3 content stream with
 * gid = position, so the same KV cache holds: each step runs one content row
 * (the token just sampled) against the cached keys. Once the sequence fills
 * the context, the window slides and every position moves, so those steps
 * recompute the window (the uncached path, also the reference in tests).
 */
import * as tf from '@tensorflow/tfjs';
import { KVCache } from '../cache';
import { arForward, forwardRows, headMatrix, logitsFromStates, type A3Model } from '../model';
import { makeRng } from '../random';
import { sampleToken, validateSampling, type SamplingOptions } from './sampling';

export function sampleAR(model: A3Model, prompt: number[], length: number, sampling: SamplingOptions, seed: number, stopToken?: number, cached = true): number[] {
  if (prompt.length === 0) throw new Error('the prompt is empty: give at least one token');
  if (!Number.isInteger(length) || length < 1) throw new Error(`length must be an integer >= 1, got ${length}`);
  validateSampling(sampling);
  const rng = makeRng(seed);
  const seq = [...prompt];
  const max = model.config.maxLen;
  const cache = cached ? new KVCache() : null;
  // Tied models transpose the embedding for the head: once per run, not once per token.
  const head = headMatrix(model);
  try {
    for (let i = 0; i < length; i++) {
      const last = cache && seq.length <= max ? nextLogitsCached(model, cache, seq, head) : nextLogitsWindow(model, seq.slice(-max));
      const { token } = sampleToken(last, sampling, rng);
      seq.push(token);
      if (token === stopToken) break;
    }
  } finally {
    cache?.dispose();
    if (head !== model.lmHead) head.dispose();
  }
  return seq.slice(prompt.length);
}

/** Next-token logits from the whole window (no cache). */
function nextLogitsWindow(model: A3Model, window: number[]): Float32Array {
  const lastT = tf.tidy(() => arForward(model, { batch: 1, tokens: Int32Array.from(window) }).logits.slice([window.length - 1, 0], [1, -1]));
  const last = lastT.dataSync() as Float32Array;
  lastT.dispose();
  return last;
}

/** Next-token logits running only the positions the cache lacks (all of them on the first call). */
function nextLogitsCached(model: A3Model, cache: KVCache, seq: number[], head: tf.Tensor2D): Float32Array {
  const positions = Int32Array.from({ length: seq.length - cache.size }, (_, i) => cache.size + i);
  const past = cache.past();
  const result = tf.tidy(() => {
    const out = forwardRows(
      model,
      {
        batch: 1,
        content: { tokens: Int32Array.from(positions, (p) => seq[p]), positions, gids: positions },
        query: { positions: new Int32Array(0), gids: new Int32Array(0) },
        past,
      },
      { contentOutput: true },
    );
    const states = out.content!.slice([0, positions.length - 1, 0], [1, 1, -1]);
    return { logits: logitsFromStates(model, states, head), kv: out.kv };
  });
  cache.append(result.kv, positions);
  const last = result.logits.dataSync() as Float32Array;
  result.logits.dispose();
  return last;
}
