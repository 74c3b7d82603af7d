/** Text helpers shared by the views: visible token text, truncation, width estimates. */

/** Token text made visible: spaces as ␣, newlines as ↵, tabs as ⇥, other control characters as \uXXXX, empty as ∅. */
export function displayToken(text: string): string {
  if (text === '') return '∅';
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!; // for…of yields non-empty code points
    if (ch === ' ') out += '␣';
    else if (ch === '\n') out += '↵';
    else if (ch === '\t') out += '⇥';
    else if (c < 0x20 || c === 0x7f) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

/** Shorten to at most `max` characters (code points), ending with … when cut. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : chars.slice(0, Math.max(1, max - 1)).join('') + '…';
}

/** Rough rendered width of a string (no layout engine needed; monospace-exact, UI-font conservative). */
export function textWidth(text: string, fontSize: number): number {
  return [...text].length * fontSize * 0.62;
}

/** The label of position i, `#i` when no label is known. */
export function labelAt(labels: readonly string[] | undefined, i: number): string {
  const l = labels?.[i];
  return l === undefined ? `#${i}` : l;
}

/** Probability as text: 0.823 -> "0.82"; tiny values in exponent form. */
export function formatProb(p: number): string {
  if (!Number.isFinite(p)) return String(p);
  if (p !== 0 && Math.abs(p) < 0.01) return p.toExponential(1);
  return p.toFixed(2);
}
