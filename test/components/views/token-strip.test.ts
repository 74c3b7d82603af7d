// @vitest-environment jsdom
import { describe, expect, test, vi } from 'vitest';
import { describeToken, renderTokenStrip, tokenStripAt } from '@/components/views/token-strip';
import { currentFill, palette } from '@/components/views/palette';
import { click, container, hover } from './helpers';

const labels = ['The', ' cat', ' sat', ' on'];
const given = [true, false, false, false];
const steps = [{ committed: [{ pos: 2, prob: 0.8 }] }, { committed: [{ pos: 1, prob: 0.3 }] }];

describe('TokenStrip', () => {
  test('tokenStripAt maps a trace step to chip states', () => {
    expect(tokenStripAt(labels, given, steps, 1).tokens).toEqual([
      { text: 'The', state: 'given' },
      { text: ' cat', state: 'current', prob: 0.3, step: 1 },
      { text: ' sat', state: 'earlier', prob: 0.8, step: 0 },
      { text: '', state: 'open' },
    ]);
  });

  test('chips coloured by state with probability on hover', () => {
    const div = container();
    const onSelectToken = vi.fn();
    renderTokenStrip(div, tokenStripAt(labels, given, steps, 1), { onSelectToken });
    const chips = [...div.querySelectorAll('g.chip')];
    expect(chips.length).toBe(4);
    expect(chips.map((c) => c.getAttribute('data-state'))).toEqual(['given', 'current', 'earlier', 'open']);
    expect(chips.map((c) => c.querySelector('rect')!.getAttribute('fill'))).toEqual([palette.given, currentFill(0.3), palette.earlier, palette.open]);
    expect(chips.map((c) => c.querySelector('text')!.textContent)).toEqual(['The', '␣cat', '␣sat', '□']);
    expect(chips[1].querySelector('title')!.textContent).toBe('"␣cat" · position 1 · just committed · step 2 · p = 0.30');
    hover(chips[2]);
    expect(div.querySelector('text.readout')!.textContent).toBe('"␣sat" · position 2 · committed earlier · step 1 · p = 0.80');
    expect(describeToken({ text: '', state: 'open' }, 3)).toBe('masked · position 3 · open (not yet sampled)');
    click(chips[3]);
    expect(onSelectToken).toHaveBeenCalledWith(3);
    expect([...div.querySelectorAll('g.legend-item')].map((g) => g.getAttribute('data-key'))).toEqual(['given', 'open', 'current', 'earlier']);
  });

  test('re-render (next step) updates the same chips', () => {
    const div = container();
    renderTokenStrip(div, tokenStripAt(labels, given, steps, 0));
    const chip = div.querySelector('g.chip[data-index="1"]');
    expect(chip!.getAttribute('data-state')).toBe('open');
    renderTokenStrip(div, tokenStripAt(labels, given, steps, 1));
    expect(div.querySelectorAll('g.chip').length).toBe(4);
    expect(div.querySelector('g.chip[data-index="1"]')).toBe(chip);
    expect(chip!.getAttribute('data-state')).toBe('current');
    renderTokenStrip(div, { tokens: [{ text: 'x', state: 'given' }] }, { legend: false });
    expect(div.querySelectorAll('g.chip').length).toBe(1);
    expect(div.querySelectorAll('g.legend-item').length).toBe(0);
  });

  test('the hover read-out survives the re-render the hover itself causes, and goes on leave', () => {
    const div = container();
    const data = tokenStripAt(labels, given, steps, 1);
    // What the React wrapper does: every hover sets state, and each render draws the strip again.
    const render = () => renderTokenStrip(div, data, { onHoverToken: () => render() });
    render();
    hover(div.querySelector('g.chip[data-index="2"]'));
    const text = '"␣sat" · position 2 · committed earlier · step 1 · p = 0.80';
    expect(div.querySelector('text.readout')!.textContent).toBe(text);
    render();
    render();
    expect(div.querySelector('text.readout')!.textContent).toBe(text);
    div.querySelector('g.chip[data-index="2"]')!.dispatchEvent(new MouseEvent('mouseleave', { bubbles: false }));
    expect(div.querySelector('text.readout')!.textContent).toBe('Hover a token for its probability.');
  });
});
