/**
 * `npx tsx scripts/eval-generation.ts [--quick] [--seed S] [--out DIR] [--backend wasm|cpu]`
 *
 * Generation quality vs. speed on its own (issue 7, item 3): every decoder at
 * several numbers of forwards, scored by the base model's gen-PPL and
 * distinct-n. Writes DIR/eval-generation.json and DIR/quality-vs-forwards.svg
 * (DIR defaults to results/). Quick: L = 16, 16 prompted + 8 unconditional
 * samples; full: L = 32, 96 + 48 (see scripts/lib/eval-generation.ts).
 *
 * Models: public/weights/base (required), public/weights/a3 and
 * public/weights/mdlm (their rows are skipped with a note when absent).
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { A3Model } from '@/lib/a3/model';
import { loadModel } from '@/lib/a3/weights';
import { fileSource } from '@/lib/a3/weights-node';
import { loadTokenizer, ROOT } from './lib/data';
import { generationTable, runGenerationEval } from './lib/eval-generation';
import { useNodeBackend } from './lib/node-backend';
import { parseArgs } from './lib/progress';

const args = parseArgs(process.argv.slice(2));
const quick = args.has('quick');
const seed = Number(args.get('seed') ?? 2026);
const outDir = args.get('out') ?? join(ROOT, 'results');
const started = performance.now();
const backend = await useNodeBackend((args.get('backend') as 'wasm' | 'cpu' | undefined) ?? 'wasm');

async function load(name: 'base' | 'a3' | 'mdlm'): Promise<A3Model | undefined> {
  const dir = join(ROOT, 'public', 'weights', name);
  if (existsSync(join(dir, 'manifest.json'))) return (await loadModel(fileSource(dir))).model;
  if (name === 'base') throw new Error(`${dir} is missing: the base model is required`);
  return undefined;
}

const base = (await load('base'))!;
const models = { base, a3: await load('a3'), mdlm: await load('mdlm') };
console.log(`backend ${backend}; ${quick ? 'quick' : 'full'} run, seed ${seed}`);
const result = await runGenerationEval({ models, tokenizer: loadTokenizer(), seed, quick, outDir });
console.log(`\n${generationTable(result)}\n`);
for (const n of result.notes) console.log(`note: ${n}`);
console.log(`backend ${result.backend}, wall ${((performance.now() - started) / 1000).toFixed(1)} s (eval ${result.wallSec.total.toFixed(1)} s); wrote ${relative(ROOT, result.files.json)}, ${relative(ROOT, result.files.svg)}`);
