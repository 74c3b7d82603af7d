/**
 * Files the Fine-tune cell reads and writes, away from React: the upload to train on (checked by
 * lib/store/text-checks), the model files a user imports, and the download links of an export.
 * No tfjs: the bytes go to the worker untouched.
 */
import { readUploadText } from '../store/text-checks';

/** What the browser's File gives us (a structural type, so tests can pass plain objects). */
export interface PickedFile {
  name: string;
  size: number;
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface Upload {
  name: string;
  text: string;
  bytes: number;
}

/** Reads and checks a text to train on; throws an Error whose message is shown next to the upload field. */
export async function readUpload(file: PickedFile): Promise<Upload> {
  const text = await readUploadText(file);
  return { name: file.name, text, bytes: new TextEncoder().encode(text).length };
}

/** The user's selection as the worker's import payload (JSON as text, weights as bytes); throws when it cannot be a model. */
export async function readModelFiles(list: readonly PickedFile[]): Promise<Record<string, ArrayBuffer | string>> {
  const names = new Set(list.map((f) => f.name));
  if (!(names.has('model.safetensors') && names.has('config.json')) && !names.has('manifest.json')) {
    throw new Error('select model.safetensors and config.json together (and tokenizer.json if you have it)');
  }
  const files: Record<string, ArrayBuffer | string> = {};
  for (const f of list) files[f.name] = f.name.endsWith('.json') ? await f.text() : await f.arrayBuffer();
  return files;
}

export interface DownloadLink {
  name: string;
  url: string;
  bytes: number;
}

/** One object URL per exported file; the caller revokes them (`revokeLinks`) when they are replaced. */
export function downloadLinks(files: Record<string, ArrayBuffer | string>): DownloadLink[] {
  return Object.entries(files).map(([name, data]) => {
    const blob = new Blob([data], { type: name.endsWith('.json') ? 'application/json' : 'application/octet-stream' });
    return { name, url: URL.createObjectURL(blob), bytes: blob.size };
  });
}

export function revokeLinks(links: readonly DownloadLink[]): void {
  for (const l of links) URL.revokeObjectURL(l.url);
}
