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
