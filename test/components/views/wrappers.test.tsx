// @vitest-environment jsdom
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { AttentionMap, CommitTimeline, GroupOrder, LossChart, MaskMatrix, TokenStrip, AttentionMatrix } from '@/components/views';
import { container, click } from './helpers';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
const roots: ReturnType<typeof createRoot>[] = [];
afterEach(() => {
  act(() => roots.splice(0).forEach((r) => r.unmount()));
});
function mount(el: React.ReactNode) {
  const div = container();
  const root = createRoot(div);
  roots.push(root);
  act(() => root.render(el));
  return { div, rerender: (next: React.ReactNode) => act(() => root.render(next)) };
}

const gids = Int32Array.from([1, 0, 2, 2, 0, 2]);
const labels = ['a', 'b', 'c', 'd', 'e', 'f'];

describe('React wrappers', () => {
  test('MaskMatrix renders and re-renders into one svg', () => {
    const { div, rerender } = mount(<MaskMatrix data={{ gids, labels }} className="m" />);
    expect(div.querySelector('div.m[data-view="mask-matrix"] svg.a3-mask-matrix')).not.toBeNull();
    expect(div.querySelectorAll('rect.cell').length).toBe(72);
    rerender(<MaskMatrix data={{ gids: Int32Array.from([0, 1]), labels: ['x', 'y'] }} className="m" />);
    expect(div.querySelectorAll('svg').length).toBe(1);
    expect(div.querySelectorAll('rect.cell').length).toBe(8);
  });

  test('CommitTimeline forwards onSelectStep', () => {
    const onSelectStep = vi.fn();
    const data = { length: 2, given: [false, false], steps: [{ committed: [{ pos: 0, prob: 1 }] }, { committed: [{ pos: 1, prob: 1 }] }], current: 0 };
    const { div } = mount(<CommitTimeline data={data} onSelectStep={onSelectStep} />);
    click(div.querySelector('rect.cell[data-i="1"][data-j="0"]'));
    expect(onSelectStep).toHaveBeenCalledWith(1);
  });

  test('the other wrappers mount', () => {
    const { div } = mount(
      <>
        <GroupOrder data={{ labels, gids }} />
        <AttentionMap data={{ labels, content: [1, 0, 0, 0, 0, 0], query: [0, 1, 0, 0, 0, 0], position: 2, layer: 0, head: 0 }} />
        <AttentionMatrix data={{ labels: ['x', 'y'], content: [[1, 0], [0.5, 0.5]], layer: 0, head: 0 }} />
        <LossChart data={{ train: [{ step: 0, loss: 3 }, { step: 1, loss: 2 }], val: [], stages: [] }} logToggle />
        <TokenStrip data={{ tokens: [{ text: 'hi', state: 'given' }] }} />
      </>,
    );
    for (const v of ['group-order', 'attention-map', 'attention-matrix', 'loss-chart', 'token-strip']) expect(div.querySelector(`svg.a3-${v}`)).not.toBeNull();
    const box = div.querySelector('input[type="checkbox"]') as HTMLInputElement;
    expect(div.querySelector('text.y-label')!.textContent).not.toMatch(/log/);
    act(() => box.click());
    expect(div.querySelector('text.y-label')!.textContent).toMatch(/log/);
  });
});
