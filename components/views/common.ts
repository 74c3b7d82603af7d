/**
 * Bookkeeping shared by the views: an idempotent root <svg> (or <g> inside a
 * caller's SVG), single-child joins, a dense-grid drawer (SVG rects when small,
 * a canvas bitmap in an <image> when dense, SVG again where no canvas exists),
 * chip layout and text legends.
 *
 * Longer than most: it is the views' shared toolkit, a set of small independent
 * helpers (layout, joins, grid, legend, chips, readout) that the renderers import
 * from one place.
 */
import * as d3 from 'd3';
import { fonts, palette } from './palette';
import { textWidth } from './format';

export type Container = HTMLElement | SVGElement;

/** Every view's options take the width it may use (the wrapper measures its container): the view fits it instead of being scaled. */
export interface Sized {
  width?: number;
}

/** A view's minimum sensible width (560 px on a desktop), but never wider than the space it has. */
export function minWidth(available: number | undefined, preferred = 560): number {
  return available ? Math.min(preferred, available) : preferred;
}

/** Below this width two panels (content | query) go one above the other instead of side by side. */
export const SIDE_BY_SIDE_MIN = 600;

/**
 * Where `count` equal panels go: side by side, or stacked when the width cannot hold them; `budget` is
 * the width one panel may use (undefined when the space is unknown).
 */
export function panelLayout(count: number, available: number | undefined, gap: number) {
  const stacked = available !== undefined && available < SIDE_BY_SIDE_MIN && count > 1;
  const budget = available === undefined ? undefined : stacked ? available : (available - gap * (count - 1)) / count;
  return { stacked, budget };
}

/** Cell size that fits `n` cells in `available` px after `fixed` px of labels, within [lo, hi]; `fallback` px when the space is unknown. */
export function fitCell(n: number, available: number | undefined, fixed: number, fallback: number, lo: number, hi: number): number {
  const room = available ? available - fixed : fallback;
  return Math.max(lo, Math.min(hi, Math.floor(room / Math.max(1, n))));
}
export type Renderer = 'auto' | 'svg' | 'canvas';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type G = d3.Selection<SVGGElement, any, any, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySel = d3.Selection<any, any, any, any>;

/** Above this many cells a grid is drawn on a canvas (when one is available). */
export const DENSE_CELLS = 2500;

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * The view's root: an <svg class="a3-view a3-{name}"> inside an HTML container,
 * or a <g class="a3-view a3-{name}"> inside an SVG container. Created once,
 * reused on re-render. Sets size, accessible name and a <title>.
 */
export function viewRoot(container: Container, name: string, width: number, height: number, label: string): G {
  const cls = `a3-${name}`;
  const isSvg = container.namespaceURI === SVG_NS;
  const parent = d3.select<Element, unknown>(container);
  let root: G;
  if (isSvg) {
    root = parent
      .selectChildren<SVGGElement, unknown>(`g.${cls}`)
      .data([null])
      .join((enter) => enter.append('g'))
      .attr('class', `a3-view ${cls}`);
  } else {
    const svg = parent
      .selectChildren<SVGSVGElement, unknown>(`svg.${cls}`)
      .data([null])
      .join((enter) => enter.append('svg'))
      .attr('class', `a3-view ${cls}`)
      .attr('viewBox', `0 0 ${width} ${height}`)
      .attr('width', width)
      .attr('height', height)
      .style('max-width', '100%')
      .style('height', 'auto')
      .style('font-family', fonts.ui)
      .style('background', palette.background);
    root = svg as unknown as G;
  }
  root.attr('role', 'group').attr('aria-label', label).attr('data-width', width).attr('data-height', height);
  joinOne(root, 'title', 'a3-title').text(label);
  return root;
}

/** One child element `tag.cls` of `parent`, created if missing. */
export function joinOne<K extends keyof SVGElementTagNameMap>(parent: AnySel, tag: K, cls: string): d3.Selection<SVGElementTagNameMap[K], null, Element, unknown> {
  return parent
    .selectChildren<SVGElementTagNameMap[K], null>(`${tag}.${cls.split(' ').join('.')}`)
    .data([null])
    .join((enter: AnySel) => enter.append(tag))
    .attr('class', cls) as unknown as d3.Selection<SVGElementTagNameMap[K], null, Element, unknown>;
}

export interface Cell {
  key: string;
  i: number;
  j: number;
}

