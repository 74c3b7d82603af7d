/**
 * One-click export (lib/a3/export-bundle.ts): the zip is a valid STORE archive with correct CRC-32s (read back
 * by fflate and checked against Node's own zlib.crc32), the folder route writes into a new subfolder and never
 * over existing files, and cancel / failure / no-API each end as the user would expect.
 */
// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { crc32 } from 'node:zlib';
import { unzipSync } from 'fflate';
import {
  DEFAULT_BUNDLE_NAME,
  browserSaveTarget,
  bundleZip,
  saveExportBundle,
  type DirectoryHandleLike,
  type ExportFiles,
  type SaveTarget,
} from '@/lib/a3/export-bundle';
import { EXPORT_FILES } from '@/lib/a3/model-files';

const weights = Uint8Array.from({ length: 1000 }, (_, i) => (i * 37) & 255).buffer;
const FILES: ExportFiles = { 'model.safetensors': weights, 'config.json': '{"model_type":"llama","note":"é😀"}', 'tokenizer.json': '{"model":{}}' };
const bytesOf = (body: ArrayBuffer | string) => (typeof body === 'string' ? new TextEncoder().encode(body) : new Uint8Array(body));
/** Byte equality as plain arrays: under jsdom, TextEncoder's Uint8Array is another realm's class than fflate's. */
const plain = (bytes: Uint8Array | undefined) => Array.from(bytes ?? []);

/** Each local file header of a zip: name, method, and the CRC-32 and size it declares. */
function localHeaders(zip: Uint8Array): { name: string; method: number; crc: number; size: number }[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const out = [];
  for (let at = 0; view.getUint32(at, true) === 0x04034b50; ) {
    const size = view.getUint32(at + 18, true);
    const nameLen = view.getUint16(at + 26, true);
    const extraLen = view.getUint16(at + 28, true);
    const name = new TextDecoder().decode(zip.subarray(at + 30, at + 30 + nameLen));
    out.push({ name, method: view.getUint16(at + 8, true), crc: view.getUint32(at + 14, true), size });
    at += 30 + nameLen + extraLen + size;
  }
  return out;
}

/** An in-memory directory tree with the File System Access API's shape; `failWrites` makes every write throw. */
class MemoryDirectory implements DirectoryHandleLike {
  readonly dirs = new Map<string, MemoryDirectory>();
  readonly files = new Map<string, Uint8Array>();
  constructor(readonly name: string, private readonly failWrites = false) {}
  async getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<MemoryDirectory> {
    const found = this.dirs.get(name);
    if (found) return found;
    if (!options?.create) throw Object.assign(new Error(`${name} not found`), { name: 'NotFoundError' });
    const dir = new MemoryDirectory(name, this.failWrites);
    this.dirs.set(name, dir);
    return dir;
  }
  async getFileHandle(name: string) {
    return {
      createWritable: async () => ({
        write: async (data: Uint8Array) => {
          if (this.failWrites) throw new Error('the disk is full');
          this.files.set(name, data.slice());
        },
        close: async () => undefined,
      }),
    };
  }
}

function target(pick?: () => Promise<DirectoryHandleLike>): SaveTarget & { downloads: { bytes: Uint8Array; filename: string }[] } {
  const downloads: { bytes: Uint8Array; filename: string }[] = [];
  return { pickDirectory: pick, download: (bytes, filename) => void downloads.push({ bytes, filename }), downloads };
}

describe('bundleZip', () => {
  it('STORE-zips the three files in a model folder, with CRC-32s Node agrees with', () => {
    expect(crc32('123456789')).toBe(0xcbf43926); // the CRC-32 check value, so the reference itself is right
    const zip = bundleZip(FILES);
    const headers = localHeaders(zip);
    expect(headers.map((h) => h.name)).toEqual(EXPORT_FILES.map((f) => `${DEFAULT_BUNDLE_NAME}/${f}`));
    for (const [i, file] of EXPORT_FILES.entries()) {
      const body = bytesOf(FILES[file]);
      expect(headers[i]).toMatchObject({ method: 0, size: body.length, crc: crc32(body) });
    }
    const back = unzipSync(zip);
    for (const file of EXPORT_FILES) expect(plain(back[`${DEFAULT_BUNDLE_NAME}/${file}`])).toEqual(plain(bytesOf(FILES[file])));
  });

  it('refuses an incomplete export by naming what is missing', () => {
    const { 'tokenizer.json': _dropped, ...two } = FILES;
    expect(() => bundleZip(two)).toThrow('the export lacks tokenizer.json: nothing was saved');
  });
});

