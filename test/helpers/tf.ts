/** Unit tests run the model on tfjs's plain-JS cpu backend: exact enough and available everywhere. */
import * as tf from '@tensorflow/tfjs';
import { quietTfjsInNode } from '@/lib/a3/backend';
import { PRESETS, type ModelConfig } from '@/lib/a3/config';
import { createModel, type A3Model } from '@/lib/a3/model';
import { gaussian, makeRng } from '@/lib/a3/random';

export async function useCpu(): Promise<void> {
  quietTfjsInNode();
  await tf.setBackend('cpu');
  await tf.ready();
}

export const tiny: ModelConfig = { ...PRESETS.tiny };

/** Max |a - b| over two arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * A model with large random weights (N(0, std) everywhere, norms included): its
 * conditionals are far from uniform and depend strongly on context, so
 * normalisation and leakage tests have power (initModel's 0.02 weights give
 * near-uniform outputs that would hide a leak).
 */
export function randomModel(config: ModelConfig, seed = 1, std = 0.5): A3Model {
  const rng = makeRng(seed);
  return createModel(config, (_name, shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    return Float32Array.from({ length: size }, () => std * gaussian(rng));
  });
}
