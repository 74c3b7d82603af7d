/**
 * The gap syntax as the page reads it (`[____]`, `[__5__]`, `[__?__]`), for hints before a run.
 * merge: replace with lib/a3/decode/gaps.ts — the one tf-free gap module the decoders share; these
 * constants restate lib/a3/decode/infill.ts and request.ts (which pull in tfjs) until it lands.
 */
const GAP = /\[_+(\d+|\?)?_*\]/g;

/** Length of `[____]`, and of the continuation when the text has no gap. */
export const DEFAULT_GAP_LENGTH = 8;
/** The lengths `[__?__]` tries. */
export const AUTO_GAP_LENGTHS: readonly number[] = [2, 4, 6, 8, 12];

export function hasGap(text: string): boolean {
  return text.search(GAP) >= 0;
}

/** For each gap of the template, left to right: whether its length is chosen by the model (`[__?__]`). */
export function autoGaps(text: string): boolean[] {
  return [...text.matchAll(GAP)].map((m) => m[1] === '?');
}
