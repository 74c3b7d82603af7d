// @vitest-environment jsdom
import { describe, expect, test } from 'vitest';
import { downsample, renderLossChart, type LossChartData, type LossPoint } from '@/components/views/loss-chart';
import { container } from './helpers';

const curve = (n: number, from = 0): LossPoint[] => Array.from({ length: n }, (_, k) => ({ step: from + k, loss: 5 * Math.exp(-(from + k) / 50) + 1 }));

describe('downsample', () => {
  test('keeps short series, caps long ones, keeps ends and spikes, drops non-finite', () => {
    expect(downsample(curve(10))).toHaveLength(10);
    const long = Array.from({ length: 10_000 }, (_, k) => ({ step: k, loss: 2 + Math.sin(k) }));
    long[5000] = { step: 5000, loss: 99 };
    long[7000] = { step: 7000, loss: NaN };
    const d = downsample(long, 2000);
    expect(d.length).toBeLessThanOrEqual(2000);
    expect(d.length).toBeGreaterThan(1500);
    expect(d[0]).toBe(long[0]);
    expect(d[d.length - 1]).toBe(long[long.length - 1]);
    expect(d.some((p) => p.loss === 99)).toBe(true);
    expect(d.every((p) => Number.isFinite(p.loss))).toBe(true);
    for (let k = 1; k < d.length; k++) expect(d[k].step).toBeGreaterThan(d[k - 1].step);
  });
});

describe('renderLossChart', () => {
  const data: LossChartData = {
    train: curve(300),
    val: [0, 100, 200, 299].map((s) => ({ step: s, loss: 5 * Math.exp(-s / 50) + 1.2 })),
    stages: [
      { index: 0, name: 'AR pretrain', startStep: 0 },
      { index: 1, name: 'singletons', startStep: 100 },
      { index: 2, name: 'blocks s=2', startStep: 200 },
      { index: 3, name: 'random s=4', startStep: 10_000 },
    ],
  };

  test('axes, two series, val dots, labelled stage rules, legend', () => {
    const div = container();
    renderLossChart(div, data);
    expect(div.querySelectorAll('path.line').length).toBe(2);
    expect(div.querySelector('path.line.train')!.getAttribute('d')).toMatch(/^M/);
    expect(div.querySelectorAll('circle.val-dot').length).toBe(4);
    expect(div.querySelectorAll('g.x-axis .tick').length).toBeGreaterThan(2);
    expect(div.querySelectorAll('g.y-axis .tick').length).toBeGreaterThan(2);
    // the future stage is hidden until reached
    expect([...div.querySelectorAll('g.stage text')].map((t) => t.textContent)).toEqual(['AR pretrain', 'singletons', 'blocks s=2']);
    expect([...div.querySelectorAll('g.legend-item text')].map((t) => t.textContent)).toEqual(['train 1.013', 'validation 1.213']);
    expect(div.querySelector('svg')!.getAttribute('aria-label')).toMatch(/train 1\.013 at step 299/);
    expect(div.querySelector('text.empty-note')!.textContent).toBe('');
  });

  test('appending points updates the same marks (no duplicates)', () => {
    const div = container();
    renderLossChart(div, data);
    const path = div.querySelector('path.line.train');
    const d0 = path!.getAttribute('d');
    const stage = div.querySelector('g.stage[data-name="singletons"]');
    renderLossChart(div, { ...data, train: [...data.train, ...curve(50, 300)], val: [...data.val, { step: 349, loss: 1.1 }] });
    expect(div.querySelectorAll('svg').length).toBe(1);
    expect(div.querySelectorAll('path.line').length).toBe(2);
    expect(div.querySelector('path.line.train')).toBe(path);
    expect(path!.getAttribute('d')).not.toBe(d0);
    expect(div.querySelectorAll('circle.val-dot').length).toBe(5);
    expect(div.querySelector('g.stage[data-name="singletons"]')).toBe(stage);
    expect(div.querySelectorAll('g.x-axis').length).toBe(1);
    expect(div.querySelectorAll('g.legend-item').length).toBe(2);
  });

  test('large series are downsampled; log scale; empty data', () => {
    const div = container();
    renderLossChart(div, { train: curve(20_000), val: [], stages: [] });
    const segments = (div.querySelector('path.line.train')!.getAttribute('d')!.match(/L/g) ?? []).length;
    expect(segments).toBeLessThan(2000);
    renderLossChart(div, { train: [...curve(100), { step: 100, loss: 0 }], val: [], stages: [] }, { logScale: true });
    expect(div.querySelector('text.y-label')!.textContent).toMatch(/log/);
    expect((div.querySelector('path.line.train')!.getAttribute('d')!.match(/L/g) ?? []).length).toBe(99);
    renderLossChart(div, { train: [], val: [], stages: [] });
    expect(div.querySelector('text.empty-note')!.textContent).toMatch(/waiting/);
    expect(div.querySelector('path.line.train')!.getAttribute('d')).toBeNull();
  });

  test('an append-every-step loop stays fast', () => {
    const div = container();
    const train: LossPoint[] = curve(5000);
    const t0 = performance.now();
    for (let k = 0; k < 100; k++) {
      train.push({ step: 5000 + k, loss: 1 });
      renderLossChart(div, { train, val: [], stages: [{ index: 0, name: 's', startStep: 0 }] });
    }
    const ms = (performance.now() - t0) / 100;
    expect(ms).toBeLessThan(100); // jsdom; in a browser this is a few ms
  });
});
