// @vitest-environment jsdom
/** Keyboard and placement: Ctrl/Cmd+Enter runs, arrow keys step the replay, errors appear next to the control that caused them, and a refused upload blocks Start. */
import { act } from 'react';
import { describe, expect, it } from 'vitest';
import { FineTuneCell } from '@/components/cells/FineTuneCell';
import { InfillCell } from '@/components/cells/InfillCell';
import { booted, mount } from './harness';

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
    const { store, sent } = await booted('?s=1');
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
    const { store } = await booted('?s=1');
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
    const { store } = await booted('?s=1');
    const div = await mount(store, <FineTuneCell index={5} />);
    await pick(q(div, 'ft-import'), [{ name: 'weights.bin', content: 'x' }]);
    const errors = q(div, 'errors-finetune');
    expect(errors.textContent).toMatch(/select model\.safetensors and config\.json together/);
    expect(errors.previousElementSibling?.contains(q(div, 'ft-import'))).toBe(true);
    expect(div.querySelectorAll('[data-testid="errors-finetune"]')).toHaveLength(1);
  });

  it('a refused upload blocks Start until the user picks a text; choosing the built-in text then trains on it', async () => {
    const { store, sent } = await booted('?s=1');
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
