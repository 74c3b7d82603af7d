/**
 * MaskMatrix: the content-stream and query-stream attention masks side by side
 * for given group ids, rows/columns labelled by token. Cells are allowed,
 * blocked or padding; hovering explains the verdict in words. The verdicts come
 * from lib/a3/masks.ts (`contentMask`, `queryMask`, `canAttend`), never from a
 * private copy of the rule.
 *
 * Longer than most: one renderer plus the cell verdicts and explanations it
 * shows (explainCell, maskCounts, also used by attention-map and InspectCell);
 * most of the length is d3 attribute chains, one attribute a line.
 */
import * as d3 from 'd3';
import { canAttend, contentMask, queryMask, type Mask, type Stream } from '../../lib/a3/masks';
import { drawGrid, drawLegend, fitCell, joinOne, legendLayout, minWidth, panelLayout, readout, viewRoot, type Container, type G, type Renderer, type Sized } from './common';
import { displayToken, labelAt, textWidth, truncate } from './format';
import { fonts, palette, stepColor } from './palette';

export interface MaskMatrixData {
  /** Group ids, one per position (lower = earlier group). */
  gids: ArrayLike<number>;
  /** Token text per position (shown made-visible: spaces as ␣). */
  labels: readonly string[];
  /** Padding flags per position (truthy = pad). */
  pad?: ArrayLike<boolean | number>;
}

export interface MaskCellInfo {
  stream: Stream;
  i: number;
  j: number;
  state: MaskCellState;
  text: string;
}

export interface MaskMatrixOptions extends Sized {
  /** Cell size in px (default: fits ~420 px per panel, 3..30). */
  cellSize?: number;
  renderer?: Renderer;
  /** Called with the hovered cell (null when the pointer leaves). */
  onHoverCell?: (cell: MaskCellInfo | null) => void;
}

export type MaskCellState = 'allowed' | 'blocked' | 'padding';

export interface StreamCounts {
  allowed: number;
  blocked: number;
  /** Cells whose row or column is a pad position. */
  padding: number;
}

const toInt32 = (gids: ArrayLike<number>): Int32Array => (gids instanceof Int32Array ? gids : Int32Array.from(gids as ArrayLike<number>));

function cellState(mask: Mask, pad: ArrayLike<boolean | number> | undefined, i: number, j: number): MaskCellState {
  if (pad && (pad[i] || pad[j])) return 'padding';
  return mask[i][j] ? 'allowed' : 'blocked';
}

/** Allowed / blocked / padding cell counts of each stream's N×N mask. */
export function maskCounts(gids: ArrayLike<number>, pad?: ArrayLike<boolean | number>): Record<Stream, StreamCounts> {
  const g = toInt32(gids);
  const count = (mask: Mask): StreamCounts => {
    const c = { allowed: 0, blocked: 0, padding: 0 };
    for (let i = 0; i < g.length; i++) for (let j = 0; j < g.length; j++) c[cellState(mask, pad, i, j)]++;
    return c;
  };
  return { content: count(contentMask(g, pad)), query: count(queryMask(g, pad)) };
}

/**
 * Why row i of `stream` may or may not attend key j, in words, e.g.
 * `query of "fox" (group 3) may see "quick" (group 1): earlier group`.
 */
export function explainCell(
  stream: Stream,
  i: number,
  j: number,
  gids: ArrayLike<number>,
  labels: readonly string[],
  pad?: ArrayLike<boolean | number>,
): string {
  const gi = gids[i];
  const gj = gids[j];
  const who = `${stream} of "${displayToken(labelAt(labels, i))}" (group ${gi})`;
  const what = `"${displayToken(labelAt(labels, j))}" (group ${gj})`;
  if (pad?.[j]) return `${who} may not see ${what}: padding — pad positions are never attended to`;
  if (pad?.[i]) return `${who} is a pad position: its row is ignored (no loss, never attended to)`;
  const ok = canAttend(stream, gi, gj);
  const reason =
    gj < gi
      ? 'earlier group'
      : gj > gi
        ? 'later group'
        : stream === 'content'
          ? 'same group — the content stream sees its own group'
          : 'same group — the query stream only sees strictly earlier groups';
  return `${who} ${ok ? 'may' : 'may not'} see ${what}: ${reason}`;
}

const STREAM_TITLE: Record<Stream, [string, string]> = {
  content: ['Content stream h', 'row i sees key j iff gid[j] ≤ gid[i]'],
  query: ['Query stream g', 'row i sees key j iff gid[j] < gid[i]'],
};

const STATE_FILL: Record<MaskCellState, string> = {
  allowed: palette.allowed,
  blocked: palette.blocked,
  padding: palette.padding,
};

