/** initBackend in Node: wasm and cpu work, GPU names fall through with a reason, bad names fail loudly. */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend, parseBackendParam, type BackendName } from '@/lib/a3/backend';

describe('initBackend (Node)', () => {
  afterAll(async () => {
    // Leave the worker on cpu, which other tests in the same fork expect.
    await tf.setBackend('cpu');
  });

  it('auto picks single-threaded wasm and it computes', async () => {
    const choice = await initBackend('auto');
    expect(choice.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')).toBe(false);
    expect(choice.reason).toMatch(/wasm/);
    expect(choice.adapter).toBeUndefined();
    const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
    expect(Array.from(await y.data())).toEqual([11]);
  });

  it('cpu can be requested', async () => {
    const choice = await initBackend('cpu');
    expect(choice).toMatchObject({ name: 'cpu' });
    expect(tf.getBackend()).toBe('cpu');
    expect(choice.reason).toMatch(/requested/);
  });

  it('wasm can be requested after cpu (switching back works)', async () => {
    expect((await initBackend('wasm')).name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it.each(['webgpu', 'webgl'] as BackendName[])('%s falls through to wasm with the reason recorded', async (name) => {
    const choice = await initBackend(name);
    expect(choice.name).toBe('wasm');
    expect(choice.reason).toContain(`${name}: not available in Node`);
    expect(choice.reason).toContain(`fallback from ${name}`);
  });

  it('an unknown name throws a clear error', async () => {
    await expect(initBackend('tpu' as BackendName)).rejects.toThrow(/unknown backend "tpu".*webgpu, webgl, wasm, cpu/);
  });

  it('concurrent calls are serialised and the last one wins', async () => {
    const [a, b] = await Promise.all([initBackend('wasm'), initBackend('cpu')]);
    expect([a.name, b.name]).toEqual(['wasm', 'cpu']);
    expect(tf.getBackend()).toBe('cpu');
  });

  it('parses ?backend= values', () => {
    expect(parseBackendParam('WebGPU')).toBe('webgpu');
    expect(parseBackendParam('auto')).toBe('auto');
    expect(parseBackendParam('tpu')).toBeNull();
    expect(parseBackendParam(null)).toBeNull();
  });
});
