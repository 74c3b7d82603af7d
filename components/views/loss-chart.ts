/**
 * LossChart: streaming train / validation loss against step, with stage
 * boundaries as labelled vertical rules; linear or log y. Cheap to re-render on
 * every appended point: two path redraws, keyed joins for the few other marks,
 * and series longer than `maxPoints` are downsampled (min/max per bucket, so
 * spikes survive).
 */
import * as d3 from 'd3';
import { joinOne, readout, viewRoot, type Container, type G } from './common';
import { textWidth } from './format';
import { fonts, palette } from './palette';

// One definition: the store builds these series from training events; the chart draws them.
import type { LossPoint, StageMark } from '../../lib/store/training';
export type { LossPoint, StageMark };

export interface LossChartData {
  train: readonly LossPoint[];
  val: readonly LossPoint[];
  stages: readonly StageMark[];
}

export interface LossChartOptions {
  /** Width in px (default 720; the wrapper passes its container's). */
  width?: number;
  height?: number;
  /** Log-scale y axis (non-positive losses are dropped). */
  logScale?: boolean;
  /** Downsample a series above this many points (default 2000). */
  maxPoints?: number;
  /** Also show stages that start after the last logged step (default false). */
  showFutureStages?: boolean;
}

/**
 * At most `max` points of `points` (finite losses only), keeping the first and
 * last point and, per bucket, the lowest and highest loss, in step order.
 */
export function downsample(points: readonly LossPoint[], max = 2000): LossPoint[] {
  const pts = points.filter((p) => Number.isFinite(p.loss) && Number.isFinite(p.step));
  if (pts.length <= max) return pts;
  const buckets = Math.max(1, Math.floor((max - 2) / 2));
  const inner = pts.length - 2;
  const out: LossPoint[] = [pts[0]];
  for (let b = 0; b < buckets; b++) {
    const lo = 1 + Math.floor((b * inner) / buckets);
    const hi = 1 + Math.floor(((b + 1) * inner) / buckets);
    if (hi <= lo) continue;
    let iMin = lo;
    let iMax = lo;
    for (let i = lo + 1; i < hi; i++) {
      if (pts[i].loss < pts[iMin].loss) iMin = i;
      if (pts[i].loss > pts[iMax].loss) iMax = i;
    }
    if (iMin === iMax) out.push(pts[iMin]);
    else if (iMin < iMax) out.push(pts[iMin], pts[iMax]);
    else out.push(pts[iMax], pts[iMin]);
  }
  out.push(pts[pts.length - 1]);
  return out;
}

interface Series {
  name: 'train' | 'val';
  label: string;
  points: LossPoint[];
  color: string;
  dash: string | null;
}

