/**
 * Plain left-to-right sampling from the base model's causal content stream
 * (the model before A3 adaptation; its query stream is untrained). The prompt
 * slides out of the window once the context is full.
 */
import * as tf from '@tensorflow/tfjs';
import { arForward, type A3Model } from '../model';
import { makeRng } from '../random';
import { sampleToken, validateSampling, type SamplingOptions } from './sampling';

export function sampleAR(model: A3Model, prompt: number[], length: number, sampling: SamplingOptions, seed: number, stopToken?: number): number[] {
  if (prompt.length === 0) throw new Error('the prompt is empty: give at least one token');
  if (!Number.isInteger(length) || length < 1) throw new Error(`length must be an integer >= 1, got ${length}`);
  validateSampling(sampling);
  const rng = makeRng(seed);
  const seq = [...prompt];
  const max = model.config.maxLen;
  for (let i = 0; i < length; i++) {
    const window = seq.slice(-max);
    const lastT = tf.tidy(() => arForward(model, { batch: 1, tokens: Int32Array.from(window) }).logits.slice([window.length - 1, 0], [1, -1]));
    const last = lastT.dataSync() as Float32Array;
    lastT.dispose();
    const { token } = sampleToken(last, sampling, rng);
    seq.push(token);
    if (token === stopToken) break;
  }
  return seq.slice(prompt.length);
}
