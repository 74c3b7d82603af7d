/**
 * `npm run fill-table [-- --a3 DIR --base DIR --seed 0]`: fills the README's ten fixed playground templates
 * greedily with A3 group-wise s=1 and s=2, A3 dynamic and the AR base model (scripts/lib/template-fills.ts,
 * through the page's own decode path) on the shipped weights, and writes results/template-fills.json with
 * the weights' identity, so `npm run report` can put the table in the README. Reads the context length and
 * every other size from the weights themselves: rerun it unchanged after the weights are replaced.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadModel } from '@/lib/a3/weights';
import { fileSource } from '@/lib/a3/weights-node';
import { loadTokenizer, ROOT, sha256, TOKENIZER_PATH } from './lib/data';
import { useNodeBackend } from './lib/node-backend';
import { parseArgs } from './lib/progress';
import { fillTemplates, TEMPLATES } from './lib/template-fills';

/** A weights folder's identity: sha256 over every file in it (name and bytes, sorted by name). */
function folderHash(dir: string): string {
  const parts = readdirSync(dir)
    .sort()
    .map((name) => `${name}:${sha256(readFileSync(join(dir, name)))}`);
  return sha256(parts.join('\n'));
}

const args = parseArgs(process.argv.slice(2));
const seed = Number(args.get('seed') ?? 0);
const dirs = { a3: args.get('a3') ?? 'public/weights/a3', base: args.get('base') ?? 'public/weights/base' };
for (const [kind, dir] of Object.entries(dirs)) {
  // A joint model is its own AR model (its content stream): then pass its folder as --base too.
  if (!existsSync(resolve(ROOT, dir))) throw new Error(`${dir} is missing: give the ${kind} weights with --${kind} DIR (for a joint model, its own folder serves as --base)`);
}
const backend = await useNodeBackend('wasm');
const tokenizer = loadTokenizer();
const a3 = (await loadModel(fileSource(resolve(ROOT, dirs.a3)))).model;
const base = (await loadModel(fileSource(resolve(ROOT, dirs.base)))).model;
const start = performance.now();
const templates = await fillTemplates({ a3, base }, tokenizer, TEMPLATES, seed);
const wallSec = (performance.now() - start) / 1000;
for (const t of templates) {
  console.log(t.template);
  for (const r of t.results) console.log(`  ${r.column}: ${'refused' in r ? `refused: ${r.refused}` : r.fills.map((f) => JSON.stringify(f)).join(' | ')}`);
}
const weights = Object.fromEntries(
  Object.entries(dirs).map(([kind, dir]) => [kind, { dir, sha256: folderHash(resolve(ROOT, dir)), config: kind === 'a3' ? a3.config : base.config }]),
);
const command = ['npm run fill-table', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
mkdirSync(join(ROOT, 'results'), { recursive: true });
const file = { command, seed, sampling: 'greedy', backend, wallSec, weights, tokenizerSha256: sha256(readFileSync(TOKENIZER_PATH)), templates };
writeFileSync(join(ROOT, 'results', 'template-fills.json'), JSON.stringify(file, null, 2) + '\n');
console.log(`results/template-fills.json written (${wallSec.toFixed(1)} s)`);
