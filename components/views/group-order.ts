/**
 * GroupOrder: the sequence as token chips, each coloured by the group (= the
 * decoding step) that committed it on a sequential scale, given tokens dark,
 * with an optional highlight of one group (the current step).
 */
import * as d3 from 'd3';
import { drawLegend, joinOne, layoutChips, readout, viewRoot, type Container, type G, type Sized } from './common';
import { displayToken, labelAt, textWidth } from './format';
import { fonts, palette, stepColor, textOn } from './palette';

export interface GroupOrderData {
  /** Token text per position. */
  labels: readonly string[];
  /** Group id per position (in a decode: the step that committed it; the given context is group 0). */
  gids: ArrayLike<number>;
  /** Given (prompt/context) flags; given tokens are drawn dark, outside the scale. Default: none given. */
  given?: ArrayLike<boolean>;
  /** Group id to highlight (e.g. the current step's group). */
  current?: number;
}

export interface GroupOrderOptions extends Sized {
  /** Wrap width in px (default: `width`, else 760). */
  maxWidth?: number;
  /** Called with the hovered position (null on leave). */
  onHoverToken?: (pos: number | null) => void;
}

interface Chip {
  pos: number;
  text: string;
  gid: number;
  given: boolean;
  rank: number;
  fill: string;
  x: number;
  y: number;
  w: number;
}

/** Rank (0-based order) of each non-given group id, and the number of such groups. */
export function groupRanks(gids: ArrayLike<number>, given?: ArrayLike<boolean>): { rank: Map<number, number>; count: number } {
  const ids = new Set<number>();
  for (let i = 0; i < gids.length; i++) if (!given?.[i]) ids.add(gids[i]);
  const sorted = [...ids].sort((a, b) => a - b);
  return { rank: new Map(sorted.map((g, r) => [g, r])), count: sorted.length };
}

