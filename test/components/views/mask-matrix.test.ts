// @vitest-environment jsdom
import { describe, expect, test, vi } from 'vitest';
import { contentMask, queryMask } from '@/lib/a3/masks';
import { explainCell, maskCounts, renderMaskMatrix } from '@/components/views/mask-matrix';
import { palette } from '@/components/views/palette';
import { click, container, hover, stubCanvas } from './helpers';

// A3.md §2 example: G1={2,5}, G2={1}, G3={3,4,6} (1-indexed) -> gid = [1,0,2,2,0,2]
const gids = Int32Array.from([1, 0, 2, 2, 0, 2]);
const labels = ['a', 'b', 'c', 'd', 'e', 'f'];
const sum = (m: number[][]) => m.flat().reduce((s, v) => s + v, 0);

describe('maskCounts', () => {
  test('matches the masks of the A3.md §2 example', () => {
    const counts = maskCounts(gids);
    const c = sum(contentMask(gids));
    const q = sum(queryMask(gids));
    expect(counts.content).toEqual({ allowed: c, blocked: 36 - c, padding: 0 });
    expect(counts.query).toEqual({ allowed: q, blocked: 36 - q, padding: 0 });
    // and the table in A3.md: content rows 3,2,6,6,2,6; query rows 2,0,3,3,0,3
    expect(c).toBe(25);
    expect(q).toBe(11);
  });

  test('left-to-right is causal / strictly causal; pads are counted apart', () => {
    const lr = Int32Array.from([0, 1, 2, 3]);
    expect(maskCounts(lr).content.allowed).toBe(10);
    expect(maskCounts(lr).query.allowed).toBe(6);
    const pad = [false, false, false, true];
    const withPad = maskCounts(lr, pad);
    expect(withPad.content).toEqual({ allowed: 6, blocked: 3, padding: 7 });
    expect(withPad.query).toEqual({ allowed: 3, blocked: 6, padding: 7 });
  });
});

describe('explainCell', () => {
  test('the brief examples', () => {
    expect(explainCell('query', 3, 1, Int32Array.from([0, 1, 2, 3]), ['the', 'quick', 'brown', 'fox'])).toBe(
      'query of "fox" (group 3) may see "quick" (group 1): earlier group',
    );
    expect(explainCell('content', 0, 1, Int32Array.from([2, 4]), ['a', 'b'])).toBe('content of "a" (group 2) may not see "b" (group 4): later group');
    expect(explainCell('query', 0, 1, Int32Array.from([2, 2]), ['x', 'y'])).toBe(
      'query of "x" (group 2) may not see "y" (group 2): same group — the query stream only sees strictly earlier groups',
    );
  });

  test('A3.md §2 example cells agree with the masks', () => {
    expect(explainCell('query', 2, 1, gids, labels)).toBe('query of "c" (group 2) may see "b" (group 0): earlier group');
    expect(explainCell('content', 1, 0, gids, labels)).toBe('content of "b" (group 0) may not see "a" (group 1): later group');
    expect(explainCell('content', 2, 3, gids, labels)).toBe('content of "c" (group 2) may see "d" (group 2): same group — the content stream sees its own group');
    expect(explainCell('query', 1, 4, gids, labels)).toMatch(/may not see "e" \(group 0\): same group/);
    const cm = contentMask(gids);
    const qm = queryMask(gids);
    for (let i = 0; i < 6; i++)
      for (let j = 0; j < 6; j++) {
        expect(explainCell('content', i, j, gids, labels).includes(' may see ')).toBe(cm[i][j] === 1);
        expect(explainCell('query', i, j, gids, labels).includes(' may see ')).toBe(qm[i][j] === 1);
      }
  });

  test('padding and visible whitespace', () => {
    expect(explainCell('content', 0, 1, Int32Array.from([1, 0]), [' the', '<pad>'], [0, 1])).toBe(
      'content of "␣the" (group 1) may not see "<pad>" (group 0): padding — pad positions are never attended to',
    );
  });
});

