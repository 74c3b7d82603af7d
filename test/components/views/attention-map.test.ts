// @vitest-environment jsdom
import { describe, expect, test, vi } from 'vitest';
import { renderAttentionMap, renderAttentionMatrix } from '@/components/views/attention-map';
import { explainCell } from '@/components/views/mask-matrix';
import { attentionColor, palette } from '@/components/views/palette';
import { click, container, hover } from './helpers';

const labels = ['a', 'b', 'c', 'd', 'e', 'f'];
const gids = Int32Array.from([1, 0, 2, 2, 0, 2]);
// row 2 (group 2): content sees everything, query sees groups 0,1 = positions 0,1,4
const content = [0.1, 0.2, 0.3, 0.1, 0.2, 0.1];
const query = [0.5, 0.25, 0, 0, 0.25, 0];

describe('renderAttentionMap', () => {
  test('two heat strips over the keys with labels, blocked keys from the masks', () => {
    const div = container();
    renderAttentionMap(div, { labels, content, query, position: 2, layer: 1, head: 3, gids });
    expect(div.querySelectorAll('g.key').length).toBe(12);
    expect(div.querySelectorAll('g.key[data-stream="content"]').length).toBe(6);
    expect(div.querySelector('.view-title')!.textContent).toBe('Attention of position 2 "c" — layer 1, head 3');
    const rect = (s: string, j: number) => div.querySelector(`g.key[data-stream="${s}"][data-key="${j}"] rect`)!;
    expect(rect('query', 0).getAttribute('fill')).toBe(attentionColor(0.5, 0.5));
    expect(rect('content', 2).getAttribute('fill')).toBe(attentionColor(0.3, 0.5));
    expect(rect('query', 3).getAttribute('fill')).toBe(palette.blocked);
    expect(div.querySelectorAll('g.key[data-state="blocked"]').length).toBe(3);
    expect(rect('content', 2).getAttribute('stroke')).toBe(palette.ink);
    expect([...div.querySelectorAll('g.key-labels text')].map((t) => t.textContent)).toEqual(labels);
    hover(div.querySelector('g.key[data-stream="query"][data-key="3"]'));
    expect(div.querySelector('text.readout')!.textContent).toBe(`blocked — ${explainCell('query', 2, 3, gids, labels)}`);
    hover(div.querySelector('g.key[data-stream="content"][data-key="1"]'));
    expect(div.querySelector('text.readout')!.textContent).toBe('content of "c" → "b" (position 1): weight 0.200');
  });

  test('first-group query row is explained; re-render updates in place', () => {
    const div = container();
    const onHoverKey = vi.fn();
    renderAttentionMap(div, { labels, content, query, position: 2, layer: 1, head: 3, gids });
    const node = div.querySelector('g.key[data-stream="content"][data-key="0"]');
    renderAttentionMap(div, { labels: labels.slice(0, 3), content: [0, 1, 0], query: [0, 0, 0], position: 1, layer: 0, head: 0, gids: Int32Array.from([1, 0, 2]) }, { onHoverKey });
    expect(div.querySelectorAll('svg').length).toBe(1);
    expect(div.querySelectorAll('g.key').length).toBe(6);
    expect(div.querySelector('g.key[data-stream="content"][data-key="0"]')).toBe(node);
    expect(div.querySelector('.view-subtitle')!.textContent).toMatch(/first group: it attends to nothing/);
    hover(div.querySelector('g.key[data-stream="content"][data-key="1"]'));
    expect(onHoverKey).toHaveBeenCalledWith({ stream: 'content', key: 1, weight: 1 });
  });
});

describe('renderAttentionMatrix', () => {
  test('full [rows, keys] heat maps of both streams, click selects a row', () => {
    const n = 6;
    const rows = (m: (i: number, j: number) => number) => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => m(i, j)));
    const c = rows((i, j) => (gids[j] <= gids[i] ? 1 : 0));
    const q = rows((i, j) => (gids[j] < gids[i] ? 1 : 0));
    const div = container();
    const onSelectPosition = vi.fn();
    renderAttentionMatrix(div, { labels, content: c, query: q, layer: 0, head: 1, gids, position: 3 }, { onSelectPosition });
    expect(div.querySelectorAll('g.panel').length).toBe(2);
    expect(div.querySelectorAll('rect.cell').length).toBe(72);
    expect(div.querySelectorAll('g.panel[data-stream="query"] rect.cell[data-state="blocked"]').length).toBe(25);
    expect(div.querySelectorAll('g.panel[data-stream="content"] rect.cell[data-state="blocked"]').length).toBe(11);
    expect(div.querySelector('g.panel[data-stream="content"] rect.cell[data-i="0"][data-j="1"]')!.getAttribute('fill')).toBe(attentionColor(1, 1));
    expect(div.querySelectorAll('rect.current-row').length).toBe(2);
    click(div.querySelector('g.panel[data-stream="query"] rect.cell[data-i="4"][data-j="0"]'));
    expect(onSelectPosition).toHaveBeenCalledWith(4);
    hover(div.querySelector('g.panel[data-stream="content"] rect.cell[data-i="2"][data-j="5"]'));
    expect(div.querySelector('text.readout')!.textContent).toBe('content of "c" → "f": weight 1.000');
    renderAttentionMatrix(div, { labels, query: q, layer: 0, head: 1 });
    expect(div.querySelectorAll('g.panel').length).toBe(1);
    expect(div.querySelectorAll('rect.cell').length).toBe(36);
    expect(div.querySelectorAll('rect.current-row').length).toBe(0);
  });
});
