/**
 * AttentionMap: attention weights of one query position, layer and head, for
 * both streams (content row, query row) over the key positions, as heat strips
 * with token labels. AttentionMatrix: the full [rows, keys] heat maps of both
 * streams for a small sequence. Keys a row may not attend (when group ids are
 * given) are drawn as blocked, with the reason from explainCell.
 *
 * Longer than most: two renderers of the same data (strip and full matrix), sharing
 * the stream names, the blocked-cell rule and the colour scale; most of the length
 * is d3 attribute chains, one attribute a line.
 */
import * as d3 from 'd3';
import { canAttend, type Stream } from '../../lib/a3/masks';
import { drawGrid, fitCell, joinOne, minWidth, panelLayout, readout, viewRoot, type Container, type G, type Renderer, type Sized } from './common';
import { displayToken, labelAt, textWidth, truncate } from './format';
import { explainCell } from './mask-matrix';
import { attentionColor, fonts, palette, textOn } from './palette';

export interface AttentionMapData {
  /** Token text per key position. */
  labels: readonly string[];
  /** Content-stream attention weights of row `position` over the keys. */
  content: ArrayLike<number>;
  /** Query-stream attention weights of row `position` over the keys. */
  query: ArrayLike<number>;
  /** The attending (query) position. */
  position: number;
  layer: number;
  head: number;
  /** Group ids: marks keys the row may not attend as blocked. */
  gids?: ArrayLike<number>;
}

export interface AttentionMapOptions extends Sized {
  cellWidth?: number;
  /** Called with the hovered key position (null on leave). */
  onHoverKey?: (cell: { stream: Stream; key: number; weight: number } | null) => void;
}

export interface AttentionMatrixData {
  labels: readonly string[];
  /** content[i][j]: weight of content row i on key j. Either stream may be omitted. */
  content?: readonly ArrayLike<number>[];
  query?: readonly ArrayLike<number>[];
  layer: number;
  head: number;
  gids?: ArrayLike<number>;
  /** Row to highlight (the selected query position). */
  position?: number;
}

export interface AttentionMatrixOptions extends Sized {
  cellSize?: number;
  renderer?: Renderer;
  /** Clicking a row selects that position (e.g. to show it in AttentionMap). */
  onSelectPosition?: (pos: number) => void;
}

const STREAMS: Stream[] = ['content', 'query'];
const STREAM_NAME: Record<Stream, string> = { content: 'content h', query: 'query g' };

const maxOf = (rows: ArrayLike<number>[]) => {
  let m = 0;
  for (const r of rows) for (let j = 0; j < r.length; j++) if (Number.isFinite(r[j]) && r[j] > m) m = r[j];
  return m > 0 ? m : 1;
};

function blocked(stream: Stream, gids: ArrayLike<number> | undefined, i: number, j: number): boolean {
  return !!gids && !canAttend(stream, gids[i], gids[j]);
}

interface StripCell {
  stream: Stream;
  key: number;
  w: number;
  blocked: boolean;
}

