#!/usr/bin/env node
// Copies tfjs's non-threaded wasm binaries into public/tfjs-wasm/, where lib/a3/backend.ts points
// setWasmPaths in the browser. Run before `next dev`/`next build` (npm pre-scripts) so the served files
// always match the installed @tensorflow/tfjs-backend-wasm; the copies are git-ignored.
// The threaded build is left out on purpose: the app forces WASM_HAS_MULTITHREAD_SUPPORT=false
// (its inline worker breaks under Next's minification; see shared/ENVIRONMENT.md).
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
const out = join(root, 'public', 'tfjs-wasm');
mkdirSync(out, { recursive: true });
for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm']) copyFileSync(join(dist, f), join(out, f));
console.log(`copy-wasm: ${dist} -> public/tfjs-wasm/`);
