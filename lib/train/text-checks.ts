/**
 * What a text to fine-tune on must be, tf-free so both sides apply the same rule: the page checks an upload
 * before any byte reaches the worker (lib/store/text-checks.ts), the worker checks again (finetune.ts).
 */

/** A browser fine-tune on more than this is a job for `npm run adapt`. */
export const MAX_TEXT_BYTES = 5 * 1024 * 1024;
/** Fewer characters than this give too few training windows to learn anything from. */
export const MIN_TEXT_CHARS = 400;

/** Share of characters that plain text never holds: C0 controls other than tab/line breaks, and U+FFFD (bytes that were not UTF-8). */
function oddShare(sample: string): number {
  let odd = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if (c <= 8 || (c >= 14 && c <= 31) || c === 0xfffd) odd++;
  }
  return sample.length === 0 ? 0 : odd / sample.length;
}

/** The words for a text (or file) called `name` past MAX_TEXT_BYTES: the page's upload check says it the same way. */
export function tooLargeProblem(name: string): string {
  return `${name} is over the ${MAX_TEXT_BYTES / 1024 / 1024} MB limit: fine-tuning in the browser needs a shorter text`;
}

/** A user-facing problem with `text` (called `name` in the message), or null. */
export function textProblem(text: string, name = 'the text'): string | null {
  const chars = text.trim().length;
  if (chars === 0) return `${name} has no text in it (it is empty, or only spaces and line breaks)`;
  if (new TextEncoder().encode(text).length > MAX_TEXT_BYTES) return tooLargeProblem(name);
  // Binary files decode to text full of control and replacement characters.
  if (oddShare(text.slice(0, 10_000)) > 0.01) return `${name} looks like a binary file, not UTF-8 text`;
  if (chars < MIN_TEXT_CHARS) return `${name} is very short (${chars} characters): give at least a few paragraphs`;
  return null;
}
