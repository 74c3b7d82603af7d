/**
 * WebGPU in a real browser: initBackend('webgpu') in headless Chromium, a matmul and one gradient step,
 * compared against the same computation on tfjs's cpu backend in Node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type BackendChoice } from '@/lib/a3/backend';
import { maxAbsDiff } from '../helpers/tf';
import { E2E_TIMEOUT_MS, openBundle, type BrowserSession } from './browser';
import { smoke, type SmokeResult } from './shared/smoke';

interface Run {
  choice: BackendChoice;
  result: SmokeResult;
  initMs: number;
  smokeMs: number;
}

describe('webgpu smoke (headless Chromium)', () => {
  let session: BrowserSession | undefined;
  let gpu: Run;
  let cpu: SmokeResult;

  beforeAll(async () => {
    const t0 = Date.now();
    session = await openBundle('test/e2e/entries/webgpu-smoke.ts');
    const t1 = Date.now();
    gpu = await session.call<Run>('run');
    console.log(
      `webgpu smoke: open ${t1 - t0} ms, initBackend ${gpu.initMs.toFixed(0)} ms, compute ${gpu.smokeMs.toFixed(0)} ms; ` +
        `adapter ${JSON.stringify(gpu.choice.adapter)}; reason: ${gpu.choice.reason}`,
    );
    await initBackend('cpu');
    cpu = await smoke();
  }, E2E_TIMEOUT_MS);

  afterAll(async () => {
    await session?.close();
  }, E2E_TIMEOUT_MS);

  it('runs on webgpu and reports the adapter', () => {
    expect(gpu.choice.name).toBe('webgpu');
    expect(gpu.result.backend).toBe('webgpu');
    // Software (SwiftShader) here, hardware elsewhere: only require that it was probed and described.
    expect(gpu.choice.adapter).toBeDefined();
    expect(gpu.choice.reason).toMatch(/^webgpu/);
    expect(cpu.backend).toBe('cpu');
  });

  it('matmul matches cpu', () => {
    expect(gpu.result.matmul).toHaveLength(8 * 4);
    expect(maxAbsDiff(gpu.result.matmul, cpu.matmul)).toBeLessThan(1e-4);
  });

  it('gradient step matches cpu and lowers the loss', () => {
    expect(Math.abs(gpu.result.lossBefore - cpu.lossBefore)).toBeLessThan(1e-4);
    expect(maxAbsDiff(gpu.result.gradW, cpu.gradW)).toBeLessThan(1e-4);
    expect(maxAbsDiff(gpu.result.gradB, cpu.gradB)).toBeLessThan(1e-4);
    expect(maxAbsDiff(gpu.result.wAfter, cpu.wAfter)).toBeLessThan(1e-4);
    expect(Math.abs(gpu.result.lossAfter - cpu.lossAfter)).toBeLessThan(1e-4);
    expect(gpu.result.lossAfter).toBeLessThan(gpu.result.lossBefore);
  });

  it("'auto' skips a software adapter for wasm and still matches cpu", async () => {
    const auto = await session!.call<{ choice: BackendChoice; result: SmokeResult }>('auto');
    // Hardware adapter (a GPU CI runner): webgpu; SwiftShader (here): wasm, with the reason saying why.
    const expected = auto.choice.adapter && !auto.choice.adapter.isFallback && !/swiftshader/i.test(auto.choice.adapter.architecture) ? 'webgpu' : 'wasm';
    expect(auto.choice.name).toBe(expected);
    if (expected === 'wasm') expect(auto.choice.reason).toMatch(/webgpu: (software adapter|navigator.gpu missing|no adapter)/);
    expect(auto.result.backend).toBe(expected);
    expect(maxAbsDiff(auto.result.matmul, cpu.matmul)).toBeLessThan(1e-4);
    expect(maxAbsDiff(auto.result.wAfter, cpu.wAfter)).toBeLessThan(1e-4);
    expect(auto.result.leakedTensors).toBe(0);
  });

  it('leaks no tensors and logs no errors', () => {
    expect(gpu.result.leakedTensors).toBe(0);
    expect(cpu.leakedTensors).toBe(0);
    expect(session?.errors ?? []).toEqual([]);
  });
});
