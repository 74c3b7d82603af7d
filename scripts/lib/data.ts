/** Tokenized corpus splits for the Node scripts, cached next to the corpus so reruns skip encoding. */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SPECIAL_TOKENS, Tokenizer } from '@/lib/a3/tokenizer';
import { DOC_SEPARATOR } from '@/lib/train/corpus';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CORPUS_DIR = join(ROOT, 'data', 'corpus');
export const TOKENIZER_PATH = join(ROOT, 'public', 'weights', 'tokenizer.json');
const CACHE_DIR = join(ROOT, '.cache');

export function loadTokenizer(path = TOKENIZER_PATH): Tokenizer {
  return Tokenizer.fromJSON(JSON.parse(readFileSync(path, 'utf8')));
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface TokenizedSplit {
  tokens: Int32Array;
  bytes: number;
  textHash: string;
}

/** Documents joined with <eos>, so the model learns where one text ends. */
export function tokenizeSplit(split: 'train' | 'val' | 'test', tokenizer: Tokenizer): TokenizedSplit {
  const path = join(CORPUS_DIR, `${split}.txt`);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npx tsx scripts/build-corpus.ts\` first`);
  const text = readFileSync(path, 'utf8');
  const textHash = sha256(text);
  const key = sha256(textHash + sha256(JSON.stringify(tokenizer.toJSON()))).slice(0, 16);
  const cachePath = join(CACHE_DIR, `${split}-${key}.bin`);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (existsSync(cachePath)) {
    const buf = readFileSync(cachePath);
    return { tokens: new Int32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)), bytes, textHash };
  }
  const ids: number[] = [];
  for (const doc of text.split(DOC_SEPARATOR)) {
    if (!doc.trim()) continue;
    for (const id of tokenizer.encode(doc)) ids.push(id);
    ids.push(SPECIAL_TOKENS.eos);
  }
  const tokens = Int32Array.from(ids);
  mkdirSync(CACHE_DIR, { recursive: true });
  writeFileSync(cachePath, new Uint8Array(tokens.buffer));
  return { tokens, bytes, textHash };
}
