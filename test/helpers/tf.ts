/** Unit tests run the model on tfjs's plain-JS cpu backend: exact enough and available everywhere. */
import * as tf from '@tensorflow/tfjs';
import { PRESETS, type ModelConfig } from '@/lib/a3/config';

export async function useCpu(): Promise<void> {
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
