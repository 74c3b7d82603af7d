/**
 * Which part of a template longer than the model's context is decoded: a window of consecutive tokens that
 * holds every gap whole, with as much of the text around the gaps as the context has room for. Pure and
 * tf-free: `checkTemplate` (infill.ts) calls it for the live hint and token counter, run.ts for the decode, so
 * the page and the worker keep the same part.
 *
 * The rule. The core, from the first gap's first token to the last gap's last token (gaps and the text
 * between them), is always kept. The rest of the context, budget = maxLen − core, goes to the text next to
 * the core, nearest tokens first (text far from the gaps says least about them):
 *   - sides 'both' (decoders that read both sides of a gap): half to the left (rounded up: the left side is
 *     what every decoder reads), half to the right; a side with less text than its half gives the rest to
 *     the other side;
 *   - sides 'left' (a left-to-right decoder, which never reads the text after a gap): all of it to the left,
 *     any rest to the right.
 * So the window is as long as it can be, min(maxLen, template), and the same layout always gives the same one.
 * Refused: a core longer than the context, or a core that fills it while text around it would be left
 * with no token at all (the gaps would be decoded as if the template had no text).
 */

/** The token layout of a template: its length and its gaps (start, length), which lie inside it. */
export interface TokenLayout {
  length: number;
  spans: readonly { start: number; length: number }[];
}

/** Which side of a gap a decoder reads (the registry's `sees`). */
export type ContextSides = 'both' | 'left';

/**
 * The decoded part, as the tokens left out on each side: counts that stay true when a gap inside the window
 * changes length (an automatic gap's chosen length), unlike end positions.
 */
export interface ContextWindow {
  /** Tokens of the template (automatic gaps at their longest candidate). */
  total: number;
  /** Tokens before the window, never seen by the model. */
  before: number;
  /** Tokens after the window, never seen by the model. */
  after: number;
}

/** A window, or (refused) the core that does not fit: its length, and whether text around it would be left with no room. */
export type WindowChoice = { window: ContextWindow } | { window: null; core: number; noRoom: boolean };

/** The window of `layout` that fits a context of `maxLen` tokens (the rule at the top), or the core that cannot. */
export function chooseWindow(layout: TokenLayout, maxLen: number, sides: ContextSides = 'both'): WindowChoice {
  const { length: total, spans } = layout;
  if (spans.length === 0) throw new Error('a window is chosen around gaps: the layout has none');
  if (total <= maxLen) return { window: { total, before: 0, after: 0 } };
  const first = Math.min(...spans.map((s) => s.start));
  const last = Math.max(...spans.map((s) => s.start + s.length));
  const core = last - first;
  const leftText = first;
  const rightText = total - last;
  // total > maxLen: some text lies outside the core, so a core that fills the context would leave all of it unseen.
  if (core >= maxLen) return { window: null, core, noRoom: core === maxLen };
  const budget = maxLen - core;
  const leftShare = sides === 'left' ? budget : Math.ceil(budget / 2);
  const left = Math.min(leftText, Math.max(leftShare, budget - rightText));
  const right = Math.min(rightText, budget - left);
  return { window: { total, before: leftText - left, after: rightText - right } };
}

/** Whether the window leaves any token out. */
export const isPartial = (w: ContextWindow): boolean => w.before > 0 || w.after > 0;

/** "kept tokens 140–267 of 610: the text around the gaps; 139 tokens before and 343 after were left out" (1-based, inclusive). */
export function describeWindow(w: ContextWindow): string {
  const kept = w.total - w.before - w.after;
  return `kept tokens ${w.before + 1}–${w.before + kept} of ${w.total}: the text around the gaps; ${w.before} token${w.before === 1 ? '' : 's'} before and ${w.after} after were left out (not seen by the model)`;
}
