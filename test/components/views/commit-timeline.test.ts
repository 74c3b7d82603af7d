// @vitest-environment jsdom
import { describe, expect, test, vi } from 'vitest';
import { renderCommitTimeline, timelineStates, type CommitTimelineData } from '@/components/views/commit-timeline';
import { currentFill, palette } from '@/components/views/palette';
import { click, container, hover, stubCanvas } from './helpers';

// 6 positions, 0-1 given; step 0 commits 3 (p .9), step 1 commits 2 and 5, step 2 commits 4
const data: CommitTimelineData = {
  length: 6,
  given: [true, true, false, false, false, false],
  steps: [
    { committed: [{ pos: 3, prob: 0.9 }] },
    { committed: [{ pos: 2, prob: 0.5 }, { pos: 5, prob: 0.25 }] },
    { committed: [{ pos: 4, prob: 1 }] },
  ],
  current: 1,
  labels: ['The', ' cat', ' sat', ' on', ' the', ' mat'],
};
const cell = (div: Element, t: number, p: number) => div.querySelector(`rect.cell[data-i="${t}"][data-j="${p}"]`)!;

describe('timelineStates', () => {
  test('row t: given / open / current / earlier', () => {
    expect(timelineStates(data)).toEqual([
      ['given', 'given', 'open', 'current', 'open', 'open'],
      ['given', 'given', 'current', 'earlier', 'open', 'current'],
      ['given', 'given', 'earlier', 'earlier', 'current', 'earlier'],
    ]);
  });
});