export interface GridSpec {
  rows: number;
  cols: number;
  cellW: number;
  cellH: number;
  fill: (i: number, j: number) => string;
  /** Class suffix of each cell (e.g. its state), written as data-state. */
  state?: (i: number, j: number) => string;
  /** Native tooltip text of a cell (SVG mode). */
  title?: (i: number, j: number) => string;
  renderer?: Renderer;
  onHover?: (cell: { i: number; j: number } | null) => void;
  onClick?: (cell: { i: number; j: number }) => void;
}

/**
 * Draws a rows × cols grid into `g` (origin at its top-left). Returns the
 * renderer used. SVG: <rect class="cell"> keyed by "i:j". Canvas: one pixel per
 * cell, shown as a pixelated <image>, with a transparent hit rect for pointer
 * events. Falls back to SVG when no 2D canvas context exists (e.g. jsdom).
 */
export function drawGrid(g: G, spec: GridSpec): 'svg' | 'canvas' {
  const { rows, cols, cellW, cellH } = spec;
  const wantCanvas = spec.renderer === 'canvas' || ((spec.renderer ?? 'auto') === 'auto' && rows * cols > DENSE_CELLS);
  const node = g.node();
  if (!node) throw new Error('drawGrid: the target selection is empty');
  const url = wantCanvas ? gridBitmap(node.ownerDocument, rows, cols, spec.fill) : null;
  const mode = url ? 'canvas' : 'svg';
  g.attr('data-renderer', mode);

  const cells: Cell[] = [];
  if (mode === 'svg') for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) cells.push({ key: `${i}:${j}`, i, j });
  const gap = cellW >= 8 && cellH >= 8 ? 1 : 0;
  const rects = g
    .selectAll<SVGRectElement, Cell>('rect.cell')
    .data(cells, (d) => d.key)
    .join('rect')
    .attr('class', 'cell')
    .attr('x', (d) => d.j * cellW)
    .attr('y', (d) => d.i * cellH)
    .attr('width', Math.max(0.5, cellW - gap))
    .attr('height', Math.max(0.5, cellH - gap))
    .attr('data-i', (d) => d.i)
    .attr('data-j', (d) => d.j)
    .attr('fill', (d) => spec.fill(d.i, d.j));
  if (spec.state) rects.attr('data-state', (d) => spec.state!(d.i, d.j));
  const title = spec.title;
  rects
    .selectAll<SVGTitleElement, Cell>('title')
    .data((d) => (title ? [d] : []))
    .join('title')
    .text((d) => title!(d.i, d.j));

  g.selectAll<SVGImageElement, string>('image.grid-image')
    .data(url ? [url] : [])
    .join('image')
    .attr('class', 'grid-image')
    .attr('x', 0)
    .attr('y', 0)
    .attr('width', cols * cellW)
    .attr('height', rows * cellH)
    .attr('preserveAspectRatio', 'none')
    .style('image-rendering', 'pixelated')
    .attr('href', (d) => d);
  const hit = g
    .selectAll<SVGRectElement, null>('rect.grid-hit')
    .data(url ? [null] : [])
    .join('rect')
    .attr('class', 'grid-hit')
    .attr('width', cols * cellW)
    .attr('height', rows * cellH)
    .attr('fill', 'transparent')
    .style('pointer-events', 'all');

  const cellOf = (event: Event): { i: number; j: number } | null => {
    const target = event.target as Element | null;
    if (target && target.classList?.contains('cell')) {
      return { i: Number(target.getAttribute('data-i')), j: Number(target.getAttribute('data-j')) };
    }
    if (target && target.classList?.contains('grid-hit')) {
      const [x, y] = d3.pointer(event, g.node());
      const i = Math.floor(y / cellH);
      const j = Math.floor(x / cellW);
      return i >= 0 && i < rows && j >= 0 && j < cols ? { i, j } : null;
    }
    return null;
  };
  void hit;
  g.on('mouseover mousemove', (event: Event) => spec.onHover?.(cellOf(event)))
    .on('mouseleave', () => spec.onHover?.(null))
    .on('click', (event: Event) => {
      const c = cellOf(event);
      if (c) spec.onClick?.(c);
    });
  return mode;
}

