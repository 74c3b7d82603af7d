/**
 * CommitTimeline: a steps × positions grid. Row t shows the sequence after
 * step t: gray = not yet committed, green = committed at t (shade =
 * probability), blue = committed before t, dark = given. Clicking a row (a cell
 * or its label) selects that step.
 */
import * as d3 from 'd3';
import { drawGrid, drawLegend, fitCell, joinOne, legendLayout, minWidth, readout, viewRoot, type Container, type Renderer, type Sized } from './common';
import { displayToken, formatProb, labelAt, textWidth, truncate } from './format';
import { currentFill, fonts, palette, stateFill, stateLabel, type TokenState } from './palette';
import { commitInfo, stateAt, type StepRecord } from './states';

export interface CommitTimelineData {
  /** Sequence length (positions). */
  length: number;
  /** Given (prompt/context) flags per position. */
  given: ArrayLike<boolean>;
  /** One entry per decoding step (a DecodeTrace's `steps` fits as is). */
  steps: readonly StepRecord[];
  /** The selected step (row index, 0-based). */
  current: number;
  /** Final token text per position (column labels, hover text). */
  labels?: readonly string[];
  /**
   * A word per step for its row label (e.g. 'draft' / 'verify' in speculative sampling). Default:
   * 'draft' for a forward that committed nothing, 'step' otherwise.
   */
  stepNames?: readonly string[];
}

/** The row word of step t: `stepNames[t]`, else 'draft' when the step committed nothing, else 'step'. */
export function stepName(data: Pick<CommitTimelineData, 'steps' | 'stepNames'>, t: number): string {
  return data.stepNames?.[t] ?? (data.steps[t] && data.steps[t].committed.length === 0 ? 'draft' : 'step');
}

export interface CommitTimelineOptions extends Sized {
  /** Called with the clicked row index (0-based step). */
  onSelectStep?: (step: number) => void;
  onHoverCell?: (cell: { step: number; pos: number; state: TokenState; text: string } | null) => void;
  cellWidth?: number;
  cellHeight?: number;
  renderer?: Renderer;
}

/** The state of every cell: states[t][pos]. */
export function timelineStates(data: CommitTimelineData): TokenState[][] {
  const info = commitInfo(data.length, data.steps);
  return data.steps.map((_, t) => Array.from({ length: data.length }, (_, p) => stateAt(!!data.given[p], info.step[p], t)));
}

