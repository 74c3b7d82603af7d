/**
 * One-click export: the three Hugging Face files (model.safetensors, config.json, tokenizer.json) saved as one
 * thing, into a folder the user picks (File System Access API, where the browser has it) or as one zip
 * download. The worker makes the files (safetensors.ts: exportHfFiles); the page calls saveExportBundle.
 *
 * The zip is STORE-only (no compression): float32 weights barely deflate, and storing keeps a large export
 * instant. A folder gets its own subfolder, never one that exists, so an export never overwrites anything.
 *
 * tf-free and DOM-free at import: the browser is reached only through `browserSaveTarget()` at call time,
 * so this module loads in Node tests and the page alike.
 */
import { zipSync } from 'fflate';
import { EXPORT_FILES } from './model-files';

export const DEFAULT_BUNDLE_NAME = 'a3-studio-model';

/** The three files, as the worker's `exported` event carries them. */
export type ExportFiles = Record<string, ArrayBuffer | string>;

/** The parts of the File System Access API we use (not in TypeScript's DOM library yet). */
export interface WritableLike {
  write(data: Uint8Array): Promise<void>;
  close(): Promise<void>;
}
export interface FileHandleLike {
  createWritable(): Promise<WritableLike>;
}
export interface DirectoryHandleLike {
  readonly name: string;
  getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<DirectoryHandleLike>;
  getFileHandle(name: string, options?: { create?: boolean }): Promise<FileHandleLike>;
}

/** Where a bundle can go: the page passes browserSaveTarget(); tests pass fakes. */
export interface SaveTarget {
  /** Absent where the browser has no File System Access API (Firefox, Safari). */
  pickDirectory?(): Promise<DirectoryHandleLike>;
  download(bytes: Uint8Array, filename: string): void;
}

export type SaveResult =
  | { kind: 'folder'; folder: string; files: string[] }
  /** `reason`: why the folder route was not taken (absent when the browser has none). */
  | { kind: 'zip'; filename: string; bytes: number; reason?: string }
  | { kind: 'cancelled' };

function fileBytes(files: ExportFiles): [string, Uint8Array][] {
  const missing = EXPORT_FILES.filter((name) => files[name] === undefined);
  if (missing.length) throw new Error(`the export lacks ${missing.join(', ')}: nothing was saved`);
  const encoder = new TextEncoder();
  return EXPORT_FILES.map((name) => {
    const body = files[name];
    return [name, typeof body === 'string' ? encoder.encode(body) : new Uint8Array(body)];
  });
}

/** A zip (STORE, CRC-32) holding the three files in a folder `name/`, so unzipping gives a loadable model folder. */
export function bundleZip(files: ExportFiles, name = DEFAULT_BUNDLE_NAME): Uint8Array {
  const entries = Object.fromEntries(fileBytes(files).map(([file, bytes]) => [`${name}/${file}`, bytes]));
  return zipSync(entries, { level: 0 });
}

/** `name`, or `name-2`, `name-3`, … : the first that does not exist in `dir`. */
async function freeFolderName(dir: DirectoryHandleLike, name: string): Promise<string> {
  for (let i = 1; ; i++) {
    const candidate = i === 1 ? name : `${name}-${i}`;
    try {
      await dir.getDirectoryHandle(candidate);
    } catch (e) {
      if ((e as { name?: string }).name === 'NotFoundError') return candidate;
      throw e;
    }
  }
}

/** Writes the three files into a new subfolder of `dir`; returns the subfolder's name. */
export async function writeBundleToDirectory(dir: DirectoryHandleLike, files: ExportFiles, name = DEFAULT_BUNDLE_NAME): Promise<string> {
  const bytes = fileBytes(files);
  const folder = await freeFolderName(dir, name);
  const target = await dir.getDirectoryHandle(folder, { create: true });
  for (const [file, body] of bytes) {
    const writable = await (await target.getFileHandle(file, { create: true })).createWritable();
    await writable.write(body);
    await writable.close();
  }
  return folder;
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Saves the export as one thing: into a folder the user picks where the browser can, else as `name.zip`.
 * `files` may be a function that asks the worker for them: the folder picker then opens first, while the
 * click that started the export still counts as a user gesture (browsers refuse the picker a few seconds
 * later), and cancelling it asks the worker for nothing. Cancelling cancels the export; a picker or a write
 * that fails for another reason (permission, a sandboxed frame) falls back to the zip and says why.
 */
export async function saveExportBundle(files: ExportFiles | (() => Promise<ExportFiles>), target: SaveTarget, name = DEFAULT_BUNDLE_NAME): Promise<SaveResult> {
  let pending: Promise<ExportFiles> | null = null;
  const getFiles = () => (pending ??= typeof files === 'function' ? files() : Promise.resolve(files)); // asked for once
  if (typeof files !== 'function') fileBytes(files); // refuse an incomplete export before any dialog opens
  let reason: string | undefined;
  if (target.pickDirectory) {
    let dir: DirectoryHandleLike | null = null;
    try {
      dir = await target.pickDirectory();
    } catch (e) {
      if ((e as { name?: string }).name === 'AbortError') return { kind: 'cancelled' };
      reason = `the folder picker failed (${messageOf(e)})`;
    }
    if (dir) {
      const ready = await getFiles();
      try {
        const folder = await writeBundleToDirectory(dir, ready, name);
        return { kind: 'folder', folder: `${dir.name}/${folder}`, files: [...EXPORT_FILES] };
      } catch (e) {
        reason = `writing into ${dir.name} failed (${messageOf(e)})`;
      }
    }
  }
  const zip = bundleZip(await getFiles(), name);
  const filename = `${name}.zip`;
  target.download(zip, filename);
  return { kind: 'zip', filename, bytes: zip.byteLength, ...(reason ? { reason } : {}) };
}

/** How long a download's object URL lives: revoking it at once can cancel the download in some browsers. */
const REVOKE_AFTER_MS = 60_000;

/** The page's target: showDirectoryPicker where it exists, an <a download> click otherwise. Call it in the page only. */
export function browserSaveTarget(): SaveTarget {
  const picker = (globalThis as { showDirectoryPicker?: (o?: { mode?: 'readwrite'; id?: string }) => Promise<DirectoryHandleLike> }).showDirectoryPicker;
  return {
    pickDirectory: picker ? () => picker.call(globalThis, { mode: 'readwrite', id: 'a3-export' }) : undefined,
    download(bytes, filename) {
      // The cast only narrows the buffer type: our bytes never live in a SharedArrayBuffer.
      const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/zip' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = filename;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
    },
  };
}