describe('renderCommitTimeline', () => {
  test('steps × positions cells coloured by state, probability shading, labels', () => {
    const div = container();
    renderCommitTimeline(div, data);
    expect(div.querySelectorAll('rect.cell').length).toBe(18);
    expect(cell(div, 0, 0).getAttribute('fill')).toBe(palette.given);
    expect(cell(div, 0, 2).getAttribute('fill')).toBe(palette.open);
    expect(cell(div, 0, 3).getAttribute('fill')).toBe(currentFill(0.9));
    expect(cell(div, 1, 3).getAttribute('fill')).toBe(palette.earlier);
    expect(cell(div, 1, 5).getAttribute('fill')).toBe(currentFill(0.25));
    expect(currentFill(0.25)).not.toBe(currentFill(0.9));
    expect(cell(div, 2, 4).getAttribute('data-state')).toBe('current');
    expect(div.querySelectorAll('g.row-label').length).toBe(3);
    expect(div.querySelector('g.row-label[data-step="1"] text')!.textContent).toBe('▶ step 2');
    expect(div.querySelector('g.row-label[data-step="1"]')!.getAttribute('aria-current')).toBe('step');
    expect(div.querySelector('rect.current-row')!.getAttribute('y')).toBe(String(1 * Number(cell(div, 1, 0).getAttribute('y')) - 1.5));
    expect([...div.querySelectorAll('g.col-labels text')].map((t) => t.textContent)).toEqual(['The', '␣cat', '␣sat', '␣on', '␣the', '␣mat']);
    expect([...div.querySelectorAll('g.legend-item text')].map((t) => t.textContent)).toHaveLength(4);
    expect(cell(div, 1, 2).querySelector('title')!.textContent).toBe('step 2 · position 2 "␣sat": committed at this step (p = 0.50)');
    hover(cell(div, 0, 5));
    expect(div.querySelector('text.readout')!.textContent).toBe('step 1 · position 5 "␣mat": open; committed later at step 2');
  });

  test('a step that commits nothing (speculative draft) is labelled "draft"; stepNames override', () => {
    const spec: CommitTimelineData = { ...data, steps: [{ committed: [] }, ...data.steps], current: 0 };
    const div = container();
    renderCommitTimeline(div, spec);
    expect(div.querySelectorAll('rect.cell').length).toBe(24);
    expect(div.querySelector('g.row-label[data-step="0"] text')!.textContent).toBe('▶ draft 1');
    expect(div.querySelector('g.row-label[data-step="0"]')!.getAttribute('data-kind')).toBe('draft');
    expect(div.querySelector('g.row-label[data-step="1"] text')!.textContent).toBe('step 2');
    expect(timelineStates(spec)[0]).toEqual(['given', 'given', 'open', 'open', 'open', 'open']);
    expect(cell(div, 0, 3).querySelector('title')!.textContent).toBe('draft step 1 · position 3 "␣on": open; committed later at step 2');
    renderCommitTimeline(div, { ...spec, stepNames: ['draft', 'verify', 'draft', 'verify'] });
    expect(div.querySelector('g.row-label[data-step="1"] text')!.textContent).toBe('verify 2');
  });

  test('click on a row (cell or label) calls onSelectStep with the row index', () => {
    const div = container();
    const onSelectStep = vi.fn();
    renderCommitTimeline(div, data, { onSelectStep });
    click(cell(div, 2, 0));
    expect(onSelectStep).toHaveBeenLastCalledWith(2);
    click(div.querySelector('g.row-label[data-step="0"]'));
    expect(onSelectStep).toHaveBeenLastCalledWith(0);
    div.querySelector('g.row-label[data-step="1"]')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    expect(onSelectStep).toHaveBeenLastCalledWith(1);
    expect(onSelectStep).toHaveBeenCalledTimes(3);
    // the callback of the latest render is the one called
    const second = vi.fn();
    renderCommitTimeline(div, data, { onSelectStep: second });
    click(cell(div, 1, 1));
    expect(second).toHaveBeenCalledWith(1);
    expect(onSelectStep).toHaveBeenCalledTimes(3);
  });

  test('re-render with a new current step / more steps updates in place', () => {
    const div = container();
    renderCommitTimeline(div, data);
    const node = cell(div, 0, 3);
    renderCommitTimeline(div, { ...data, current: 2 });
    expect(div.querySelectorAll('svg').length).toBe(1);
    expect(div.querySelectorAll('rect.cell').length).toBe(18);
    expect(cell(div, 0, 3)).toBe(node);
    expect(div.querySelectorAll('rect.current-row').length).toBe(1);
    expect(div.querySelector('g.row-label[data-step="2"] text')!.textContent).toBe('▶ step 3');
    const more = { ...data, length: 7, given: [...Array.from(data.given), false], steps: [...data.steps, { committed: [{ pos: 6, prob: 0.7 }] }], current: 3 };
    renderCommitTimeline(div, more);
    expect(div.querySelectorAll('rect.cell').length).toBe(28);
    expect(cell(div, 3, 6).getAttribute('data-state')).toBe('current');
    expect(div.querySelectorAll('g.row-label').length).toBe(4);
  });

  test('a DecodeTrace-shaped step list (extra fields) maps directly', () => {
    const steps = [{ groupId: 1, ms: 3, committed: [{ pos: 1, token: 7, prob: 0.4, entropy: 1.2 }] }];
    const div = container();
    renderCommitTimeline(div, { length: 2, given: [true, false], steps, current: 0 });
    expect(cell(div, 0, 1).getAttribute('fill')).toBe(currentFill(0.4));
  });

  test('dense grid: canvas bitmap when available, rows still clickable', () => {
    const steps = Array.from({ length: 64 }, (_, t) => ({ committed: [{ pos: t, prob: 0.5 }] }));
    const big: CommitTimelineData = { length: 64, given: new Array(64).fill(false), steps, current: 10 };
    const stub = stubCanvas();
    try {
      const div = container();
      const onSelectStep = vi.fn();
      renderCommitTimeline(div, big, { onSelectStep });
      expect(div.querySelector('g.grid')!.getAttribute('data-renderer')).toBe('canvas');
      expect(div.querySelectorAll('rect.cell').length).toBe(0);
      click(div.querySelector('g.row-label[data-step="5"]'));
      expect(onSelectStep).toHaveBeenCalledWith(5);
    } finally {
      stub.restore();
    }
    const div2 = container();
    renderCommitTimeline(div2, big);
    expect(div2.querySelectorAll('rect.cell').length).toBe(64 * 64);
  });
});
