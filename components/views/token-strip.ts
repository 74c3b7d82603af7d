/**
 * TokenStrip: the playground's sequence as text chips in the decode states
 * given / open / just committed / committed earlier (the shared palette), with
 * the sampled token's probability on hover.
 */
import { drawLegend, joinOne, legendLayout, layoutChips, readout, viewRoot, type Container, type Sized } from './common';
import { displayToken, formatProb, textWidth } from './format';
import { fonts, palette, stateFill, stateLabel, textOn, type TokenState } from './palette';
import { commitInfo, stateAt, type StepRecord } from './states';

export interface TokenChip {
  /** Token text ('' for an open position: drawn as the open placeholder). */
  text: string;
  state: TokenState;
  /** Probability of the sampled token (committed tokens). */
  prob?: number;
  /** Step (0-based) that committed it. */
  step?: number;
}

export interface TokenStripData {
  tokens: readonly TokenChip[];
}

export interface TokenStripOptions extends Sized {
  /** Wrap width in px (default: `width`, else 760). */
  maxWidth?: number;
  /** Text shown on open positions whose text is '' (default □). */
  openText?: string;
  /** Draw the legend (default true). */
  legend?: boolean;
  onHoverToken?: (index: number | null) => void;
  onSelectToken?: (index: number) => void;
}

/**
 * TokenStrip data at step `current` of a decode: `labels` are the final tokens;
 * positions still open at that step get text '' (the placeholder).
 */
export function tokenStripAt(
  labels: readonly string[],
  given: ArrayLike<boolean>,
  steps: readonly StepRecord[],
  current: number,
): TokenStripData {
  const info = commitInfo(labels.length, steps);
  return {
    tokens: labels.map((text, i) => {
      const state = stateAt(!!given[i], info.step[i], current);
      const committed = state === 'current' || state === 'earlier';
      return {
        text: state === 'open' ? '' : text,
        state,
        ...(committed && !Number.isNaN(info.prob[i]) ? { prob: info.prob[i] } : {}),
        ...(committed ? { step: info.step[i] } : {}),
      };
    }),
  };
}

interface ChipDatum extends TokenChip {
  index: number;
  shown: string;
  fill: string;
  x: number;
  y: number;
  w: number;
}

/** Hover text of a chip: token, state, probability. */
export function describeToken(t: TokenChip, index: number): string {
  const tok = t.text === '' && t.state === 'open' ? 'masked' : `"${displayToken(t.text)}"`;
  const parts = [`${tok} · position ${index}`];
  if (t.state === 'given') parts.push('given');
  else if (t.state === 'open') parts.push('open (not yet sampled)');
  else parts.push(t.state === 'current' ? 'just committed' : 'committed earlier');
  if (t.step !== undefined && t.state !== 'given') parts.push(`step ${t.step + 1}`);
  if (t.prob !== undefined && t.state !== 'given' && t.state !== 'open') parts.push(`p = ${formatProb(t.prob)}`);
  return parts.join(' · ');
}

export function renderTokenStrip(container: Container, data: TokenStripData, options: TokenStripOptions = {}): void {
  const maxWidth = options.maxWidth ?? options.width ?? 760;
  const openText = options.openText ?? '□';
  const fs = fonts.token;
  const chipH = fs + 14;
  const chips: Omit<ChipDatum, 'x' | 'y' | 'w'>[] = data.tokens.map((t, index) => ({
    ...t,
    index,
    shown: t.text === '' && t.state === 'open' ? openText : displayToken(t.text),
    fill: stateFill(t.state, t.prob),
  }));
  const lay = layoutChips(
    chips.map((c) => Math.max(30, textWidth(c.shown, fs) + 16)),
    maxWidth,
    chipH,
    5,
  );
  const placed: ChipDatum[] = chips.map((c, k) => ({ ...c, ...lay.boxes[k] }));
  const showLegend = options.legend ?? true;
  const width = Math.max(maxWidth, lay.width);
  const legendY = lay.height + 14;
  const states: TokenState[] = ['given', 'open', 'current', 'earlier'];
  const legendItems = showLegend ? states.map((s) => ({ key: s, label: stateLabel[s], fill: stateFill(s, 1) })) : [];
  const legendH = legendLayout(legendItems, width).height;
  const height = legendY + legendH + fonts.size + 18;
  const count = (s: TokenState) => data.tokens.filter((t) => t.state === s).length;
  const root = viewRoot(
    container,
    'token-strip',
    width,
    height,
    `Sequence of ${data.tokens.length} tokens: ${count('given')} given, ${count('open')} open, ${count('current')} just committed, ${count('earlier')} committed earlier.`,
  );
  const sel = joinOne(root, 'g', 'chips')
    .selectAll<SVGGElement, ChipDatum>('g.chip')
    .data(placed, (d) => String(d.index))
    .join((enter) => {
      const e = enter.append('g').attr('class', 'chip');
      e.append('rect');
      e.append('text');
      e.append('title');
      return e;
    })
    .attr('data-index', (d) => d.index)
    .attr('data-state', (d) => d.state)
    .attr('transform', (d) => `translate(${d.x},${d.y})`)
    .style('cursor', options.onSelectToken ? 'pointer' : 'default');
  sel
    .select('rect')
    .attr('width', (d) => d.w)
    .attr('height', chipH)
    .attr('rx', 5)
    .attr('fill', (d) => d.fill)
    .attr('stroke', (d) => (d.state === 'open' ? palette.rule : 'none'))
    .attr('stroke-dasharray', (d) => (d.state === 'open' ? '3 2' : null));
  sel
    .select('text')
    .attr('x', (d) => d.w / 2)
    .attr('y', chipH / 2)
    .attr('dy', '0.35em')
    .attr('text-anchor', 'middle')
    .attr('font-family', fonts.mono)
    .attr('font-size', fs)
    .attr('font-weight', (d) => (d.state === 'current' ? 700 : 400))
    .attr('fill', (d) => textOn(d.fill))
    .text((d) => d.shown);
  sel.select('title').text((d) => describeToken(d, d.index));

  // The hovered chip is remembered on the root: a wrapper re-renders on every hover (its onHoverToken
  // sets state), and the read-out must survive that render instead of falling back to the hint.
  const hint = 'Hover a token for its probability.';
  const show = (index: number | null) => {
    const d = index === null ? undefined : placed[index];
    root.attr('data-hover', d ? d.index : null);
    readout(root, 'readout', 0, height - 8, d ? describeToken(d, d.index) : hint);
  };
  const kept = Number(root.attr('data-hover') ?? NaN);
  show(Number.isInteger(kept) ? kept : null);
  sel
    .on('mouseenter', (_, d) => {
      show(d.index);
      options.onHoverToken?.(d.index);
    })
    .on('mouseleave', () => {
      show(null);
      options.onHoverToken?.(null);
    })
    .on('click', (_, d) => options.onSelectToken?.(d.index));
  drawLegend(joinOne(root, 'g', 'legend').attr('transform', `translate(0,${legendY})`), legendItems, width);
}