/** rows × cols bitmap, one pixel per cell, as a data URL; null where no canvas is available. */
export function gridBitmap(doc: Document, rows: number, cols: number, fill: (i: number, j: number) => string): string | null {
  if (rows <= 0 || cols <= 0) return null;
  try {
    const canvas = doc.createElement('canvas');
    canvas.width = cols;
    canvas.height = rows;
    const ctx = canvas.getContext('2d');
    if (!ctx) return null;
    const img = ctx.createImageData(cols, rows);
    const cache = new Map<string, d3.RGBColor>();
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const f = fill(i, j);
        let c = cache.get(f);
        if (!c) cache.set(f, (c = d3.rgb(f)));
        const o = 4 * (i * cols + j);
        img.data[o] = c.r;
        img.data[o + 1] = c.g;
        img.data[o + 2] = c.b;
        img.data[o + 3] = Math.round(255 * (Number.isFinite(c.opacity) ? c.opacity : 1));
      }
    }
    ctx.putImageData(img, 0, 0);
    const url = canvas.toDataURL('image/png');
    return typeof url === 'string' && url.startsWith('data:image') ? url : null;
  } catch {
    return null;
  }
}

export interface LegendItem {
  key: string;
  label: string;
  fill: string;
  stroke?: string;
}

/** Where each legend item goes (wrapping at maxWidth) and the legend's total height. */
export function legendLayout(items: LegendItem[], maxWidth: number, fontSize: number = fonts.size) {
  const sw = fontSize;
  let x = 0;
  let y = 0;
  const pos = items.map((it) => {
    const w = sw + 6 + textWidth(it.label, fontSize) + 18;
    if (x > 0 && x + w > maxWidth) {
      x = 0;
      y += fontSize + 10;
    }
    const p = { ...it, x, y };
    x += w;
    return p;
  });
  return { pos, height: items.length ? y + fontSize + 4 : 0 };
}

/** A horizontal text legend of swatches; wraps at maxWidth. Returns its height. */
export function drawLegend(g: G, items: LegendItem[], maxWidth: number, fontSize: number = fonts.size): number {
  const sw = fontSize;
  const { pos, height } = legendLayout(items, maxWidth, fontSize);
  const item = g
    .selectAll<SVGGElement, (typeof pos)[number]>('g.legend-item')
    .data(pos, (d) => d.key)
    .join((enter) => {
      const e = enter.append('g').attr('class', 'legend-item');
      e.append('rect');
      e.append('text');
      return e;
    })
    .attr('data-key', (d) => d.key)
    .attr('transform', (d) => `translate(${d.x},${d.y})`);
  item
    .select('rect')
    .attr('width', sw)
    .attr('height', sw)
    .attr('rx', 2)
    .attr('fill', (d) => d.fill)
    .attr('stroke', (d) => d.stroke ?? palette.rule)
    .attr('stroke-width', 1);
  item
    .select('text')
    .attr('x', sw + 6)
    .attr('y', sw / 2)
    .attr('dy', '0.35em')
    .attr('font-size', fontSize)
    .attr('fill', palette.ink)
    .text((d) => d.label);
  return height;
}

export interface ChipBox {
  x: number;
  y: number;
  w: number;
}

/** Left-to-right wrapping layout of chips of the given text widths. */
export function layoutChips(widths: number[], maxWidth: number, rowHeight: number, gap = 6): { boxes: ChipBox[]; height: number; width: number } {
  let x = 0;
  let y = 0;
  let width = 0;
  const boxes = widths.map((w) => {
    if (x > 0 && x + w > maxWidth) {
      x = 0;
      y += rowHeight + gap;
    }
    const b = { x, y, w };
    x += w + gap;
    width = Math.max(width, x - gap);
    return b;
  });
  return { boxes, height: widths.length ? y + rowHeight : 0, width };
}

/**
 * A status / hover read-out line at (x, y). Text wider than maxWidth is broken
 * after its first ": " onto a second, indented line (textContent is unchanged).
 */
export function readout(parent: AnySel, cls: string, x: number, y: number, text: string, fontSize: number = fonts.size, maxWidth = Infinity): void {
  const k = text.indexOf(': ');
  const parts = textWidth(text, fontSize) > maxWidth && k > 0 ? [text.slice(0, k + 2), text.slice(k + 2)] : [text];
  joinOne(parent, 'text', cls)
    .attr('x', x)
    .attr('y', y)
    .attr('font-size', fontSize)
    .attr('fill', palette.ink)
    .attr('aria-live', 'polite')
    .selectAll<SVGTSpanElement, string>('tspan')
    .data(parts)
    .join('tspan')
    .attr('x', (_, i) => (i ? x + 16 : x))
    .attr('dy', (_, i) => (i ? '1.25em' : null))
    .text((d) => d);
}
