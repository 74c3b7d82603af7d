#!/usr/bin/env node
// Copies the README's figure (results/quality-vs-forwards.svg, written by `npm run eval`) into
// public/figures/, so the notebook can link the measured quality next to its first Run. Run before
// `next dev`/`next build` (npm pre-scripts), like copy-wasm.mjs; the copy is git-ignored.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'public', 'figures');
mkdirSync(out, { recursive: true });
for (const f of ['quality-vs-forwards.svg']) {
  const src = join(root, 'results', f);
  if (existsSync(src)) copyFileSync(src, join(out, f));
  else console.warn(`copy-figures: ${src} is missing (run \`npm run eval\`); the notebook's figure link will 404`);
}
console.log('copy-figures: results/ -> public/figures/');