export function renderMaskMatrix(container: Container, data: MaskMatrixData, options: MaskMatrixOptions = {}): void {
  const gids = toInt32(data.gids);
  const n = gids.length;
  const { labels, pad } = data;
  const masks: Record<Stream, Mask> = { content: contentMask(gids, pad), query: queryMask(gids, pad) };
  const counts = maskCounts(gids, pad);

  const fs = fonts.size;
  const gap = 36;
  const layout = panelLayout(2, options.width, gap);
  // ~ the widest row label (10 characters), its group tag and band, before the cells are sized.
  const c = options.cellSize ?? fitCell(n, layout.budget, textWidth('0123456789g00', fs) + 24, 420, 3, 36);
  const showLabels = c >= 12;
  const shown = Array.from({ length: n }, (_, i) => truncate(displayToken(labelAt(labels, i)), 10));
  const maxLabelW = showLabels ? Math.max(20, ...shown.map((s) => textWidth(s, fs))) : textWidth(String(n), fs);
  const tagW = showLabels ? textWidth(`g${d3.max(gids) ?? 0}`, fonts.small) + 8 : 0;
  const band = 6;
  const rowLabelW = maxLabelW + 8 + tagW;
  const colLabelH = showLabels ? maxLabelW * 0.82 + 14 : fs + 6;
  // The subtitle (rule · count) goes on two lines where one panel's width cannot hold it (a phone).
  const subtitleLines = (stream: Stream) => [STREAM_TITLE[stream][1], `allowed ${counts[stream].allowed} of ${n * n}`];
  const oneLineW = Math.max(...(['content', 'query'] as const).map((st) => textWidth(subtitleLines(st).join(' · '), fonts.small + 1) + 8));
  const twoLines = layout.budget !== undefined && oneLineW > layout.budget;
  const headH = twoLines ? 50 + fonts.small + 4 : 50;
  const gridX = rowLabelW + band + 3;
  const gridY = headH + colLabelH + band + 3;
  const subtitleW = twoLines ? Math.max(...(['content', 'query'] as const).flatMap((st) => subtitleLines(st).map((l) => textWidth(l, fonts.small + 1) + 8))) : oneLineW;
  const panelW = Math.max(gridX + n * c, subtitleW);
  const panelH = gridY + n * c + 18;
  const width = layout.stacked ? Math.max(panelW, minWidth(options.width, 300)) : Math.max(2 * panelW + gap, minWidth(options.width));
  const legendY = layout.stacked ? 2 * panelH : panelH;

  const ranks = new Map([...new Set(gids)].sort((a, b) => a - b).map((g, r) => [g, r]));
  const groupColor = (i: number) => stepColor(ranks.get(gids[i])!, ranks.size);
  const tick = showLabels ? 1 : Math.max(1, Math.ceil(n / 12));
  const ticks = d3.range(n).filter((i) => i % tick === 0);

  const legendItems = [
    { key: 'allowed', label: 'allowed (may attend)', fill: palette.allowed },
    { key: 'blocked', label: 'blocked', fill: palette.blocked },
    ...(pad && Array.from(pad).some(Boolean) ? [{ key: 'padding', label: 'padding', fill: palette.padding }] : []),
    { key: 'band', label: 'edge bands: group colour, dark = earlier, light = later', fill: stepColor(0, 2) },
  ];
  const legendH = legendLayout(legendItems, width).height;
  const readY = legendY + legendH + fs + 10;
  const lineH = Math.round(fs * 1.25);
  const height = readY + 3 * lineH + 12;
  const root = viewRoot(container, 'mask-matrix', width, height, `Attention masks for ${n} tokens: content stream (${layout.stacked ? 'top' : 'left'}) and query stream (${layout.stacked ? 'bottom' : 'right'}). Hover a cell for an explanation.`);

  const explainDefault = 'Hover a cell: why may this row attend that key?';
  const setReadout = (lines: [string, string]) => {
    readout(root, 'readout readout-1', 0, readY, lines[0], fs, width);
    readout(root, 'readout readout-2', 0, readY + 2 * lineH + 4, lines[1], fs, width);
  };
  setReadout([explainDefault, '']);

  const streams: Stream[] = ['content', 'query'];
  const panels = root
    .selectAll<SVGGElement, Stream>('g.panel')
    .data(streams, (d) => d)
    .join((enter) => enter.append('g').attr('class', 'panel'))
    .attr('data-stream', (d) => d)
    .attr('transform', (_, k) => (layout.stacked ? `translate(0,${k * panelH})` : `translate(${k * (panelW + gap)},0)`));

  panels.each(function (stream) {
    const p = d3.select(this) as unknown as G;
    const [title] = STREAM_TITLE[stream];
    joinOne(p, 'text', 'panel-title').attr('x', 0).attr('y', 18).attr('font-size', fonts.title).attr('font-weight', 600).attr('fill', palette.ink).text(title);
    joinOne(p, 'text', 'panel-subtitle')
      .attr('x', 0)
      .attr('y', 38)
      .attr('font-size', fonts.small + 1)
      .attr('fill', palette.muted)
      .selectAll<SVGTSpanElement, string>('tspan')
      .data(twoLines ? subtitleLines(stream) : [subtitleLines(stream).join(' · ')])
      .join('tspan')
      .attr('x', 0)
      .attr('dy', (_, k) => (k ? '1.25em' : null))
      .text((d) => d);

    // column labels (rotated) and row labels with group tags
    const cols = joinOne(p, 'g', 'col-labels').attr('transform', `translate(${gridX},${headH + colLabelH})`);
    cols
      .selectAll<SVGTextElement, number>('text')
      .data(ticks, (d) => d)
      .join('text')
      .attr('transform', (j) => `translate(${j * c + c / 2},0) rotate(${showLabels ? -55 : 0})`)
      .attr('text-anchor', showLabels ? 'start' : 'middle')
      .attr('dy', '-0.2em')
      .attr('font-size', showLabels ? fs : fonts.small)
      .attr('font-family', showLabels ? fonts.mono : fonts.ui)
      .attr('fill', palette.ink)
      .text((j) => (showLabels ? shown[j] : String(j)));
    const rows = joinOne(p, 'g', 'row-labels').attr('transform', `translate(0,${gridY})`);
    const rowLab = rows
      .selectAll<SVGGElement, number>('g.row-label')
      .data(ticks, (d) => d)
      .join((enter) => {
        const e = enter.append('g').attr('class', 'row-label');
        e.append('text').attr('class', 'tok');
        e.append('text').attr('class', 'gtag');
        return e;
      })
      .attr('transform', (i) => `translate(0,${i * c + c / 2})`);
    rowLab
      .select('text.tok')
      .attr('x', maxLabelW)
      .attr('text-anchor', 'end')
      .attr('dy', '0.35em')
      .attr('font-size', showLabels ? fs : fonts.small)
      .attr('font-family', showLabels ? fonts.mono : fonts.ui)
      .attr('fill', palette.ink)
      .text((i) => (showLabels ? shown[i] : String(i)));
    rowLab
      .select('text.gtag')
      .attr('x', maxLabelW + 6)
      .attr('dy', '0.35em')
      .attr('font-size', fonts.small)
      .attr('fill', palette.muted)
      .text((i) => (showLabels ? `g${gids[i]}` : ''));

    // group colour bands along both axes
    const bandData = d3.range(n);
    joinOne(p, 'g', 'row-band')
      .attr('transform', `translate(${rowLabelW},${gridY})`)
      .selectAll<SVGRectElement, number>('rect')
      .data(bandData, (d) => d)
      .join('rect')
      .attr('y', (i) => i * c)
      .attr('width', band)
      .attr('height', c)
      .attr('fill', groupColor);
    joinOne(p, 'g', 'col-band')
      .attr('transform', `translate(${gridX},${headH + colLabelH + 2})`)
      .selectAll<SVGRectElement, number>('rect')
      .data(bandData, (d) => d)
      .join('rect')
      .attr('x', (j) => j * c)
      .attr('width', c)
      .attr('height', band)
      .attr('fill', groupColor);

    const grid = joinOne(p, 'g', 'grid').attr('transform', `translate(${gridX},${gridY})`);
    const mask = masks[stream];
    drawGrid(grid, {
      rows: n,
      cols: n,
      cellW: c,
      cellH: c,
      renderer: options.renderer,
      fill: (i, j) => STATE_FILL[cellState(mask, pad, i, j)],
      state: (i, j) => cellState(mask, pad, i, j),
      title: (i, j) => explainCell(stream, i, j, gids, labels, pad),
      onHover: (cell) => {
        const other: Stream = stream === 'content' ? 'query' : 'content';
        root.selectAll<SVGGElement, Stream>('g.panel').each(function () {
          joinOne(d3.select(this) as unknown as G, 'g', 'grid')
            .selectAll<SVGRectElement, { i: number; j: number }>('rect.hover')
            .data(cell ? [cell] : [])
            .join('rect')
            .attr('class', 'hover')
            .attr('x', (d) => d.j * c - 1)
            .attr('y', (d) => d.i * c - 1)
            .attr('width', c + 1)
            .attr('height', c + 1)
            .attr('fill', 'none')
            .attr('stroke', palette.highlight)
            .attr('stroke-width', 2.5)
            .style('pointer-events', 'none');
        });
        if (!cell) {
          setReadout([explainDefault, '']);
          options.onHoverCell?.(null);
          return;
        }
        const text = explainCell(stream, cell.i, cell.j, gids, labels, pad);
        setReadout([text, explainCell(other, cell.i, cell.j, gids, labels, pad)]);
        options.onHoverCell?.({ stream, i: cell.i, j: cell.j, state: cellState(mask, pad, cell.i, cell.j), text });
      },
    });
  });

  drawLegend(joinOne(root, 'g', 'legend').attr('transform', `translate(0,${legendY})`), legendItems, width);
}
