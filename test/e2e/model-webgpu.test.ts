/**
 * The two-stream model where users run it: headless Chromium on the webgpu
 * backend (SwiftShader adapter). Forward logits and one training step must
 * match tfjs's cpu backend in Node, and so must greedy decodes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type BackendChoice } from '@/lib/a3/backend';
import { maxAbsDiff } from '../helpers/tf';
import { E2E_TIMEOUT_MS, openBundle, type BrowserSession } from './browser';
import { modelStep, type ModelStepResult } from './shared/model-step';

describe('two-stream model on webgpu (headless Chromium)', () => {
  let session: BrowserSession | undefined;
  let gpu: { choice: BackendChoice; result: ModelStepResult };
  let cpu: ModelStepResult;

  beforeAll(async () => {
    session = await openBundle('test/e2e/entries/model-webgpu.ts');
    gpu = await session.call('run');
    await initBackend('cpu');
    cpu = await modelStep();
  }, E2E_TIMEOUT_MS);

  afterAll(async () => {
    await session?.close();
  }, E2E_TIMEOUT_MS);

  it('ran on webgpu', () => {
    expect(gpu.choice.name).toBe('webgpu');
  });

  it('forward logits match the cpu backend', () => {
    expect(gpu.result.logits.length).toBe(cpu.logits.length);
    expect(gpu.result.logits.every(Number.isFinite)).toBe(true);
    expect(maxAbsDiff(gpu.result.logits, cpu.logits)).toBeLessThan(1e-3);
  });

  it('one AdamW step gives the same losses and lowers the loss', () => {
    expect(Math.abs(gpu.result.lossBefore - cpu.lossBefore)).toBeLessThan(1e-3);
    expect(Math.abs(gpu.result.lossAfter - cpu.lossAfter)).toBeLessThan(1e-3);
    expect(gpu.result.lossAfter).toBeLessThan(gpu.result.lossBefore);
  });

  it('decodes (group-wise and dynamic, KV cache) to the same tokens as the cpu backend', () => {
    expect(gpu.result.decoded).toEqual(cpu.decoded);
    expect(gpu.result.decoded[0].slice(0, 2)).toEqual([1, 5]);
  });

  it('leaks no tensors on either backend', () => {
    expect(gpu.result.tensorsLeaked).toBe(0);
    expect(cpu.tensorsLeaked).toBe(0);
  });
});
