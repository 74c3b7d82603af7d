/**
 * The window of a template longer than the context (decode/window.ts), on fuzzed layouts: every gap inside,
 * never longer than the context, as long as it can be, split around the gaps as the rule says, deterministic;
 * refused only when the gaps themselves do not fit.
 */
import { describe, expect, it } from 'vitest';
import { makeRng } from '@/lib/a3/random';
import { chooseWindow, describeWindow, isPartial, type ContextSides, type TokenLayout } from '@/lib/a3/decode/window';

/** A random layout: 1-4 gaps of 1-20 tokens with 0-150 tokens of text before, between and after them. */
function randomLayout(rng: () => number): TokenLayout {
  const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
  const spans: { start: number; length: number }[] = [];
  let at = int(0, 150);
  for (let g = int(1, 4); g > 0; g--) {
    const length = int(1, 20);
    spans.push({ start: at, length });
    at += length + (g > 1 ? int(0, 40) : 0);
  }
  return { length: at + int(0, 150), spans };
}

describe('chooseWindow', () => {
  it('fuzzed layouts: gaps inside, at most the context, as long as it can be, split as the rule says, deterministic', () => {
    const rng = makeRng(14);
    let partial = 0;
    let refused = 0;
    for (let trial = 0; trial < 3000; trial++) {
      const layout = randomLayout(rng);
      const maxLen = 8 + Math.floor(rng() * 200);
      const sides: ContextSides = rng() < 0.5 ? 'both' : 'left';
      const choice = chooseWindow(layout, maxLen, sides);
      expect(chooseWindow(layout, maxLen, sides)).toEqual(choice);
      const first = layout.spans[0].start;
      const last = layout.spans.at(-1)!.start + layout.spans.at(-1)!.length; // randomLayout makes at least one gap
      const core = last - first;
      if (!choice.window) {
        refused++;
        expect(choice.core).toBe(core);
        // Refused only when the gaps do not fit, or fill the context while text around them would go unseen.
        expect(core > maxLen || (core === maxLen && layout.length > core)).toBe(true);
        expect(choice.noRoom).toBe(core === maxLen);
        continue;
      }
      const { before, after, total } = choice.window;
      expect(total).toBe(layout.length);
      const start = before;
      const end = total - after;
      for (const s of layout.spans) {
        expect(s.start).toBeGreaterThanOrEqual(start);
        expect(s.start + s.length).toBeLessThanOrEqual(end);
      }
      expect(end - start).toBeLessThanOrEqual(maxLen);
      // Maximal: the whole template, or the whole context.
      expect(end - start).toBe(Math.min(total, maxLen));
      // Text next to the gaps first: the left part kept is [start, first), the right one [last, end), and each
      // side is either kept whole or given at least its share of the budget.
      const left = first - start;
      const right = end - last;
      const budget = Math.min(total, maxLen) - core;
      const leftShare = sides === 'left' ? budget : Math.ceil(budget / 2);
      if (left < first) expect(left).toBeGreaterThanOrEqual(leftShare);
      if (right < total - last) expect(right).toBeGreaterThanOrEqual(budget - leftShare);
      if (isPartial(choice.window)) partial++;
      // Everything fits: nothing is left out.
      if (total <= maxLen) expect([before, after]).toEqual([0, 0]);
    }
    // The fuzzing reached every case.
    expect(partial).toBeGreaterThan(300);
    expect(refused).toBeGreaterThan(50);
  });

  it('balanced around the gaps for decoders that read both sides; all to the left for a left-to-right one', () => {
    const layout = { length: 610, spans: [{ start: 300, length: 10 }] };
    // 128 − 10 = 118 tokens of context: 59 on each side.
    expect(chooseWindow(layout, 128, 'both')).toEqual({ window: { total: 610, before: 241, after: 241 } });
    expect(chooseWindow(layout, 128, 'left')).toEqual({ window: { total: 610, before: 182, after: 300 } });
    // An odd budget: the extra token goes left. Text short on one side: the other side gets the rest.
    expect(chooseWindow(layout, 129, 'both')).toEqual({ window: { total: 610, before: 240, after: 241 } });
    expect(chooseWindow({ length: 610, spans: [{ start: 20, length: 10 }] }, 128, 'both')).toEqual({ window: { total: 610, before: 0, after: 482 } });
    expect(chooseWindow({ length: 40, spans: [{ start: 0, length: 10 }] }, 20, 'left')).toEqual({ window: { total: 40, before: 0, after: 20 } });
  });

  it('refuses only what cannot fit: gaps longer than the context, or filling it while text around them goes unseen', () => {
    expect(chooseWindow({ length: 300, spans: [{ start: 100, length: 129 }] }, 128)).toEqual({ window: null, core: 129, noRoom: false });
    expect(chooseWindow({ length: 300, spans: [{ start: 100, length: 128 }] }, 128)).toEqual({ window: null, core: 128, noRoom: true });
    // Gaps only, exactly the context: nothing around them to lose.
    expect(chooseWindow({ length: 128, spans: [{ start: 0, length: 128 }] }, 128)).toEqual({ window: { total: 128, before: 0, after: 0 } });
    expect(() => chooseWindow({ length: 10, spans: [] }, 8)).toThrow(/has none/);
  });

  it('says which part was kept, 1-based', () => {
    expect(describeWindow({ total: 610, before: 241, after: 241 })).toBe(
      'kept tokens 242–369 of 610: the text around the gaps; 241 tokens before and 241 after were left out (not seen by the model)',
    );
    expect(isPartial({ total: 10, before: 0, after: 0 })).toBe(false);
  });
});
