/** Node scripts run tfjs on the wasm backend (tfjs-node cannot install here); threads add nothing on 2 cores. */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { quietTfjsInNode } from '@/lib/a3/backend';

export async function useNodeBackend(name: 'wasm' | 'cpu' = 'wasm'): Promise<string> {
  quietTfjsInNode();
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  await tf.setBackend(name);
  await tf.ready();
  return tf.getBackend();
}

/**
 * A script's failure for people. The wasm heap of one thread is bounded (4 GB), and running out aborts with
 * "Aborted()" or an out-of-bounds access that does not say why; the fix is fewer rows per thread.
 */
export function explainFailure(e: unknown): string {
  const text = e instanceof Error ? (e.stack ?? e.message) : String(e);
  if (!/Aborted\(\)|memory access out of bounds|table index is out of bounds|Cannot enlarge memory/.test(text)) return text;
  return `${text}\nThe wasm backend ran out of memory: each thread holds its rows' activations. Use a smaller --batch, or more --workers (each takes a share of the batch).`;
}