describe('renderMaskMatrix', () => {
  test('draws both streams with cells coloured by state and labelled rows/columns', () => {
    const div = container();
    renderMaskMatrix(div, { gids, labels });
    const svg = div.querySelector('svg.a3-mask-matrix')!;
    expect(svg.getAttribute('aria-label')).toMatch(/content stream .* query stream/);
    const panels = div.querySelectorAll('g.panel');
    expect(panels.length).toBe(2);
    const cm = contentMask(gids);
    const qm = queryMask(gids);
    for (const [k, m] of [cm, qm].entries()) {
      const cells = panels[k].querySelectorAll('rect.cell');
      expect(cells.length).toBe(36);
      const allowed = [...cells].filter((c) => c.getAttribute('fill') === palette.allowed).length;
      expect(allowed).toBe(sum(m));
      const c01 = panels[k].querySelector('rect.cell[data-i="2"][data-j="1"]')!;
      expect(c01.getAttribute('data-state')).toBe(m[2][1] ? 'allowed' : 'blocked');
      expect(panels[k].querySelectorAll('g.row-labels text.tok').length).toBe(6);
      expect([...panels[k].querySelectorAll('g.col-labels text')].map((t) => t.textContent)).toEqual(labels);
    }
    expect(panels[0].querySelector('.panel-subtitle')!.textContent).toMatch(/allowed 25 of 36/);
    expect(panels[1].querySelector('.panel-subtitle')!.textContent).toMatch(/allowed 11 of 36/);
    // native tooltip and legend text
    expect(panels[1].querySelector('rect.cell[data-i="0"][data-j="4"] title')!.textContent).toBe(explainCell('query', 0, 4, gids, labels));
    expect([...div.querySelectorAll('g.legend-item text')].map((t) => t.textContent)).toContain('allowed (may attend)');
  });

  test('hover explains the cell in words (both streams) and reports it', () => {
    const div = container();
    const onHoverCell = vi.fn();
    renderMaskMatrix(div, { gids, labels }, { onHoverCell });
    const cell = div.querySelector('g.panel[data-stream="query"] rect.cell[data-i="2"][data-j="3"]');
    hover(cell);
    expect(div.querySelector('text.readout-1')!.textContent).toBe(explainCell('query', 2, 3, gids, labels));
    expect(div.querySelector('text.readout-2')!.textContent).toBe(explainCell('content', 2, 3, gids, labels));
    expect(onHoverCell).toHaveBeenLastCalledWith(expect.objectContaining({ stream: 'query', i: 2, j: 3, state: 'blocked' }));
    expect(div.querySelectorAll('rect.hover').length).toBe(2);
    div.querySelector('g.panel[data-stream="query"] g.grid')!.dispatchEvent(new MouseEvent('mouseleave'));
    expect(onHoverCell).toHaveBeenLastCalledWith(null);
    click(cell); // no click handler: must not throw
  });

  test('re-render updates in place (keyed join), padding coloured', () => {
    const div = container();
    renderMaskMatrix(div, { gids, labels });
    renderMaskMatrix(div, { gids, labels });
    expect(div.querySelectorAll('svg').length).toBe(1);
    expect(div.querySelectorAll('rect.cell').length).toBe(72);
    const first = div.querySelector('g.panel[data-stream="content"] rect.cell[data-i="0"][data-j="0"]');
    renderMaskMatrix(div, { gids: Int32Array.from([0, 1, 2, 3]), labels: ['w', 'x', 'y', 'z'], pad: [0, 0, 0, 1] });
    expect(div.querySelectorAll('svg').length).toBe(1);
    expect(div.querySelectorAll('g.panel').length).toBe(2);
    expect(div.querySelectorAll('rect.cell').length).toBe(32);
    expect(div.querySelector('g.panel[data-stream="content"] rect.cell[data-i="0"][data-j="0"]')).toBe(first);
    expect(div.querySelectorAll('g.panel[data-stream="content"] rect.cell[data-state="padding"]').length).toBe(7);
    expect(div.querySelector('rect.cell[data-state="padding"]')!.getAttribute('fill')).toBe(palette.padding);
    expect([...div.querySelectorAll('g.panel[data-stream="query"] g.col-labels text')].map((t) => t.textContent)).toEqual(['w', 'x', 'y', 'z']);
  });

  test('renders into an SVG container as a <g>', () => {
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    renderMaskMatrix(svg, { gids, labels });
    renderMaskMatrix(svg, { gids, labels });
    expect(svg.querySelectorAll(':scope > g.a3-mask-matrix').length).toBe(1);
    expect(svg.querySelectorAll('rect.cell').length).toBe(72);
  });

  test('dense grids: SVG fallback without canvas, bitmap <image> with one', () => {
    const n = 60; // 3600 cells per panel > 2500
    const big = Int32Array.from({ length: n }, (_, i) => Math.floor(i / 4));
    const lab = Array.from({ length: n }, (_, i) => `t${i}`);
    const div = container();
    renderMaskMatrix(div, { gids: big, labels: lab });
    expect(div.querySelector('g.grid')!.getAttribute('data-renderer')).toBe('svg');
    expect(div.querySelectorAll('g.panel[data-stream="content"] rect.cell').length).toBe(n * n);
    const stub = stubCanvas();
    try {
      renderMaskMatrix(div, { gids: big, labels: lab });
      expect(div.querySelector('g.grid')!.getAttribute('data-renderer')).toBe('canvas');
      expect(div.querySelectorAll('rect.cell').length).toBe(0);
      expect(div.querySelectorAll('image.grid-image').length).toBe(2);
      expect(div.querySelectorAll('rect.grid-hit').length).toBe(2);
      expect(stub.ctx.putImageData).toHaveBeenCalledTimes(2);
    } finally {
      stub.restore();
    }
    renderMaskMatrix(div, { gids, labels });
    expect(div.querySelectorAll('image.grid-image').length).toBe(0);
    expect(div.querySelectorAll('rect.cell').length).toBe(72);
  });
});
