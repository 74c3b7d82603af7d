/** Node-only: model files in a folder. Kept apart so the page bundle never sees `fs`. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { A3Model } from './model';
import { MANIFEST_FILE, serializeModel, type WeightSource } from './weights';

export function fileSource(dir: string): WeightSource {
  const read = async (file: string) => {
    try {
      return await readFile(join(dir, file));
    } catch (e) {
      throw new Error(`cannot read ${join(dir, file)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
    }
  };
  return {
    describe: dir.endsWith('/') ? dir : `${dir}/`,
    readText: async (file) => (await read(file)).toString('utf8'),
    readBinary: async (file) => {
      const b = await read(file);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    },
  };
}

/** Write manifest + shards; shards first, so a crash never leaves a manifest pointing at nothing. */
export async function saveModelToDir(model: A3Model, dir: string, meta?: Record<string, unknown>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { manifest, shards } = await serializeModel(model, meta);
  for (const [name, buf] of Object.entries(shards)) await writeFile(join(dir, name), new Uint8Array(buf));
  await writeFile(join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 1));
}