export function renderCommitTimeline(container: Container, data: CommitTimelineData, options: CommitTimelineOptions = {}): void {
  const n = data.length;
  const T = data.steps.length;
  const info = commitInfo(n, data.steps);
  const state = (t: number, p: number) => stateAt(!!data.given[p], info.step[p], t);
  const fill = (t: number, p: number) => {
    const s = state(t, p);
    return s === 'current' ? currentFill(Number.isNaN(info.prob[p]) ? undefined : info.prob[p]) : stateFill(s);
  };
  const describe = (t: number, p: number) => {
    const s = state(t, p);
    const tok = data.labels ? ` "${displayToken(labelAt(data.labels, p))}"` : '';
    const prob = Number.isNaN(info.prob[p]) ? '' : ` (p = ${formatProb(info.prob[p])})`;
    const name = stepName(data, t);
    const head = `${name === 'step' ? '' : `${name} `}step ${t + 1} · position ${p}${tok}: `;
    if (s === 'given') return head + 'given (prompt)';
    if (s === 'open') return head + (info.step[p] < 0 ? 'never committed' : `open; committed later at step ${info.step[p] + 1}`);
    if (s === 'current') return head + `committed at this step${prob}`;
    return head + `committed earlier, at step ${info.step[p] + 1}${prob}`;
  };

  const fs = fonts.size;
  const ch = options.cellHeight ?? Math.max(4, Math.min(24, Math.floor(420 / Math.max(1, T))));
  // The row labels' width is known before the cells'; the cells share what is left of the width.
  const names = d3.range(T).map((t) => stepName(data, t));
  const rowText = (t: number) => `${names[t]} ${t + 1}`;
  const rowLabelW = Math.max(textWidth(`▶ step ${T}`, fs), ...names.map((_, t) => textWidth(`▶ ${rowText(t)}`, fs))) + 10;
  const gridX = rowLabelW + 4;
  const cw = options.cellWidth ?? fitCell(n, options.width, gridX + 8, 720, 3, 28);
  const showCols = !!data.labels && cw >= 14;
  const colText = Array.from({ length: n }, (_, p) => (showCols ? truncate(displayToken(labelAt(data.labels, p)), 10) : String(p)));
  const colTicks = showCols ? d3.range(n) : d3.range(n).filter((p) => p % Math.max(1, Math.ceil(n / Math.max(1, Math.floor((n * cw) / 36)))) === 0);
  const colH = showCols ? Math.max(...colText.map((s) => textWidth(s, fs)), 10) * 0.82 + 12 : fs + 8;
  const rowTick = ch >= fs + 2 ? 1 : Math.ceil((fs + 2) / ch);
  const gridY = 30 + colH;
  const width = Math.max(gridX + n * cw + 8, minWidth(options.width));
  const legendY = gridY + T * ch + 16;
  const legendStates: TokenState[] = ['given', 'open', 'current', 'earlier'];
  const legendItems = legendStates.map((s) => ({ key: s, label: stateLabel[s], fill: s === 'current' ? currentFill(1) : stateFill(s) }));
  const height = legendY + legendLayout(legendItems, width).height + fs + 22;
  const cur = Math.min(Math.max(0, data.current), Math.max(0, T - 1));

  const root = viewRoot(
    container,
    'commit-timeline',
    width,
    height,
    `Commit timeline: ${T} decoding steps × ${n} positions; step ${cur + 1} selected. Click a row to jump to that step.`,
  );
  joinOne(root, 'text', 'view-title')
    .attr('x', 0)
    .attr('y', 18)
    .attr('font-size', fonts.title)
    .attr('font-weight', 600)
    .attr('fill', palette.ink)
    .text(`Commit timeline — step ${T ? cur + 1 : 0} of ${T}`);

  joinOne(root, 'g', 'col-labels')
    .attr('transform', `translate(${gridX},${gridY - 4})`)
    .selectAll<SVGTextElement, number>('text')
    .data(colTicks, (d) => d)
    .join('text')
    .attr('transform', (p) => `translate(${p * cw + cw / 2},0) rotate(${showCols ? -55 : 0})`)
    .attr('text-anchor', showCols ? 'start' : 'middle')
    .attr('font-size', showCols ? fs : fonts.small)
    .attr('font-family', showCols ? fonts.mono : fonts.ui)
    .attr('fill', palette.ink)
    .text((p) => colText[p]);

  const select = (t: number) => options.onSelectStep?.(t);
  const rowLabels = joinOne(root, 'g', 'row-labels')
    .attr('transform', `translate(0,${gridY})`)
    .selectAll<SVGGElement, number>('g.row-label')
    .data(d3.range(T), (d) => d)
    .join((enter) => {
      const e = enter.append('g').attr('class', 'row-label').attr('role', 'button').attr('tabindex', 0).style('cursor', 'pointer');
      e.append('rect').attr('class', 'row-hit');
      e.append('text');
      return e;
    })
    .attr('data-step', (t) => t)
    .attr('data-kind', (t) => names[t])
    .attr('aria-label', (t) => `select step ${t + 1}${names[t] === 'step' ? '' : ` (${names[t]})`}`)
    .attr('aria-current', (t) => (t === cur ? 'step' : null))
    .attr('transform', (t) => `translate(0,${t * ch})`);
  rowLabels.select('rect').attr('width', rowLabelW).attr('height', ch).attr('fill', 'transparent');
  rowLabels
    .select('text')
    .attr('x', rowLabelW - 4)
    .attr('y', ch / 2)
    .attr('dy', '0.35em')
    .attr('text-anchor', 'end')
    .attr('font-size', Math.min(fs, Math.max(9, ch + 2)))
    .attr('font-weight', (t) => (t === cur ? 700 : 400))
    .attr('fill', (t) => (t === cur ? palette.ink : palette.muted))
    .text((t) => (t === cur ? `▶ ${rowText(t)}` : t % rowTick === 0 ? rowText(t) : ''));
  rowLabels
    .on('click', (_, t) => select(t))
    .on('keydown', (event: KeyboardEvent, t) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        select(t);
      }
    });

  const hint = 'Hover a cell for its state; click a row to jump to that step.';
  const grid = joinOne(root, 'g', 'grid').attr('transform', `translate(${gridX},${gridY})`).style('cursor', 'pointer');
  drawGrid(grid, {
    rows: T,
    cols: n,
    cellW: cw,
    cellH: ch,
    renderer: options.renderer,
    fill,
    state,
    title: describe,
    onHover: (cell) => {
      readout(root, 'readout', 0, height - 8, cell ? describe(cell.i, cell.j) : hint);
      options.onHoverCell?.(cell ? { step: cell.i, pos: cell.j, state: state(cell.i, cell.j), text: describe(cell.i, cell.j) } : null);
    },
    onClick: (cell) => select(cell.i),
  });
  grid
    .selectAll<SVGRectElement, number>('rect.current-row')
    .data(T ? [cur] : [])
    .join('rect')
    .attr('class', 'current-row')
    .attr('x', -1.5)
    .attr('y', (t) => t * ch - 1.5)
    .attr('width', n * cw + 2)
    .attr('height', ch + 2)
    .attr('fill', 'none')
    .attr('stroke', palette.highlight)
    .attr('stroke-width', 3)
    .style('pointer-events', 'none')
    .raise();

  drawLegend(joinOne(root, 'g', 'legend').attr('transform', `translate(0,${legendY})`), legendItems, width);
  readout(root, 'readout', 0, height - 8, hint);
}
