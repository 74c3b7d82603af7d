/**
 * What the jsdom cell tests share: a store booted against a scripted worker (a model loaded, decodes
 * answered from fake-decode), mounting cells inside a StudioProvider, and unmounting after each test.
 */
import { hasGap } from '@/lib/a3/decode/gaps';
import { act, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach } from 'vitest';
import { StudioProvider } from '@/components/notebook/StudioProvider';
import { PRESETS } from '@/lib/a3/config';
import { createStudioStore, type StudioStore } from '@/lib/store';
import type { WorkerCommand, WorkerEvent } from '@/lib/worker/protocol';
import { fakeClient, fakeFetch } from '../../store/fake-client';
import { fakeDecodeResult } from '../../store/fake-decode';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const roots: ReturnType<typeof createRoot>[] = [];
afterEach(() => {
  act(() => roots.splice(0).forEach((r) => r.unmount()));
  document.body.innerHTML = '';
});

type Handlers = Parameters<typeof fakeClient>[0];

/** A booted store: backend ready, the base model standing in for A3, decodes answered (a text without a gap is refused). */
export async function booted(search = '', folders: Record<string, number[][]> = { base: [[2048, 128]] }, extra: Handlers = {}): Promise<{ store: StudioStore; sent: WorkerCommand[] }> {
  let store!: StudioStore;
  const { client, sent } = fakeClient(
    {
      init: (c) => ({ type: 'ready', id: c.id, backend: 'wasm', reason: 'wasm: auto' }),
      load: (c) => ({ type: 'loaded', id: c.id, model: { kind: 'a3', config: PRESETS.base, parameters: 1_049_216, bytes: 4_196_864, vocabSize: 2048 } }),
      checkpoints: (c) => ({ type: 'checkpoints', id: c.id, list: [] }),
      decode: (c) => {
        const req = (c as Extract<WorkerCommand, { type: 'decode' }>).request;
        if (!hasGap(req.text)) return { type: 'error', id: c.id, message: 'there is no open position to fill' };
        return { type: 'decoded', id: c.id, result: fakeDecodeResult(req) };
      },
      ...extra,
    },
    () => (e: WorkerEvent) => store.getState().handleEvent(e),
  );
  store = createStudioStore({ client, fetchImpl: fakeFetch(folders), search });
  await store.getState().boot();
  return { store, sent: sent as WorkerCommand[] };
}

/** Renders `el` inside a provider for `store`; unmounted after the test. */
export async function mount(store: StudioStore, el: ReactNode): Promise<HTMLDivElement> {
  const div = document.createElement('div');
  document.body.appendChild(div);
  const root = createRoot(div);
  roots.push(root);
  await act(async () => root.render(<StudioProvider store={store}>{el}</StudioProvider>));
  return div;
}