export function renderGroupOrder(container: Container, data: GroupOrderData, options: GroupOrderOptions = {}): void {
  const n = data.gids.length;
  const maxWidth = options.maxWidth ?? options.width ?? 760;
  const fs = fonts.token;
  const chipH = fs + 14;
  const rowH = chipH + fonts.small + 6;
  const { rank, count } = groupRanks(data.gids, data.given);
  const texts = Array.from({ length: n }, (_, i) => displayToken(labelAt(data.labels, i)));
  const widths = texts.map((t) => Math.max(34, textWidth(t, fs) + 16));
  const lay = layoutChips(widths, maxWidth, rowH, 6);
  const chips: Chip[] = texts.map((text, pos) => {
    const given = !!data.given?.[pos];
    const gid = data.gids[pos];
    const r = given ? -1 : rank.get(gid)!; // groupRanks ranks every non-given gid
    return { pos, text, gid, given, rank: r, fill: given ? palette.given : stepColor(r, count), ...lay.boxes[pos] };
  });

  const top = 8;
  const legendY = top + lay.height + 14;
  const legendH = fonts.size + 10;
  const width = Math.max(maxWidth, lay.width);
  const height = legendY + legendH + fonts.size + 24;
  const givenCount = chips.filter((c) => c.given).length;
  const root = viewRoot(
    container,
    'group-order',
    width,
    height,
    `Group order of ${n} tokens: ${count} group${count === 1 ? '' : 's'} in commit order${givenCount ? `, ${givenCount} given` : ''}.`,
  );

  const sel = joinOne(root, 'g', 'chips')
    .attr('transform', `translate(0,${top})`)
    .selectAll<SVGGElement, Chip>('g.chip')
    .data(chips, (d) => String(d.pos))
    .join((enter) => {
      const e = enter.append('g').attr('class', 'chip');
      e.append('rect');
      e.append('text').attr('class', 'tok');
      e.append('text').attr('class', 'tag');
      e.append('title');
      return e;
    })
    .attr('transform', (d) => `translate(${d.x},${d.y})`)
    .attr('data-pos', (d) => d.pos)
    .attr('data-gid', (d) => d.gid)
    .attr('data-given', (d) => String(d.given))
    .classed('highlight', (d) => data.current !== undefined && d.gid === data.current && !d.given);
  sel
    .select('rect')
    .attr('width', (d) => d.w)
    .attr('height', chipH)
    .attr('rx', 5)
    .attr('fill', (d) => d.fill)
    .attr('stroke', (d) => (data.current !== undefined && d.gid === data.current && !d.given ? palette.highlight : d.given ? palette.given : 'none'))
    .attr('stroke-width', (d) => (data.current !== undefined && d.gid === data.current && !d.given ? 4 : 1))
    .attr('stroke-dasharray', null);
  sel
    .select('text.tok')
    .attr('x', (d) => d.w / 2)
    .attr('y', chipH / 2)
    .attr('dy', '0.35em')
    .attr('text-anchor', 'middle')
    .attr('font-family', fonts.mono)
    .attr('font-size', fs)
    .attr('font-style', (d) => (d.given ? 'italic' : null))
    .attr('fill', (d) => textOn(d.fill))
    .text((d) => d.text);
  sel
    .select('text.tag')
    .attr('x', (d) => d.w / 2)
    .attr('y', chipH + fonts.small + 1)
    .attr('text-anchor', 'middle')
    .attr('font-size', fonts.small)
    .attr('fill', palette.muted)
    .text((d) => (d.given ? 'given' : `g${d.gid}`));
  const describe = (d: Chip) =>
    d.given
      ? `"${d.text}" · position ${d.pos} · given (group ${d.gid})`
      : `"${d.text}" · position ${d.pos} · group ${d.gid} (${d.rank + 1} of ${count} in commit order)`;
  sel.select('title').text(describe);

  const hint = 'Hover a token: which group committed it?';
  readout(root, 'readout', 0, height - 8, hint);
  sel.on('mouseenter', (_, d) => {
    readout(root, 'readout', 0, height - 8, describe(d));
    options.onHoverToken?.(d.pos);
  });
  sel.on('mouseleave', () => {
    readout(root, 'readout', 0, height - 8, hint);
    options.onHoverToken?.(null);
  });

  // legend: given swatch + sampled scale, first -> last group
  const legend = joinOne(root, 'g', 'legend').attr('transform', `translate(0,${legendY})`);
  const items = givenCount ? [{ key: 'given', label: 'given', fill: palette.given }] : [];
  const givenW = drawLegend(joinOne(legend, 'g', 'legend-given') as unknown as G, items, width) ? textWidth('given', fonts.size) + fonts.size + 30 : 0;
  const scale = joinOne(legend, 'g', 'legend-scale').attr('transform', `translate(${givenW},0)`);
  const sw = 14;
  const samples = count ? d3.range(Math.min(count, 16)) : [];
  const leftLabel = 'first group';
  const lw = textWidth(leftLabel, fonts.size) + 8;
  scale
    .selectAll<SVGRectElement, number>('rect.swatch')
    .data(samples, (d) => d)
    .join('rect')
    .attr('class', 'swatch')
    .attr('x', (k) => lw + k * sw)
    .attr('width', sw)
    .attr('height', fonts.size)
    .attr('fill', (k) => stepColor(samples.length <= 1 ? 0 : (k * (count - 1)) / (samples.length - 1), count));
  scale
    .selectAll<SVGTextElement, [string, number, string]>('text')
    .data(
      count
        ? ([
            [leftLabel, 0, 'start'],
            [`last group (${count} group${count === 1 ? '' : 's'}; outline = current)`, lw + samples.length * sw + 8, 'start'],
          ] as [string, number, string][])
        : [],
    )
    .join('text')
    .attr('x', (d) => d[1])
    .attr('y', fonts.size / 2)
    .attr('dy', '0.35em')
    .attr('font-size', fonts.size)
    .attr('fill', palette.ink)
    .text((d) => d[0]);
}
