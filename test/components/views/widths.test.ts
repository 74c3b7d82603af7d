// @vitest-environment jsdom
/** Every view fits the width it is given (a 390 px phone): drawn for that width, not drawn for a desktop and scaled. */
import { describe, expect, test } from 'vitest';
import { renderAttentionMap, renderAttentionMatrix } from '@/components/views/attention-map';
import { renderCommitTimeline } from '@/components/views/commit-timeline';
import { renderGroupOrder } from '@/components/views/group-order';
import { renderLossChart } from '@/components/views/loss-chart';
import { renderMaskMatrix } from '@/components/views/mask-matrix';
import { renderTokenStrip, tokenStripAt } from '@/components/views/token-strip';
import { container } from './helpers';

const n = 14;
const labels = Array.from({ length: n }, (_, i) => [' Once', ' upon', ' a', ' time', ','][i % 5]);
const gids = Array.from({ length: n }, (_, i) => (i < 4 ? 0 : i - 3));
const given = gids.map((g) => g === 0);
const steps = gids.flatMap((g, pos) => (g === 0 ? [] : [{ committed: [{ pos, prob: 0.5 }] }]));
const uniform = Array.from({ length: n }, () => Array.from({ length: n }, () => 1 / n));
const svgWidth = (div: HTMLElement) => Number(div.querySelector('svg')?.getAttribute('width'));

const views: [string, (div: HTMLElement, width?: number) => void][] = [
  ['token strip', (div, width) => renderTokenStrip(div, tokenStripAt(labels, given, steps, 3), { width })],
  ['group order', (div, width) => renderGroupOrder(div, { labels, gids, given }, { width })],
  ['commit timeline', (div, width) => renderCommitTimeline(div, { length: n, given, steps, current: 2, labels }, { width })],
  ['attention map', (div, width) => renderAttentionMap(div, { labels, content: uniform[0], query: uniform[0], position: 5, layer: 0, head: 0, gids }, { width })],
  ['attention matrix', (div, width) => renderAttentionMatrix(div, { labels, content: uniform, query: uniform, layer: 0, head: 0, gids, position: 5 }, { width })],
  ['mask matrix', (div, width) => renderMaskMatrix(div, { gids, labels }, { width })],
  ['loss chart', (div, width) => renderLossChart(div, { train: [1, 2, 3].map((step) => ({ step, loss: 5 - step })), val: [], stages: [] }, { width })],
];

describe('views at phone width', () => {
  test.each(views)('%s: 390 px wide when given 390 px, and its desktop size without a width', (_, draw) => {
    const phone = container();
    draw(phone, 390);
    expect(svgWidth(phone)).toBeGreaterThan(0);
    expect(svgWidth(phone)).toBeLessThanOrEqual(390);
    const desktop = container();
    draw(desktop);
    expect(svgWidth(desktop)).toBeGreaterThan(390);
  });

  test('the two-panel matrices stack their panels on a phone and sit side by side on a desktop', () => {
    for (const draw of [views[4][1], views[5][1]]) {
      const phone = container();
      draw(phone, 390);
      const [a, b] = [...phone.querySelectorAll('g.panel')].map((g) => g.getAttribute('transform'));
      expect(a).toBe('translate(0,0)');
      expect(b).toMatch(/^translate\(0,\d+/);
      const desktop = container();
      draw(desktop, 1000);
      expect([...desktop.querySelectorAll('g.panel')][1].getAttribute('transform')).toMatch(/^translate\([1-9][\d.]*,0\)$/);
    }
  });
});
