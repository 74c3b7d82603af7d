/**
 * Train the byte-level BPE tokenizer on the training split and pick its size.
 *
 *   npx tsx scripts/train-tokenizer.ts [--vocab 2048]
 *
 * Trains once with the largest candidate merge count (BPE merges are learned
 * greedily, so the first k merges of that run are exactly a k-merge
 * tokenizer), measures bytes/token on the validation split for each candidate
 * vocabulary, picks the one with the lowest estimated model compute per byte
 * of text (unless --vocab is given), and writes
 *   public/weights/tokenizer.json
 *   data/tokenizer-report.json
 * Requires data/corpus/{train,val}.txt (npx tsx scripts/build-corpus.ts).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FIRST_MERGE_ID, Tokenizer } from '../lib/a3/tokenizer';

const ROOT = process.cwd();
const TRAIN_PATH = join(ROOT, 'data/corpus/train.txt');
const VAL_PATH = join(ROOT, 'data/corpus/val.txt');
const OUT_PATH = join(ROOT, 'public/weights/tokenizer.json');
const REPORT_PATH = join(ROOT, 'data/tokenizer-report.json');

/** Candidate total vocabulary sizes: multiples of 64, at most 4096. */
const CANDIDATE_VOCABS = [1024, 2048, 3072, 4096];

/**
 * The model this tokenizer serves (tiny LLaMA-style LM): used only for the
 * cost estimate. Untied input embedding + output head, context 128.
 */
const MODEL = { dModel: 128, layers: 4, context: 128 };

interface Measurement {
  vocabSize: number;
  merges: number;
  valBytes: number;
  valTokens: number;
  bytesPerToken: number;
  embeddingParams: number;
  blockParams: number;
  /** Multiply-accumulates per token: blocks + attention + output softmax. */
  macsPerToken: number;
  /** The quantity minimised: model compute needed per byte of text. */
  macsPerByte: number;
  encodeSeconds: number;
}

function parseVocabArg(): number | undefined {
  const i = process.argv.indexOf('--vocab');
  if (i < 0) return undefined;
  const v = Number(process.argv[i + 1]);
  if (!CANDIDATE_VOCABS.includes(v)) throw new Error(`--vocab must be one of ${CANDIDATE_VOCABS.join(', ')}`);
  return v;
}

function measure(tok: Tokenizer, val: string, valBytes: number): Measurement {
  const t0 = performance.now();
  const valTokens = tok.encode(val).length;
  const encodeSeconds = (performance.now() - t0) / 1000;
  const { dModel: d, layers, context } = MODEL;
  const blockParams = layers * 12 * d * d; // attention 4d^2 + SwiGLU MLP ~8d^2
  const embeddingParams = 2 * tok.vocabSize * d; // input table + output head
  const macsPerToken = blockParams + layers * context * d + tok.vocabSize * d;
  const bytesPerToken = valBytes / valTokens;
  return {
    vocabSize: tok.vocabSize,
    merges: tok.numMerges,
    valBytes,
    valTokens,
    bytesPerToken: round(bytesPerToken, 4),
    embeddingParams,
    blockParams,
    macsPerToken,
    macsPerByte: Math.round(macsPerToken / bytesPerToken),
    encodeSeconds: round(encodeSeconds, 2),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function main(): void {
  const train = readFileSync(TRAIN_PATH, 'utf8');
  const val = readFileSync(VAL_PATH, 'utf8');
  const valBytes = Buffer.byteLength(val, 'utf8');
  const maxMerges = Math.max(...CANDIDATE_VOCABS) - FIRST_MERGE_ID;

  const t0 = performance.now();
  const full = Tokenizer.train(train, maxMerges, {
    onProgress: (n, count) => console.log(`  merge ${n}: best pair count ${count}`),
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  console.log(`trained ${full.numMerges} merges on ${train.length} chars in ${trainSeconds.toFixed(1)} s`);

  const results = CANDIDATE_VOCABS.map((v) => measure(full.truncate(v - FIRST_MERGE_ID), val, valBytes));
  for (const r of results) {
    console.log(
      `vocab ${r.vocabSize} (${r.merges} merges): ${r.bytesPerToken} bytes/token on val, ` +
        `${r.embeddingParams} embedding params, ${r.macsPerByte} MACs/byte, encode ${r.encodeSeconds} s`,
    );
  }

  const forced = parseVocabArg();
  const best = results.reduce((a, b) => (b.macsPerByte < a.macsPerByte ? b : a));
  const chosen = forced ? (results.find((r) => r.vocabSize === forced) as Measurement) : best;
  const tokenizer = full.truncate(chosen.merges);
  mkdirSync(dirname(OUT_PATH), { recursive: true });
  writeFileSync(OUT_PATH, JSON.stringify(tokenizer.toJSON()) + '\n');

  const report = {
    trainedOn: 'data/corpus/train.txt',
    measuredOn: 'data/corpus/val.txt',
    trainChars: train.length,
    trainSeconds: round(trainSeconds, 1),
    model: MODEL,
    results,
    chosen: { vocabSize: chosen.vocabSize, merges: chosen.merges, bytesPerToken: chosen.bytesPerToken, forced: forced !== undefined },
    reasoning:
      'The model is tiny (d=128, 4 layers, ~0.79M block parameters), so each vocabulary entry costs ' +
      '2*128 parameters (embedding + output head) and 128 MACs per token in the softmax. A larger vocabulary ' +
      'packs more bytes into each token, but past a point the extra bytes/token do not pay for the bigger ' +
      'output layer. We pick the candidate with the lowest estimated compute per byte of text ' +
      '(macsPerToken / bytesPerToken), which also keeps the embedding tables from dominating the parameter count.',
  };
  writeFileSync(REPORT_PATH, JSON.stringify(report, null, 2) + '\n');
  console.log(`chosen vocab ${chosen.vocabSize} (${chosen.merges} merges) -> ${OUT_PATH}`);
}

main();
