/**
 * Checks on a file a learner uploads for fine-tuning, on the page: clear messages for empty, binary or too
 * large files before any byte is sent to the worker. The rule for the text itself is lib/train/text-checks.ts
 * (tf-free), which the worker applies again.
 */
import { MAX_TEXT_BYTES, textProblem, tooLargeProblem } from '../train/text-checks';

export { MAX_TEXT_BYTES };

const empty = (name: string) => `${name} is empty: choose a .txt file with a few paragraphs of prose`;

/** Returns a user-facing problem with the file's size or name, or null. */
export function checkUploadFile(file: { name: string; size: number }): string | null {
  if (file.size === 0) return empty(file.name);
  if (file.size > MAX_TEXT_BYTES) return `${tooLargeProblem(file.name)} (it is ${(file.size / 1024 / 1024).toFixed(1)} MB)`;
  return null;
}

/** Returns a user-facing problem with the bytes of an upload, or null. */
export function checkUploadBytes(name: string, bytes: Uint8Array): string | null {
  if (bytes.length === 0) return empty(name);
  if (bytes.length > MAX_TEXT_BYTES) return tooLargeProblem(name);
  if (bytes.subarray(0, 10_000).includes(0)) return `${name} looks like a binary file (it contains NUL bytes), not plain text`;
  return null;
}

/** Reads and checks a File-like upload; throws an Error with a user-facing message. */
export async function readUploadText(file: { name: string; size: number; arrayBuffer(): Promise<ArrayBuffer> }): Promise<string> {
  const sizeProblem = checkUploadFile(file);
  if (sizeProblem) throw new Error(sizeProblem);
  const bytes = new Uint8Array(await file.arrayBuffer());
  const byteProblem = checkUploadBytes(file.name, bytes);
  if (byteProblem) throw new Error(byteProblem);
  const text = new TextDecoder('utf-8').decode(bytes);
  const textProblemFound = textProblem(text, file.name);
  if (textProblemFound) throw new Error(textProblemFound);
  return text;
}
