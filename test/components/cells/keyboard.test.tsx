// @vitest-environment jsdom
/** Keyboard and placement: Ctrl/Cmd+Enter runs, arrow keys step the replay, errors appear next to the control that caused them, and a refused upload blocks Start. */
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach, describe, expect, it } from 'vitest';
import { FineTuneCell } from '@/components/cells/FineTuneCell';
import { InfillCell } from '@/components/cells/InfillCell';
import { StudioProvider } from '@/components/notebook/StudioProvider';
import { PRESETS } from '@/lib/a3/config';
import type { DecodeRequest } from '@/lib/a3/decode/request';
import { createStudioStore, type StudioStore } from '@/lib/store';
import type { WorkerCommand, WorkerEvent } from '@/lib/train/protocol';
import { fakeClient, fakeFetch } from '../../store/fake-client';
import { fakeDecodeResult } from '../../store/fake-decode';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const roots: ReturnType<typeof createRoot>[] = [];
afterEach(() => {
  act(() => roots.splice(0).forEach((r) => r.unmount()));
  document.body.innerHTML = '';
});

async function booted(): Promise<{ store: StudioStore; sent: WorkerCommand[] }> {
  let store!: StudioStore;
  const { client, sent } = fakeClient(
    {
      init: (c) => ({ type: 'ready', id: c.id, backend: 'wasm', reason: 'wasm: auto' }),
      load: (c) => ({ type: 'loaded', id: c.id, model: { kind: 'a3', config: PRESETS.base, parameters: 1_049_216, bytes: 4_196_864, vocabSize: 2048 } }),
      checkpoints: (c) => ({ type: 'checkpoints', id: c.id, list: [] }),
      decode: (c) => ({ type: 'decoded', id: c.id, trace: fakeDecodeResult((c as Extract<WorkerCommand, { type: 'decode' }>).request as DecodeRequest) }),
    },
    () => (e: WorkerEvent) => store.getState().handleEvent(e),
  );
  store = createStudioStore({ client, fetchImpl: fakeFetch({ base: [[2048, 128]] }), search: '?s=1' });
  await store.getState().boot();
  return { store, sent: sent as WorkerCommand[] };
}

async function mount(store: StudioStore, el: React.ReactNode) {
  const div = document.createElement('div');
  document.body.appendChild(div);
  const root = createRoot(div);
  roots.push(root);
  await act(async () => root.render(<StudioProvider store={store}>{el}</StudioProvider>));
  return div;
}

const q = (div: HTMLElement, id: string) => div.querySelector(`[data-testid="${id}"]`) as HTMLElement;
const key = (el: Element, k: string, init: KeyboardEventInit = {}) => act(async () => void el.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, ...init })));
/** Picks files on an <input type=file> the way the browser reports them to React. */
const pick = (input: HTMLElement, files: { name: string; content: string }[]) =>
  act(async () => {
    const list = files.map(({ name, content }) => new File([content], name));
    Object.defineProperty(input, 'files', { value: list, configurable: true });
    input.dispatchEvent(new Event('change', { bubbles: true }));
    await new Promise((r) => setTimeout(r, 50));
  });

describe('keyboard and error placement (jsdom)', () => {
  it('Ctrl+Enter or Cmd+Enter in the template runs; plain Enter in a number field only commits it', async () => {
    const { store, sent } = await booted();
    const div = await mount(store, <InfillCell index={2} />);
    const decodes = () => sent.filter((c) => c.type === 'decode').length;
    await key(q(div, 'infill-text'), 'Enter', { ctrlKey: true });
    expect(decodes()).toBe(1);
    await key(q(div, 'infill-text'), 'Enter', { metaKey: true });
    expect(decodes()).toBe(2);
    await key(q(div, 'pg-seed'), 'Enter');
    expect(decodes()).toBe(2);
  });

  it('← → Home End step the replay while focus is in it', async () => {
    const { store } = await booted();
    const div = await mount(store, <InfillCell index={2} />);
    await act(async () => (q(div, 'infill-run') as HTMLButtonElement).click());
    const step = () => q(div, 'decode-step').getAttribute('data-step');
    expect(step()).toBe('3');
    const replay = q(div, 'replay');
    await key(replay, 'ArrowLeft');
    expect(step()).toBe('2');
    await key(q(div, 'decode-prev'), 'ArrowLeft'); // from a replay button too
    expect(step()).toBe('1');
    await key(replay, 'End');
    expect(step()).toBe('3');
    await key(replay, 'Home');
    expect(step()).toBe('0');
    await key(replay, 'ArrowRight');
    expect(step()).toBe('1');
  });

  it('an import error shows under the import button, not at the top of the cell', async () => {
    const { store } = await booted();
    const div = await mount(store, <FineTuneCell index={5} />);
    await pick(q(div, 'ft-import'), [{ name: 'weights.bin', content: 'x' }]);
    const errors = q(div, 'errors-finetune');
    expect(errors.textContent).toMatch(/select model\.safetensors and config\.json together/);
    expect(errors.previousElementSibling?.contains(q(div, 'ft-import'))).toBe(true);
    expect(div.querySelectorAll('[data-testid="errors-finetune"]')).toHaveLength(1);
  });

  it('a refused upload blocks Start until the user picks a text; choosing the built-in text then trains on it', async () => {
    const { store, sent } = await booted();
    const div = await mount(store, <FineTuneCell index={5} />);
    const start = q(div, 'ft-start') as HTMLButtonElement;
    expect(start.disabled).toBe(false);
    await pick(q(div, 'ft-upload'), [{ name: 'tiny.txt', content: 'too short' }]);
    expect(q(div, 'ft-upload-error').textContent).toMatch(/very short/);
    expect(start.disabled).toBe(true);
    expect(q(div, 'ft-start-blocked').textContent).toMatch(/upload was refused/);
    await act(async () => start.click());
    expect(sent.filter((c) => c.type === 'train')).toHaveLength(0);
    await act(async () => (q(div, 'ft-sample') as HTMLInputElement).click());
    expect(q(div, 'ft-upload-error')).toBeNull();
    expect(start.disabled).toBe(false);
  });
});