export function renderLossChart(container: Container, data: LossChartData, options: LossChartOptions = {}): void {
  const width = options.width ?? 720;
  const height = options.height ?? 340;
  const log = !!options.logScale;
  const max = options.maxPoints ?? 2000;
  const fs = fonts.size;
  const margin = { top: 34 + 2 * (fs + 4), right: 24, bottom: 48, left: 64 };
  const iw = Math.max(10, width - margin.left - margin.right);
  const ih = Math.max(10, height - margin.top - margin.bottom);
  const keep = (p: LossPoint) => !log || p.loss > 0;
  const series: Series[] = [
    { name: 'train', label: 'train', points: downsample(data.train.filter(keep), max), color: palette.train, dash: null },
    { name: 'val', label: 'validation', points: downsample(data.val.filter(keep), max), color: palette.val, dash: '7 4' },
  ];
  const all = series.flatMap((s) => s.points);
  const dataMax = d3.max(all, (p) => p.step);
  const stages = data.stages.filter((s) => options.showFutureStages || dataMax === undefined || s.startStep <= dataMax);
  const steps = [...all.map((p) => p.step), ...stages.map((s) => s.startStep)];
  const x0 = d3.min(steps) ?? 0;
  let x1 = d3.max(steps) ?? 1;
  if (x1 <= x0) x1 = x0 + 1;
  const x = d3.scaleLinear().domain([x0, x1]).range([0, iw]);
  let [y0, y1] = d3.extent(all, (p) => p.loss) as [number | undefined, number | undefined];
  if (y0 === undefined || y1 === undefined) [y0, y1] = log ? [1, 10] : [0, 1];
  if (y1 <= y0) [y0, y1] = log ? [y0 / 1.5, y1 * 1.5] : [y0 - 0.5, y1 + 0.5];
  const y = log ? d3.scaleLog().domain([y0, y1]).range([ih, 0]).nice() : d3.scaleLinear().domain([y0, y1]).range([ih, 0]).nice();

  const last = (s: Series) => s.points[s.points.length - 1];
  const lastTrain = last(series[0]);
  const lastVal = last(series[1]);
  const root = viewRoot(
    container,
    'loss-chart',
    width,
    height,
    `Loss against training step${log ? ' (log scale)' : ''}` +
      (lastTrain ? `: train ${lastTrain.loss.toFixed(3)} at step ${lastTrain.step}` : ': no steps yet') +
      (lastVal ? `, validation ${lastVal.loss.toFixed(3)} at step ${lastVal.step}` : '') +
      (stages.length ? `; stages ${stages.map((s) => s.name).join(', ')}` : ''),
  );
  const plot = joinOne(root, 'g', 'plot').attr('transform', `translate(${margin.left},${margin.top})`);

  // axes
  const xAxis = joinOne(plot, 'g', 'axis x-axis').attr('transform', `translate(0,${ih})`);
  // Steps are whole numbers: keep only integer ticks (a 5-step run would otherwise show 0.5, 1.5 ...).
  const xTicks = x.ticks(Math.max(2, Math.floor(iw / 90))).filter(Number.isInteger);
  xAxis.call(d3.axisBottom(x).tickValues(xTicks).tickFormat(d3.format('~s')) as never);
  const yAxis = joinOne(plot, 'g', 'axis y-axis');
  yAxis.call((log ? d3.axisLeft(y).ticks(5, '~g') : d3.axisLeft(y).ticks(Math.max(2, Math.floor(ih / 50)))) as never);
  plot.selectAll('.axis text').attr('font-size', fonts.small + 1).attr('fill', palette.ink);
  joinOne(plot, 'text', 'x-label').attr('x', iw / 2).attr('y', ih + 40).attr('text-anchor', 'middle').attr('font-size', fs).attr('fill', palette.ink).text('step');
  joinOne(plot, 'text', 'y-label')
    .attr('transform', `translate(${-48},${ih / 2}) rotate(-90)`)
    .attr('text-anchor', 'middle')
    .attr('font-size', fs)
    .attr('fill', palette.ink)
    .text(`loss (nats / token${log ? ', log' : ''})`);

  // stage rules (behind the series)
  const stageLayer = joinOne(plot, 'g', 'stages');
  const stageSel = stageLayer
    .selectAll<SVGGElement, StageMark>('g.stage')
    .data(stages, (d) => String(d.index)) // by index: two stages may share a name
    .join((enter) => {
      const e = enter.append('g').attr('class', 'stage');
      e.append('line');
      e.append('text');
      return e;
    })
    .attr('data-name', (d) => d.name)
    .attr('transform', (d) => `translate(${x(d.startStep)},0)`);
  stageSel
    .select('line')
    .attr('y1', -6)
    .attr('y2', ih)
    .attr('stroke', palette.stage)
    .attr('stroke-width', 1.5)
    .attr('stroke-dasharray', '4 3');
  stageSel
    .select('text')
    .attr('x', 4)
    .attr('y', (_, k) => -10 - (k % 2) * (fs + 3))
    .attr('font-size', fs)
    .attr('fill', palette.muted)
    .attr('text-anchor', (d) => (x(d.startStep) > iw - 80 ? 'end' : 'start'))
    .text((d) => d.name);

  // series
  const line = d3
    .line<LossPoint>()
    .x((p) => x(p.step))
    .y((p) => y(p.loss));
  const seriesLayer = joinOne(plot, 'g', 'series');
  seriesLayer
    .selectAll<SVGPathElement, Series>('path.line')
    .data(series, (d) => d.name)
    .join('path')
    .attr('class', (d) => `line ${d.name}`)
    .attr('fill', 'none')
    .attr('stroke', (d) => d.color)
    .attr('stroke-width', 2.5)
    .attr('stroke-linejoin', 'round')
    .attr('stroke-dasharray', (d) => d.dash)
    .attr('d', (d) => (d.points.length ? line(d.points) : null));
  const valDots = series[1].points.length <= 200 ? series[1].points : [];
  seriesLayer
    .selectAll<SVGCircleElement, LossPoint>('circle.val-dot')
    .data(valDots, (d) => String(d.step))
    .join('circle')
    .attr('class', 'val-dot')
    .attr('cx', (p) => x(p.step))
    .attr('cy', (p) => y(p.loss))
    .attr('r', 3.5)
    .attr('fill', palette.val);

  // legend with the latest values
  const legendItems = series.map((s) => ({ ...s, text: `${s.label}${last(s) ? ` ${last(s).loss.toFixed(3)}` : ''}` }));
  let lx = 0;
  const legendPos = legendItems.map((it) => {
    const p = lx;
    lx += 34 + textWidth(it.text, fs) + 20;
    return p;
  });
  const legend = joinOne(root, 'g', 'legend').attr('transform', `translate(${margin.left},16)`);
  const li = legend
    .selectAll<SVGGElement, (typeof legendItems)[number]>('g.legend-item')
    .data(legendItems, (d) => d.name)
    .join((enter) => {
      const e = enter.append('g').attr('class', 'legend-item');
      e.append('line');
      e.append('text');
      return e;
    })
    .attr('data-key', (d) => d.name)
    .attr('transform', (_, k) => `translate(${legendPos[k]},0)`);
  li.select('line').attr('x1', 0).attr('x2', 28).attr('stroke', (d) => d.color).attr('stroke-width', 2.5).attr('stroke-dasharray', (d) => d.dash);
  li.select('text').attr('x', 34).attr('dy', '0.35em').attr('font-size', fs).attr('fill', palette.ink).text((d) => d.text);

  joinOne(plot, 'text', 'empty-note')
    .attr('x', iw / 2)
    .attr('y', ih / 2)
    .attr('text-anchor', 'middle')
    .attr('font-size', fs)
    .attr('fill', palette.muted)
    .text(all.length ? '' : 'waiting for the first step…');

  // hover: nearest logged step
  const bisect = d3.bisector<LossPoint, number>((p) => p.step).center;
  const nearest = (pts: LossPoint[], s: number) => (pts.length ? pts[bisect(pts, s)] : undefined);
  const focus = joinOne(plot, 'line', 'focus').attr('y1', 0).attr('y2', ih).attr('stroke', palette.highlight).attr('stroke-width', 1.5).style('pointer-events', 'none');
  const hover = joinOne(plot as unknown as G, 'rect', 'hover-area').attr('width', iw).attr('height', ih).attr('fill', 'transparent');
  const hoverText = (s: number) => {
    const t = nearest(series[0].points, s);
    const v = nearest(series[1].points, s);
    return [t && `train ${t.loss.toFixed(3)} at step ${t.step}`, v && `validation ${v.loss.toFixed(3)} at step ${v.step}`].filter(Boolean).join(' · ');
  };
  readout(root, 'readout', width - margin.right, 16, '', fonts.small + 1);
  root.select('text.readout').attr('text-anchor', 'end');
  hover
    .on('mousemove', (event: MouseEvent) => {
      const s = x.invert(d3.pointer(event, plot.node())[0]);
      focus.attr('x1', x(s)).attr('x2', x(s)).attr('opacity', 1);
      root.select('text.readout').text(hoverText(s));
    })
    .on('mouseleave', () => {
      focus.attr('opacity', 0);
      root.select('text.readout').text('');
    });
  focus.attr('opacity', 0);
}
