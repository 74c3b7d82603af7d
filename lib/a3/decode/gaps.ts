/**
 * The gap syntax of infill templates, and the limits and defaults around it, in one tf-free module so the
 * page (its hint, the "mark selection as gap" button, the knob ranges) and the decoders (infill.ts) read the
 * same rule:
 *
 *     [____]    a gap of DEFAULT_GAP_LENGTH tokens (any number of underscores)
 *     [__5__]   exactly 5 tokens
 *     [__?__]   a length the model chooses by likelihood (auto-length.ts), among AUTO_LENGTHS
 */

/** Tokens in a `[____]` gap, and in the continuation of a text that has no gap. */
export const DEFAULT_GAP_LENGTH = 8;

/** Lengths tried for a `[__?__]` gap when the request does not list its own. */
export const AUTO_LENGTHS: readonly number[] = [2, 4, 6, 8, 12];

/**
 * The most tokens one step may commit or draft that the page offers (group size s, k, draft D). One fixed
 * range for every model, since the knob form shows it before a model loads; it holds for any context: a
 * step larger than the open positions fills them all at once, and longer gaps are filled over several steps.
 */
export const MAX_STEP_TOKENS = 64;

/** One gap as written in a template. */
export interface GapMark {
  /** Character offsets of the whole `[…]` in the template. */
  start: number;
  end: number;
  /** What it asks for: a token count, the model's choice (`?`), or the default length (no number). */
  size: number | 'auto' | 'default';
}

/** A fresh RegExp per call: a global regex carries `lastIndex` state between uses. */
const gapPattern = () => /\[_+(\d+|\?)?_*\]/g;

/** Every gap in `text`, left to right. */
export function findGaps(text: string): GapMark[] {
  return [...text.matchAll(gapPattern())].map((m) => ({
    start: m.index,
    end: m.index + m[0].length,
    size: m[1] === undefined ? 'default' : m[1] === '?' ? 'auto' : Number(m[1]),
  }));
}

export function hasGap(text: string): boolean {
  return gapPattern().test(text);
}

/** How a gap is written: `[____]` for the default length, `[__n__]` for n tokens. */
export function gapMarker(length?: number): string {
  return length === undefined ? '[____]' : `[__${length}__]`;
}
