// @vitest-environment jsdom
/**
 * The Fine-tune cell's "workers" control: 1 … cores − 1 on wasm/cpu with min(2, that) by default, one worker
 * on WebGPU/WebGL with the reason shown, and the run's progress says how many workers ran.
 */
import { act } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { FineTuneCell } from '@/components/cells/FineTuneCell';
import { maxWorkers, workersFor } from '@/components/cells/finetune/Workers';
import { defaultCurriculum } from '@/lib/train/curriculum';
import { booted, mount } from './harness';

const q = (root: HTMLElement, id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const cores = (n: number) => Object.defineProperty(navigator, 'hardwareConcurrency', { value: n, configurable: true });
afterEach(() => cores(4));

describe('workers of a fine-tune', () => {
  it('allows 1 … cores − 1 on wasm/cpu, defaults to two, and one on a GPU backend', () => {
    expect(maxWorkers(8)).toBe(7);
    expect(maxWorkers(1)).toBe(1);
    expect(workersFor('wasm', 8, null)).toBe(2);
    expect(workersFor('cpu', 8, 5)).toBe(5);
    expect(workersFor('wasm', 8, 12)).toBe(7);
    expect(workersFor('wasm', 2, null)).toBe(1);
    expect(workersFor('wasm', null, 3)).toBe(1); // cores not known yet (server render)
    expect(workersFor('webgpu', 8, 4)).toBe(1);
    expect(workersFor('webgl', 8, null)).toBe(1);
  });

  it('shows the control on wasm and the workers a run used', async () => {
    cores(4);
    const { store } = await booted(); // the scripted worker answers init with wasm
    const div = await mount(store, <FineTuneCell index={3} />);
    const knob = q(div, 'ft-workers') as HTMLInputElement;
    expect(knob.value).toBe('2');
    expect(knob.disabled).toBe(false);
    expect(q(div, 'ft-workers-why')?.textContent).toBe('up to 3: one core stays with the page');
    const plan = defaultCurriculum(3);
    act(() => {
      store.setState((s) => ({ training: { ...s.training, plan, totalSteps: 15, state: 'running' } }));
      store.getState().handleEvent({
        type: 'train-event',
        id: 1,
        event: { type: 'step', stage: plan.stages[0].name, stageIndex: 0, step: 1, steps: 3, loss: 5, lr: 1e-3, gradNorm: 1, tokensPerSec: 321, etaSec: 2, elapsedSec: 1, workers: 2 },
      });
    });
    expect(div.textContent).toMatch(/321 tokens\/s on 2 workers/);
    expect(q(div, 'ft-stats')?.getAttribute('data-workers')).toBe('2');
  });

  it('says why WebGPU trains on one worker', async () => {
    cores(8);
    const { store } = await booted();
    act(() => store.setState((s) => ({ backend: { ...s.backend, name: 'webgpu' } })));
    const div = await mount(store, <FineTuneCell index={3} />);
    const knob = q(div, 'ft-workers') as HTMLInputElement;
    expect(knob.value).toBe('1');
    expect(knob.disabled).toBe(true);
    expect(q(div, 'ft-workers-why')?.textContent).toBe('webgpu computes on one device: one worker');
  });
});