describe('saveExportBundle', () => {
  it('writes into a new subfolder of the picked folder, never over an earlier export', async () => {
    const root = new MemoryDirectory('Downloads');
    const t = target(async () => root);
    expect(await saveExportBundle(FILES, t, 'tiny')).toEqual({ kind: 'folder', folder: 'Downloads/tiny', files: [...EXPORT_FILES] });
    const first = root.dirs.get('tiny')!;
    expect([...first.files.keys()]).toEqual([...EXPORT_FILES]);
    expect(plain(first.files.get('model.safetensors'))).toEqual(plain(new Uint8Array(weights)));
    expect(new TextDecoder().decode(first.files.get('config.json'))).toBe(FILES['config.json']);
    const firstConfig = first.files.get('config.json');
    expect(await saveExportBundle({ ...FILES, 'config.json': '{}' }, t, 'tiny')).toMatchObject({ kind: 'folder', folder: 'Downloads/tiny-2' });
    expect(first.files.get('config.json')).toBe(firstConfig);
    expect(t.downloads).toEqual([]);
  });

  it('cancelling the folder picker saves nothing', async () => {
    const t = target(async () => {
      throw Object.assign(new Error('The user aborted a request.'), { name: 'AbortError' });
    });
    expect(await saveExportBundle(FILES, t)).toEqual({ kind: 'cancelled' });
    expect(t.downloads).toEqual([]);
  });

  it('falls back to the zip, saying why, when the picker or the writes fail', async () => {
    const denied = target(async () => {
      throw Object.assign(new Error('Cross origin sub frames are not allowed'), { name: 'SecurityError' });
    });
    const r1 = await saveExportBundle(FILES, denied);
    expect(r1).toMatchObject({ kind: 'zip', filename: `${DEFAULT_BUNDLE_NAME}.zip`, reason: expect.stringMatching(/folder picker failed \(Cross origin/) });
    expect(denied.downloads).toHaveLength(1);
    const full = target(async () => new MemoryDirectory('USB', true));
    expect(await saveExportBundle(FILES, full)).toMatchObject({ kind: 'zip', reason: 'writing into USB failed (the disk is full)' });
    expect(plain(unzipSync(full.downloads[0].bytes)[`${DEFAULT_BUNDLE_NAME}/config.json`])).toEqual(plain(bytesOf(FILES['config.json'])));
  });

  it('downloads the zip where the browser has no folder picker', async () => {
    const t = target();
    const r = await saveExportBundle(FILES, t, 'run-7');
    expect(r).toEqual({ kind: 'zip', filename: 'run-7.zip', bytes: t.downloads[0].bytes.byteLength });
    expect(Object.keys(unzipSync(t.downloads[0].bytes))).toEqual(EXPORT_FILES.map((f) => `run-7/${f}`));
  });

  it('with files still to come from the worker, opens the picker first and asks for them once', async () => {
    const order: string[] = [];
    const getFiles = vi.fn(async () => (order.push('files'), FILES));
    const picked = target(async () => (order.push('picker'), new MemoryDirectory('Downloads')));
    expect(await saveExportBundle(getFiles, picked)).toMatchObject({ kind: 'folder' });
    expect(order).toEqual(['picker', 'files']);
    const cancelled = vi.fn(async () => FILES);
    const abort = target(async () => {
      throw Object.assign(new Error('aborted'), { name: 'AbortError' });
    });
    expect(await saveExportBundle(cancelled, abort)).toEqual({ kind: 'cancelled' });
    expect(cancelled).not.toHaveBeenCalled();
    const once = vi.fn(async () => FILES);
    const full = target(async () => new MemoryDirectory('USB', true));
    expect(await saveExportBundle(once, full)).toMatchObject({ kind: 'zip', reason: expect.stringMatching(/USB failed/) });
    expect(once).toHaveBeenCalledTimes(1);
  });

  it('refuses an incomplete export before any dialog opens', async () => {
    const pick = vi.fn(async () => new MemoryDirectory('x'));
    await expect(saveExportBundle({ 'config.json': '{}' }, target(pick))).rejects.toThrow(/lacks model.safetensors, tokenizer.json/);
    expect(pick).not.toHaveBeenCalled();
  });
});

describe('browserSaveTarget', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('uses showDirectoryPicker where it exists, and an <a download> click for the zip', async () => {
    expect(browserSaveTarget().pickDirectory).toBeUndefined();
    const root = new MemoryDirectory('Picked');
    const picker = vi.fn(async () => root);
    vi.stubGlobal('showDirectoryPicker', picker);
    const withPicker = browserSaveTarget();
    expect(await withPicker.pickDirectory!()).toBe(root); // defined: showDirectoryPicker is stubbed above
    expect(picker).toHaveBeenCalledWith({ mode: 'readwrite', id: 'a3-export' });

    const blobs: Blob[] = [];
    vi.stubGlobal('URL', { createObjectURL: (b: Blob) => (blobs.push(b), 'blob:test'), revokeObjectURL: () => undefined });
    const clicked: { href: string; download: string }[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push({ href: this.href, download: this.download });
    });
    const zip = bundleZip(FILES);
    withPicker.download(zip, 'm.zip');
    expect(clicked).toEqual([{ href: 'blob:test', download: 'm.zip' }]);
    expect(blobs[0].type).toBe('application/zip');
    expect(plain(new Uint8Array(await blobs[0].arrayBuffer()))).toEqual(plain(zip));
  });
});
