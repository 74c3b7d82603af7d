/** Browser side of webgpu-smoke.test.ts: force webgpu, then run the shared smoke computation. */
import { initBackend } from '@/lib/a3/backend';
import { exposeE2E } from '../expose';
import { smoke } from '../shared/smoke';

exposeE2E({
  async run() {
    const t0 = performance.now();
    const choice = await initBackend('webgpu');
    const t1 = performance.now();
    const result = await smoke();
    const t2 = performance.now();
    return { choice, result, initMs: t1 - t0, smokeMs: t2 - t1 };
  },
  /** 'auto' as the app runs it: wasm comes from /tfjs-wasm/ (served by the harness like the app does). */
  async auto() {
    const choice = await initBackend('auto');
    return { choice, result: await smoke() };
  },
});
