/**
 * The page must not load tfjs: every tfjs call runs in the Web Worker (lib/worker/), and the page imports only
 * tf-free vocabulary modules. This bundles app/ and components/ with esbuild as a browser build would and
 * fails, naming the importing files, if any @tensorflow package is reached. The worker is not in that bundle:
 * the page starts it with `new Worker(new URL(...))`, which esbuild (like Next's page chunking) does not inline.
 */
import { build, type Plugin } from 'esbuild';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

function tsxFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** Bundles `entries` (or one stdin module); returns the files that import @tensorflow packages. */
async function tensorflowImporters(entries: string[] | { contents: string }): Promise<string[]> {
  const importers = new Set<string>();
  const packages: Plugin = {
    name: 'packages',
    setup(b) {
      // Bare package imports stay outside the bundle; those of tfjs are recorded with who made them.
      b.onResolve({ filter: /.*/ }, (args) => {
        if (/^(\.|\/|@\/)/.test(args.path)) return undefined; // the project's own files: bundled
        if (args.path.startsWith('@tensorflow/')) importers.add(relative(ROOT, args.importer) || '(entry)');
        return { path: args.path, external: true };
      });
    },
  };
  await build({
    ...(Array.isArray(entries) ? { entryPoints: entries } : { stdin: { contents: entries.contents, resolveDir: ROOT, loader: 'ts' } }),
    absWorkingDir: ROOT,
    tsconfig: join(ROOT, 'tsconfig.json'),
    bundle: true,
    write: false,
    outdir: join(ROOT, '.esbuild-check'),
    platform: 'browser',
    format: 'esm',
    jsx: 'automatic',
    loader: { '.css': 'empty' },
    logLevel: 'silent',
    plugins: [packages],
  });
  return [...importers].sort();
}

describe('page bundle', () => {
  it('app/ and components/ reach no @tensorflow package', async () => {
    const entries = [...tsxFiles('app'), ...tsxFiles('components')];
    expect(entries.length).toBeGreaterThan(20);
    expect(await tensorflowImporters(entries)).toEqual([]);
  }, 60_000);

  it('the check sees tfjs reached through lib/ (the worker side does reach it)', async () => {
    const found = await tensorflowImporters({ contents: "import '@/lib/worker/worker';" });
    expect(found).toEqual(expect.arrayContaining(['lib/a3/model.ts', 'lib/worker/models.ts']));
  }, 60_000);
});
