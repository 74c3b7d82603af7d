// @vitest-environment jsdom
import { describe, expect, test, vi } from 'vitest';
import { groupRanks, renderGroupOrder } from '@/components/views/group-order';
import { palette, stepColor } from '@/components/views/palette';
import { container, hover } from './helpers';

const labels = ['The', ' cat', ' sat', ' on', ' the', ' mat'];
const gids = Int32Array.from([0, 0, 3, 1, 5, 3]);
const given = [true, true, false, false, false, false];

describe('renderGroupOrder', () => {
  test('ranks skip given tokens', () => {
    const { rank, count } = groupRanks(gids, given);
    expect(count).toBe(3);
    expect([...rank.entries()]).toEqual([
      [1, 0],
      [3, 1],
      [5, 2],
    ]);
  });

  test('one chip per token, coloured by commit rank, given dark, current highlighted', () => {
    const div = container();
    renderGroupOrder(div, { labels, gids, given, current: 3 });
    const chips = [...div.querySelectorAll('g.chip')];
    expect(chips.length).toBe(6);
    const fill = (k: number) => chips[k].querySelector('rect')!.getAttribute('fill');
    expect(fill(0)).toBe(palette.given);
    expect(fill(1)).toBe(palette.given);
    expect(fill(3)).toBe(stepColor(0, 3));
    expect(fill(2)).toBe(stepColor(1, 3));
    expect(fill(5)).toBe(stepColor(1, 3));
    expect(fill(4)).toBe(stepColor(2, 3));
    expect(new Set([fill(3), fill(2), fill(4)]).size).toBe(3);
    expect(chips.map((c) => c.querySelector('text.tok')!.textContent)).toEqual(['The', '␣cat', '␣sat', '␣on', '␣the', '␣mat']);
    expect(chips.map((c) => c.querySelector('text.tag')!.textContent)).toEqual(['given', 'given', 'g3', 'g1', 'g5', 'g3']);
    expect(div.querySelectorAll('g.chip.highlight').length).toBe(2);
    expect(chips[2].querySelector('rect')!.getAttribute('stroke')).toBe(palette.highlight);
    expect(div.querySelector('svg')!.getAttribute('aria-label')).toMatch(/3 groups .*2 given/);
    expect([...div.querySelectorAll('g.legend text')].map((t) => t.textContent).join(' ')).toMatch(/given.*first group.*last group/);
    const onHoverToken = vi.fn();
    renderGroupOrder(div, { labels, gids, given, current: 3 }, { onHoverToken });
    hover(div.querySelector('g.chip[data-pos="4"]'));
    expect(div.querySelector('text.readout')!.textContent).toBe('"␣the" · position 4 · group 5 (3 of 3 in commit order)');
    expect(onHoverToken).toHaveBeenCalledWith(4);
  });

  test('re-render updates chips in place', () => {
    const div = container();
    renderGroupOrder(div, { labels, gids, given, current: 3 });
    const chip = div.querySelector('g.chip[data-pos="2"]');
    renderGroupOrder(div, { labels: labels.slice(0, 4), gids: Int32Array.from([0, 1, 2, 3]) });
    expect(div.querySelectorAll('svg').length).toBe(1);
    expect(div.querySelectorAll('g.chip').length).toBe(4);
    expect(div.querySelector('g.chip[data-pos="2"]')).toBe(chip);
    expect(div.querySelectorAll('g.chip.highlight').length).toBe(0);
    expect(div.querySelector('g.chip[data-pos="0"] rect')!.getAttribute('fill')).toBe(stepColor(0, 4));
  });

  test('wraps long sequences onto several rows', () => {
    const div = container();
    const n = 40;
    renderGroupOrder(div, { labels: Array.from({ length: n }, () => ' token'), gids: Int32Array.from({ length: n }, (_, i) => i) }, { maxWidth: 300 });
    const ys = new Set([...div.querySelectorAll('g.chip')].map((c) => c.getAttribute('transform')!.split(',')[1]));
    expect(ys.size).toBeGreaterThan(3);
  });
});
