// @vitest-environment jsdom
import { act, Profiler, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach, describe, expect, it } from 'vitest';
import { FieldChecks, NumberKnob, parseNumber, useFieldChecks } from '@/components/notebook/controls';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const roots: ReturnType<typeof createRoot>[] = [];
afterEach(() => {
  act(() => roots.splice(0).forEach((r) => r.unmount()));
  document.body.innerHTML = '';
});

/**
 * Every commit in which an error was on screen while Run was enabled (it must never happen: a user could click Run
 * next to "use 1 to 64"). Read in each commit of the form's tree (a Profiler hears every one), before the browser paints.
 */
const enabledBesideAnError: string[] = [];
function checkCommit(): void {
  const error = document.querySelector('[role="alert"]');
  const run = document.querySelector<HTMLButtonElement>('[data-testid="run"]');
  if (error && run && !run.disabled) enabledBesideAnError.push(error.textContent ?? '');
}

/** Two knobs in a form whose Run is disabled while a field is invalid; `committed` records what reached the owner. */
function Form({ committed }: { committed: number[] }) {
  const checks = useFieldChecks();
  const [topP, setTopP] = useState(1);
  const [s, setS] = useState(2);
  return (
    <FieldChecks checks={checks}>
      <NumberKnob label="top-p" value={topP} min={0} max={1} onCommit={(v) => (committed.push(v), setTopP(v))} testId="topp" />
      <NumberKnob label="s" value={s} min={1} max={64} integer onCommit={(v) => (committed.push(v), setS(v))} testId="s" />
      <button type="button" onClick={() => setS(1)} data-testid="preset">
        preset
      </button>
      <button type="submit" disabled={checks.invalid.size > 0} data-testid="run">
        Run
      </button>
    </FieldChecks>
  );
}

async function mount(committed: number[]) {
  const div = document.createElement('div');
  document.body.appendChild(div);
  const root = createRoot(div);
  roots.push(root);
  await act(async () =>
    root.render(
      <Profiler id="form" onRender={checkCommit}>
        <Form committed={committed} />
      </Profiler>,
    ),
  );
  return div;
}

const q = (div: HTMLElement, id: string) => div.querySelector(`[data-testid="${id}"]`) as HTMLInputElement;
/** One keystroke's worth of change: the input's new value, as the browser reports it. */
const input = (el: HTMLInputElement, value: string) =>
  act(async () => {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(el, value);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
const enter = (el: HTMLInputElement) => act(async () => void el.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true })));
const blur = (el: HTMLInputElement) => act(async () => void el.dispatchEvent(new FocusEvent('focusout', { bubbles: true })));

describe('NumberKnob: free typing, checked on commit', () => {
  it('Backspace then a digit gives that digit, not the old value glued to it', async () => {
    const committed: number[] = [];
    const div = await mount(committed);
    const s = q(div, 's');
    await input(s, '');
    expect(s.value).toBe(''); // cleared: nothing is put back while typing
    await input(s, '4');
    await blur(s);
    expect(s.value).toBe('4');
    expect(committed).toEqual([4]);
  });

  it('top-p takes 0.9 (typed through "0", "0." and "0.9") and never snaps to 1', async () => {
    const committed: number[] = [];
    const div = await mount(committed);
    const p = q(div, 'topp');
    for (const v of ['', '0', '0.', '0.9']) await input(p, v);
    expect(p.value).toBe('0.9');
    await enter(p);
    expect(committed).toEqual([0.9]);
    expect(p.value).toBe('0.9');
  });

  it('a cleared or out-of-range field says why, keeps what was typed, commits nothing and disables Run until fixed', async () => {
    const committed: number[] = [];
    const div = await mount(committed);
    const s = q(div, 's');
    await input(s, '');
    await blur(s);
    expect(q(div, 's-error').textContent).toBe('enter a number');
    expect(s.getAttribute('aria-invalid')).toBe('true');
    expect(q(div, 'run').disabled).toBe(true);
    await input(s, '2.5');
    await enter(s);
    expect(q(div, 's-error').textContent).toBe('use a whole number');
    await input(s, '99');
    await enter(s);
    expect(q(div, 's-error').textContent).toBe('use 1 to 64');
    expect(s.value).toBe('99');
    expect(committed).toEqual([]);
    await input(s, '8');
    await enter(s);
    expect(q(div, 's-error')).toBeNull();
    expect(q(div, 'run').disabled).toBe(false);
    expect(committed).toEqual([8]);
    expect(enabledBesideAnError).toEqual([]);
  });

  it('a value set elsewhere (a preset) replaces the draft', async () => {
    const div = await mount([]);
    await act(async () => q(div, 'preset').click());
    expect(q(div, 's').value).toBe('1');
  });

  it('parseNumber accepts what people type for rates ("1e-3", ".5") and rejects junk', () => {
    expect(parseNumber('1e-3', { min: 0, max: 1 })).toEqual({ value: 0.001 });
    expect(parseNumber(' .5 ', { min: 0, max: 1 })).toEqual({ value: 0.5 });
    expect(parseNumber('-1', { min: 1e-7, max: 10 })).toEqual({ problem: 'use 1e-7 to 10' });
    expect(parseNumber('abc', { min: 0, max: 1 })).toEqual({ problem: '"abc" is not a number' });
  });
});
