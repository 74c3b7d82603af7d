// @vitest-environment jsdom
import { act } from 'react';
import { describe, expect, it } from 'vitest';
import { FineTuneCell } from '@/components/cells/FineTuneCell';
import { InspectCell } from '@/components/cells/InspectCell';
import { ModelCell } from '@/components/cells/ModelCell';
import { maskCounts } from '@/components/views/mask-matrix';
import { PRESETS } from '@/lib/a3/config';
import { GROUPING_KIND_LABEL } from '@/lib/a3/groups';
import { createStudioStore, type StudioStore } from '@/lib/store';
import { defaultCurriculum } from '@/lib/train/curriculum';
import { CHECKPOINT_EVERY } from '@/lib/train/storage';
import type { WorkerEvent } from '@/lib/worker/protocol';
import { fakeClient, fakeFetch } from '../../store/fake-client';
import { mount as mountCell } from './harness';
import { checkpointMeta } from '../../helpers/checkpoint-meta';

const N = 5;
const CKPT = checkpointMeta({ runId: 'run-x-0000abcd', plan: defaultCurriculum(10), stageIndex: 0, losses: Array.from({ length: 10 }, (_, i) => 5 - i / 10), savedAt: 1 });
function snapshot(groupIds?: number[]) {
  const gids = groupIds ?? Array.from({ length: N }, (_, i) => i);
  // 2 layers, 2 heads, 2N rows (content then query), N keys: uniform weights.
  const weights = Array.from({ length: 2 }, () => Array.from({ length: 2 }, () => Array.from({ length: 2 * N }, () => Array.from({ length: N }, () => 1 / N))));
  return { tokens: [1, 2, 3, 4, 5], labels: ['The', ' quick', ' brown', ' fox', '.'], groupIds: gids, weights };
}

async function booted(search = '?plan=contig:2'): Promise<{ store: StudioStore; sent: { type: string }[] }> {
  let store!: StudioStore;
  const { client, sent } = fakeClient(
    {
      init: (c) => ({ type: 'ready', id: c.id, backend: 'wasm', reason: 'wasm [single-threaded SIMD]: auto (webgpu: software adapter)' }),
      load: (c) => ({ type: 'loaded', id: c.id, model: { kind: 'a3', config: PRESETS.base, parameters: 1_049_216, bytes: 4_196_864, vocabSize: 2048 } }),
      inspect: (c) => ({ type: 'inspected', id: c.id, snapshot: snapshot(c.type === 'inspect' ? c.groupIds : undefined) }),
      checkpoints: (c) => ({ type: 'checkpoints', id: c.id, list: [CKPT] }),
      'delete-checkpoint': (c) => ({ type: 'checkpoints', id: c.id, list: [] }),
    },
    () => (e: WorkerEvent) => store.getState().handleEvent(e),
  );
  store = createStudioStore({ client, fetchImpl: fakeFetch({ base: [[2048, 128]] }), search });
  await store.getState().boot();
  return { store, sent };
}

async function mount(store: StudioStore, el: React.ReactNode) {
  const div = await mountCell(store, el);
  // Let the inspect cell's first run and its follow-up settle.
  await act(async () => new Promise((r) => setTimeout(r, 250)));
  return div;
}

const q = (div: HTMLElement, id: string) => div.querySelector(`[data-testid="${id}"]`);

