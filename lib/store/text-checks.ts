/**
 * Checks on text a learner uploads for fine-tuning, on the page (the worker's
 * prepareData checks again): clear messages for empty, binary or too large
 * files before any byte is sent to the worker. Mirrors lib/train/finetune.ts
 * `checkText` without importing it (that module pulls in tfjs).
 */
export const MAX_UPLOAD_BYTES = 5 * 1024 * 1024;

/** Returns a user-facing problem with the file's size or name, or null. */
export function checkUploadFile(file: { name: string; size: number }): string | null {
  if (file.size === 0) return `${file.name} is empty: choose a .txt file with a few paragraphs of prose`;
  if (file.size > MAX_UPLOAD_BYTES) {
    return `${file.name} is ${(file.size / 1024 / 1024).toFixed(1)} MB, over the 5 MB limit: fine-tuning in the browser needs a shorter text`;
  }
  return null;
}

/** Returns a user-facing problem with the bytes of an upload, or null. */
export function checkUploadBytes(name: string, bytes: Uint8Array): string | null {
  if (bytes.length === 0) return `${name} is empty: choose a .txt file with a few paragraphs of prose`;
  if (bytes.length > MAX_UPLOAD_BYTES) return `${name} is over the 5 MB limit: fine-tuning in the browser needs a shorter text`;
  const head = bytes.subarray(0, 10_000);
  let nul = 0;
  for (const b of head) if (b === 0) nul++;
  if (nul > 0) return `${name} looks like a binary file (it contains NUL bytes), not plain text`;
  return null;
}

/** Returns a user-facing problem with decoded text, or null. */
export function checkText(name: string, text: string): string | null {
  if (text.trim().length === 0) return `${name} has no text in it (only spaces or line breaks)`;
  const sample = text.slice(0, 10_000);
  const odd = (sample.match(/[\u0000-\u0008\u000e-\u001f\ufffd]/g) ?? []).length;
  if (odd > sample.length * 0.01) return `${name} looks like a binary file, not UTF-8 text`;
  if (text.trim().length < 400) return `${name} is very short (${text.trim().length} characters): give at least a few paragraphs`;
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
  const textProblem = checkText(file.name, text);
  if (textProblem) throw new Error(textProblem);
  return text;
}
