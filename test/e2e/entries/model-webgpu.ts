/** Browser side of model-webgpu.test.ts: the tiny A3 model on webgpu. */
import { initBackend } from '@/lib/a3/backend';
import { exposeE2E } from '../expose';
import { modelStep } from '../shared/model-step';

exposeE2E({
  async run() {
    const choice = await initBackend('webgpu');
    return { choice, result: await modelStep() };
  },
});