describe('cells (jsdom)', () => {
  it('ModelCell shows the backend, why, the stand-in model and its size', async () => {
    const { store } = await booted();
    const div = await mount(store, <ModelCell index={1} />);
    expect(q(div, 'backend')?.textContent).toBe('wasm');
    expect(q(div, 'backend-reason')?.textContent).toMatch(/software adapter/);
    expect(q(div, 'model-status')?.getAttribute('data-status')).toBe('loaded');
    expect(q(div, 'model-params')?.textContent).toBe('1.05 M parameters');
    expect(q(div, 'model-note')?.textContent).toMatch(/not shipped yet/);
    expect(q(div, 'shipped-a3')?.textContent).toMatch(/not shipped yet/);
    // Which weights: the worker's word, as it changes.
    act(() => store.getState().handleEvent({ type: 'weights', kind: 'a3', weights: { kind: 'shipped', folder: 'base' } }));
    expect(q(div, 'active-weights-a3')?.textContent).toBe('weights: shipped base weights');
    act(() => store.getState().handleEvent({ type: 'weights', kind: 'a3', weights: { kind: 'fine-tuned', runId: CKPT.runId, stage: CKPT.stage, stageIndex: 0, step: 10, key: CKPT.key } }));
    expect(q(div, 'active-weights-a3')?.textContent).toBe('weights: fine-tuned run abcd at step 10 (1: left-to-right)');
    expect(div.querySelector('.cell-number')?.textContent).toBe('1');
    expect(div.querySelector('section.cell')?.getAttribute('data-state')).toBe('ready');
    // First screen: the backend and model in one glance; why, switch, shape and memory collapsed; the theory too.
    const details = q(div, 'backend-details') as HTMLDetailsElement;
    expect(details.open).toBe(false);
    expect(details.contains(q(div, 'backend'))).toBe(false);
    expect(details.contains(q(div, 'backend-reason'))).toBe(true);
    expect(q(div, 'explain-model')?.getAttribute('aria-expanded')).toBe('false');
    expect(div.querySelector('.explain')).toBeNull();
    await act(async () => (q(div, 'explain-model') as HTMLButtonElement).click());
    expect(div.querySelector('.explain')?.textContent).toMatch(/Web Worker/);
  });

  it('InspectCell shows the plan from the URL, counts matching maskCounts, and custom groups by clicking', async () => {
    const { store, sent } = await booted();
    const div = await mount(store, <InspectCell index={2} />);
    const counts = q(div, 'mask-counts')!;
    const expected = maskCounts([0, 0, 1, 1, 2]);
    expect(counts.getAttribute('data-content-allowed')).toBe(String(expected.content.allowed));
    expect(counts.getAttribute('data-query-blocked')).toBe(String(expected.query.blocked));
    expect(div.querySelector('[data-view="mask-matrix"] svg')).not.toBeNull();
    expect(div.querySelector('[data-view="attention-map"] svg')).not.toBeNull();
    expect(div.querySelector('[data-view="group-order"] svg')).not.toBeNull();
    expect(sent.filter((c) => c.type === 'inspect')).toHaveLength(2);
    // Layers and heads are numbered from 0, as the views' headings and the positions are.
    const options = (id: string) => [...div.querySelectorAll(`[data-testid="${id}"] option`)].map((o) => o.textContent);
    expect(options('attn-layer')).toEqual(['0', '1']);
    expect(options('attn-head')).toEqual(['0', '1']);
    expect(div.querySelector('[data-view="attention-map"]')?.textContent).toMatch(/layer 0, head 0/);

    await act(async () => (q(div, 'plan-explicit') as HTMLInputElement).click());
    await act(async () => (q(div, 'token-4') as HTMLButtonElement).click()); // brush 1: position 4 joins group 1
    await act(async () => new Promise((r) => setTimeout(r, 300)));
    expect(store.getState().inspect.plan).toEqual({ kind: 'explicit', gids: [0, 0, 1, 1, 1] });
    const after = maskCounts([0, 0, 1, 1, 1]);
    expect(q(div, 'mask-counts')!.getAttribute('data-query-allowed')).toBe(String(after.query.allowed));
  });

  it('InspectCell: a shared link always selects one plan radio, and the radios name kinds as groups.ts does', async () => {
    for (const [search, kind] of [['?plan=random:2:1', 'random'], ['?plan=span:1:ltr:0', 'left-to-right']] as const) {
      const { store } = await booted(search);
      const div = await mount(store, <InspectCell index={2} />);
      const radios = [...div.querySelectorAll<HTMLInputElement>('input[name="inspect-plan"]')];
      expect(radios.filter((r) => r.checked).map((r) => r.value)).toEqual([kind]);
      expect(radios.map((r) => r.closest('label')?.textContent)).toEqual([
        GROUPING_KIND_LABEL['left-to-right'],
        GROUPING_KIND_LABEL.contiguous,
        GROUPING_KIND_LABEL.random,
        `${GROUPING_KIND_LABEL.explicit} (click tokens)`,
      ]);
    }
  });

  it('FineTuneCell draws the loss, lists checkpoints and shows worker errors inline', async () => {
    const { store, sent } = await booted();
    const plan = defaultCurriculum(3);
    act(() => {
      store.setState((s) => ({ training: { ...s.training, plan, totalSteps: 15, state: 'running' } }));
      for (let i = 1; i <= 3; i++) {
        store.getState().handleEvent({
          type: 'train-event',
          id: 1,
          event: { type: 'step', stage: plan.stages[0].name, stageIndex: 0, step: i, steps: 3, loss: 6 - i, lr: 1e-3, gradNorm: 1, tokensPerSec: 321, etaSec: 3 - i, elapsedSec: i },
        });
      }
    });
    const div = await mount(store, <FineTuneCell index={3} />);
    expect(q(div, 'ft-state')?.textContent).toBe('running');
    expect(q(div, 'ft-step-count')?.textContent).toBe('3 / 15');
    expect(div.textContent).toMatch(/321 tokens\/s/);
    expect(div.querySelector('[data-view="loss-chart"] svg')).not.toBeNull();
    // The cadence it states is the one the worker saves at.
    expect(div.textContent).toContain(`every ${CHECKPOINT_EVERY} steps and at the end of each stage`);
    // Each checkpoint: its run, stage, step of the stage, loss; an unfinished run offers to resume.
    expect(q(div, 'checkpoint-run')?.textContent).toMatch(/run abcd/);
    expect(q(div, 'checkpoint')?.textContent).toMatch(/^1: left-to-right10 \/ 10\d\.\d{3}/);
    expect(q(div, 'checkpoint-resume')?.textContent).toBe('Resume run abcd from step 10 of 1: left-to-right');
    await act(async () => (q(div, 'ft-pause') as HTMLButtonElement).click());
    expect(sent[sent.length - 1]).toEqual({ type: 'pause' });
    // During a fault fallback the step count says where the run goes on from, not a stale count.
    act(() => store.getState().handleEvent({ type: 'recovering', id: 1, from: 'webgpu', to: 'wasm', stageIndex: 0, step: 2 }));
    expect(q(div, 'ft-step-count')?.textContent).toBe('recovering on wasm from step 2');
    expect(q(div, 'ft-recovering')?.textContent).toMatch(/recovering on wasm from step 2/);
    // Deleting asks once more; only the second click reaches the worker.
    await act(async () => (q(div, 'checkpoint-delete') as HTMLButtonElement).click());
    expect(sent.some((c) => c.type === 'delete-checkpoint')).toBe(false);
    await act(async () => (q(div, 'checkpoint-delete-confirm') as HTMLButtonElement).click());
    expect(sent.at(-1)).toMatchObject({ type: 'delete-checkpoint', key: CKPT.key });
    expect(q(div, 'checkpoint-empty')).not.toBeNull();
    await act(async () => store.getState().pushError('finetune', 'the text is too short to train on (12 tokens)'));
    expect(q(div, 'errors-finetune')?.textContent).toMatch(/too short/);
  });
});