export function renderAttentionMap(container: Container, data: AttentionMapData, options: AttentionMapOptions = {}): void {
  const n = data.labels.length;
  const fs = fonts.size;
  const fixedW = textWidth('content h', fs) + 12 + 8;
  const c = options.cellWidth ?? fitCell(n, options.width, fixedW, 760, 8, 56);
  const cellH = 40;
  const showLabels = c >= 14;
  const showValues = c >= 38;
  const labels = Array.from({ length: n }, (_, j) => truncate(displayToken(labelAt(data.labels, j)), 10));
  const max = maxOf([data.content, data.query]);
  const nameW = textWidth('content h', fs) + 12;
  const gridX = nameW;
  const top = 52;
  const labelH = showLabels ? Math.max(...labels.map((s) => textWidth(s, fs)), 10) * 0.82 + 16 : fs + 8;
  const stripsH = 2 * cellH + 10;
  const width = Math.max(gridX + n * c + 8, minWidth(options.width));
  const height = top + stripsH + labelH + 4 * fs + 34;
  const p = data.position;
  const tok = `"${displayToken(labelAt(data.labels, p))}"`;
  const title = `Attention of position ${p} ${tok} — layer ${data.layer}, head ${data.head}`;
  const root = viewRoot(container, 'attention-map', width, height, `${title}: content-stream and query-stream weights over ${n} keys.`);
  joinOne(root, 'text', 'view-title').attr('x', 0).attr('y', 18).attr('font-size', fonts.title).attr('font-weight', 600).attr('fill', palette.ink).text(title);
  const qEmpty = !!data.gids && data.labels.every((_, j) => blocked('query', data.gids, p, j));
  joinOne(root, 'text', 'view-subtitle')
    .attr('x', 0)
    .attr('y', 38)
    .attr('font-size', fonts.small + 1)
    .attr('fill', palette.muted)
    .text(
      qEmpty
        ? 'This query row is in the first group: it attends to nothing and is predicted from w alone.'
        : `darker = more attention (scale 0 … ${max.toFixed(2)}); outlined = the attending position`,
    );

  const cells: StripCell[] = [];
  for (const stream of STREAMS) {
    const row = stream === 'content' ? data.content : data.query;
    for (let j = 0; j < n; j++) cells.push({ stream, key: j, w: row[j] ?? 0, blocked: blocked(stream, data.gids, p, j) });
  }
  const rowY = (s: Stream) => (s === 'content' ? 0 : cellH + 10);
  const strips = joinOne(root, 'g', 'strips').attr('transform', `translate(0,${top})`);
  strips
    .selectAll<SVGTextElement, Stream>('text.stream-name')
    .data(STREAMS, (d) => d)
    .join('text')
    .attr('class', 'stream-name')
    .attr('x', nameW - 8)
    .attr('y', (s) => rowY(s) + cellH / 2)
    .attr('dy', '0.35em')
    .attr('text-anchor', 'end')
    .attr('font-size', fs)
    .attr('font-weight', 600)
    .attr('fill', palette.ink)
    .text((s) => STREAM_NAME[s]);
  const fillOf = (d: StripCell) => (d.blocked ? palette.blocked : attentionColor(d.w, max));
  // Non-null gids: blocked() is true only when gids is defined.
  const describe = (d: StripCell) =>
    d.blocked
      ? `blocked — ${explainCell(d.stream, p, d.key, data.gids!, data.labels)}`
      : `${d.stream} of ${tok} → "${displayToken(labelAt(data.labels, d.key))}" (position ${d.key}): weight ${d.w.toFixed(3)}`;
  const sel = strips
    .selectAll<SVGGElement, StripCell>('g.key')
    .data(cells, (d) => `${d.stream}:${d.key}`)
    .join((enter) => {
      const e = enter.append('g').attr('class', 'key');
      e.append('rect');
      e.append('text');
      e.append('title');
      return e;
    })
    .attr('data-stream', (d) => d.stream)
    .attr('data-key', (d) => d.key)
    .attr('data-state', (d) => (d.blocked ? 'blocked' : 'weight'))
    .attr('transform', (d) => `translate(${gridX + d.key * c},${rowY(d.stream)})`);
  sel
    .select('rect')
    .attr('width', c - 1)
    .attr('height', cellH)
    .attr('fill', fillOf)
    .attr('stroke', (d) => (d.key === p ? palette.ink : 'none'))
    .attr('stroke-width', (d) => (d.key === p ? 2.5 : 0));
  sel
    .select('text')
    .attr('x', (c - 1) / 2)
    .attr('y', cellH / 2)
    .attr('dy', '0.35em')
    .attr('text-anchor', 'middle')
    .attr('font-size', fonts.small)
    .attr('fill', (d) => (d.blocked ? palette.muted : textOn(fillOf(d))))
    .text((d) => (d.blocked ? (c >= 14 ? '×' : '') : showValues ? d.w.toFixed(2).replace(/^0\./, '.') : ''));
  sel.select('title').text(describe);

  joinOne(root, 'g', 'key-labels')
    .attr('transform', `translate(${gridX},${top + stripsH + 6})`)
    .selectAll<SVGTextElement, number>('text')
    .data(d3.range(n).filter((j) => showLabels || j % Math.ceil(30 / c) === 0), (d) => d)
    .join('text')
    .attr('transform', (j) => `translate(${j * c + c / 2},0) rotate(${showLabels ? 55 : 0})`)
    .attr('text-anchor', showLabels ? 'start' : 'middle')
    .attr('dy', showLabels ? '0.3em' : '0.8em')
    .attr('font-size', showLabels ? fs : fonts.small)
    .attr('font-family', showLabels ? fonts.mono : fonts.ui)
    .attr('font-weight', (j) => (j === p ? 700 : 400))
    .attr('fill', palette.ink)
    .text((j) => (showLabels ? labels[j] : String(j)));

  const hint = 'Hover a key for its weight.';
  readout(root, 'readout', 0, height - 8 - 1.25 * fs, hint, fs, width);
  sel.on('mouseenter', (_, d) => {
    readout(root, 'readout', 0, height - 8 - 1.25 * fs, describe(d), fs, width);
    options.onHoverKey?.({ stream: d.stream, key: d.key, weight: d.w });
  });
  sel.on('mouseleave', () => {
    readout(root, 'readout', 0, height - 8 - 1.25 * fs, hint, fs, width);
    options.onHoverKey?.(null);
  });
}

