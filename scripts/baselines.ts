/**
 * `npx tsx scripts/baselines.ts`: count-based baselines on the validation
 * split with the shipped tokenizer, in the units the README reports:
 * unigram and bigram (add-one smoothed), nats/token and bits/byte.
 * With --with-model, also the shipped base model on the whole split.
 * Writes results/baselines.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '@/lib/a3/weights';
import { fileSource } from '@/lib/a3/weights-node';
import { evalWindows } from '@/lib/train/batches';
import { arNll } from '@/lib/train/evaluate';
import { loadTokenizer, ROOT, tokenizeSplit } from './lib/data';
import { useNodeBackend } from './lib/node-backend';

function unigramNll(train: Int32Array, val: Int32Array, vocab: number): number {
  const counts = new Float64Array(vocab).fill(1);
  for (const t of train) counts[t] += 1;
  const total = train.length + vocab;
  let nll = 0;
  for (const t of val) nll -= Math.log(counts[t] / total);
  return nll / val.length;
}

/** Add-one bigram: p(b | a) = (c(a,b) + 1) / (c(a) + V). Scored on val pairs (first token excluded). */
function bigramNll(train: Int32Array, val: Int32Array, vocab: number): number {
  const pair = new Map<number, number>();
  const context = new Float64Array(vocab);
  for (let i = 1; i < train.length; i++) {
    const key = train[i - 1] * vocab + train[i];
    pair.set(key, (pair.get(key) ?? 0) + 1);
    context[train[i - 1]] += 1;
  }
  let nll = 0;
  for (let i = 1; i < val.length; i++) {
    const c = pair.get(val[i - 1] * vocab + val[i]) ?? 0;
    nll -= Math.log((c + 1) / (context[val[i - 1]] + vocab));
  }
  return nll / (val.length - 1);
}

const tokenizer = loadTokenizer();
const train = tokenizeSplit('train', tokenizer);
const val = tokenizeSplit('val', tokenizer);
const bytesPerToken = val.bytes / val.tokens.length;
const toBpb = (nats: number) => nats / Math.LN2 / bytesPerToken;
const unigram = unigramNll(train.tokens, val.tokens, tokenizer.vocabSize);
const bigram = bigramNll(train.tokens, val.tokens, tokenizer.vocabSize);
/** The shipped base model on every non-overlapping window of the split, for a like-for-like comparison. */
async function baseModelNll(): Promise<{ natsPerToken: number; windows: number; length: number } | null> {
  const dir = join(ROOT, 'public', 'weights', 'base');
  if (!process.argv.includes('--with-model')) return null;
  await useNodeBackend('wasm');
  const { model } = await loadModel(fileSource(dir));
  const length = model.config.maxLen;
  const windows = evalWindows(val.tokens, Number.MAX_SAFE_INTEGER, length);
  return { natsPerToken: await arNll(model, windows), windows: windows.length, length };
}

const model = await baseModelNll();
const result = {
  split: 'val (whole split)',
  vocab: tokenizer.vocabSize,
  valTokens: val.tokens.length,
  bytesPerToken,
  unigram: { natsPerToken: unigram, bitsPerByte: toBpb(unigram) },
  bigramAddOne: { natsPerToken: bigram, bitsPerByte: toBpb(bigram) },
  ...(model && { baseModel: { ...model, bitsPerByte: toBpb(model.natsPerToken), note: 'next-token NLL inside non-overlapping windows (the first token of each window is context only)' } }),
};
mkdirSync(join(ROOT, 'results'), { recursive: true });
writeFileSync(join(ROOT, 'results', 'baselines.json'), JSON.stringify(result, null, 2));
console.log(JSON.stringify(result, null, 2));
