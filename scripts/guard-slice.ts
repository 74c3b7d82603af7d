/**
 * `npx tsx scripts/guard-slice.ts --dir public/weights/base --kind ar|a3|mdlm`
 * Records a fixed validation slice and the model's loss on it in the folder's
 * training.json (`guard`), for the test that reloads the shipped weights.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '@/lib/a3/weights';
import { fileSource } from '@/lib/a3/weights-node';
import { evalWindows } from '@/lib/train/batches';
import { guardLoss, type GuardSlice } from '@/lib/train/evaluate';
import { loadTokenizer, ROOT, tokenizeSplit } from './lib/data';
import { useNodeBackend } from './lib/node-backend';
import { parseArgs } from './lib/progress';

const GUARD_WINDOWS = 2;

export async function writeGuard(dir: string, kind: GuardSlice['kind']): Promise<GuardSlice> {
  const { model } = await loadModel(fileSource(dir));
  const val = tokenizeSplit('val', loadTokenizer());
  const length = model.config.maxLen;
  const windows = evalWindows(val.tokens, GUARD_WINDOWS, length);
  const tokens = Int32Array.from(windows.flatMap((w) => Array.from(w.tokens)));
  const guard: GuardSlice = { kind, length, tokens: Array.from(tokens), loss: await guardLoss(model, kind, tokens, length) };
  const path = join(dir, 'training.json');
  const training = JSON.parse(readFileSync(path, 'utf8'));
  writeFileSync(path, JSON.stringify({ ...training, guard }, null, 2));
  return guard;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = parseArgs(process.argv.slice(2));
  await useNodeBackend('wasm');
  const dir = join(ROOT, args.get('dir') ?? 'public/weights/base');
  const guard = await writeGuard(dir, (args.get('kind') ?? 'ar') as GuardSlice['kind']);
  console.log(`${dir}: guard ${guard.kind} loss ${guard.loss.toFixed(5)} on ${guard.tokens.length} tokens`);
}