export function renderAttentionMatrix(container: Container, data: AttentionMatrixData, options: AttentionMatrixOptions = {}): void {
  const n = data.labels.length;
  const streams = STREAMS.filter((s) => data[s]);
  const fs = fonts.size;
  const gap = 36;
  const layout = panelLayout(streams.length, options.width, gap);
  // ~ the widest row label (10 characters) and its margin, before the cells are sized.
  const c = options.cellSize ?? fitCell(n, layout.budget, textWidth('0123456789', fs) + 8, 400, 3, 30);
  const showLabels = c >= 12;
  const labels = Array.from({ length: n }, (_, j) => truncate(displayToken(labelAt(data.labels, j)), 10));
  const labelW = showLabels ? Math.max(...labels.map((s) => textWidth(s, fs)), 10) : textWidth(String(n), fs);
  // Non-null: streams keeps only the streams data has.
  const max = maxOf(streams.flatMap((s) => data[s]! as ArrayLike<number>[]));
  const gridX = labelW + 8;
  const colH = showLabels ? labelW * 0.82 + 12 : fs + 6;
  const gridY = 50 + colH;
  const panelW = gridX + n * c;
  const panelH = gridY + n * c + 12;
  const width = layout.stacked ? Math.max(panelW, minWidth(options.width, 300)) : Math.max(streams.length * (panelW + gap), minWidth(options.width));
  const height = (layout.stacked ? streams.length * panelH : panelH) + 3 * fs + 16;
  const title = `Attention, layer ${data.layer}, head ${data.head}`;
  const root = viewRoot(container, 'attention-matrix', width, height, `${title}: ${streams.join(' and ')} stream weights, ${n} × ${n}. Click a row to select that position.`);
  const tick = showLabels ? 1 : Math.max(1, Math.ceil(n / 12));
  const ticks = d3.range(n).filter((i) => i % tick === 0);
  const hint = 'Hover a cell for its weight; click a row to select that position.';
  readout(root, 'readout', 0, height - 8 - 1.25 * fs, hint, fs, width);

  root
    .selectAll<SVGGElement, Stream>('g.panel')
    .data(streams, (d) => d)
    .join((enter) => enter.append('g').attr('class', 'panel'))
    .attr('data-stream', (d) => d)
    .attr('transform', (_, k) => (layout.stacked ? `translate(0,${k * panelH})` : `translate(${k * (panelW + gap)},0)`))
    .each(function (stream) {
      const pg = d3.select(this) as unknown as G;
      const m = data[stream]!;
      joinOne(pg, 'text', 'panel-title').attr('x', 0).attr('y', 18).attr('font-size', fonts.title).attr('font-weight', 600).attr('fill', palette.ink).text(`${STREAM_NAME[stream]} — layer ${data.layer}, head ${data.head}`);
      joinOne(pg, 'text', 'panel-subtitle').attr('x', 0).attr('y', 38).attr('font-size', fonts.small + 1).attr('fill', palette.muted).text(`rows attend to columns; scale 0 … ${max.toFixed(2)}`);
      joinOne(pg, 'g', 'col-labels')
        .attr('transform', `translate(${gridX},${gridY - 4})`)
        .selectAll<SVGTextElement, number>('text')
        .data(ticks, (d) => d)
        .join('text')
        .attr('transform', (j) => `translate(${j * c + c / 2},0) rotate(${showLabels ? -55 : 0})`)
        .attr('text-anchor', showLabels ? 'start' : 'middle')
        .attr('font-size', showLabels ? fs : fonts.small)
        .attr('font-family', showLabels ? fonts.mono : fonts.ui)
        .attr('fill', palette.ink)
        .text((j) => (showLabels ? labels[j] : String(j)));
      joinOne(pg, 'g', 'row-labels')
        .attr('transform', `translate(0,${gridY})`)
        .selectAll<SVGTextElement, number>('text')
        .data(ticks, (d) => d)
        .join('text')
        .attr('x', labelW)
        .attr('y', (i) => i * c + c / 2)
        .attr('dy', '0.35em')
        .attr('text-anchor', 'end')
        .attr('font-size', showLabels ? fs : fonts.small)
        .attr('font-family', showLabels ? fonts.mono : fonts.ui)
        .attr('font-weight', (i) => (i === data.position ? 700 : 400))
        .attr('fill', palette.ink)
        .style('cursor', 'pointer')
        .text((i) => (showLabels ? labels[i] : String(i)))
        .on('click', (_, i) => options.onSelectPosition?.(i));
      const grid = joinOne(pg, 'g', 'grid').attr('transform', `translate(${gridX},${gridY})`);
      const isBlocked = (i: number, j: number) => blocked(stream, data.gids, i, j);
      const weight = (i: number, j: number) => m[i]?.[j] ?? 0;
      // Non-null gids: blocked() is true only when gids is defined.
      const describe = (i: number, j: number) =>
        isBlocked(i, j)
          ? `blocked — ${explainCell(stream, i, j, data.gids!, data.labels)}`
          : `${stream} of "${displayToken(labelAt(data.labels, i))}" → "${displayToken(labelAt(data.labels, j))}": weight ${weight(i, j).toFixed(3)}`;
      drawGrid(grid, {
        rows: n,
        cols: n,
        cellW: c,
        cellH: c,
        renderer: options.renderer,
        fill: (i, j) => (isBlocked(i, j) ? palette.blocked : attentionColor(weight(i, j), max)),
        state: (i, j) => (isBlocked(i, j) ? 'blocked' : 'weight'),
        title: describe,
        onHover: (cell) => readout(root, 'readout', 0, height - 8 - 1.25 * fs, cell ? describe(cell.i, cell.j) : hint, fs, width),
        onClick: (cell) => options.onSelectPosition?.(cell.i),
      });
      grid
        .selectAll<SVGRectElement, number>('rect.current-row')
        .data(data.position !== undefined && data.position >= 0 && data.position < n ? [data.position] : [])
        .join('rect')
        .attr('class', 'current-row')
        .attr('x', -1)
        .attr('y', (i) => i * c - 1)
        .attr('width', n * c + 1)
        .attr('height', c + 1)
        .attr('fill', 'none')
        .attr('stroke', palette.highlight)
        .attr('stroke-width', 2.5)
        .style('pointer-events', 'none')
        .raise();
    });
}
