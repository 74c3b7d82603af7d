/**
 * `npm run pretrain [-- --steps N --resume --max-minutes M --ship --workers N]`
 * Trains the base left-to-right model (the content stream; w untouched) on
 * the training split and ships it to public/weights/base.
 *   --workers      data-parallel worker threads sharing each batch (default: one per core)
 *   --resume       continue from checkpoints/pretrain/latest (or --checkpoints DIR)
 *   --run NAME     a long run in runs/NAME (flags, checkpoints; committed between sessions);
 *                  `--resume runs/NAME` continues it bit-for-bit with the flags it started with
 *   --max-minutes  stop cleanly (with a checkpoint) after this long
 *   --ship         only write the output folder from the latest checkpoint
 *   --init DIR     continue from the weights in DIR (e.g. public/weights/base) instead of a fresh model
 *   --max-len L    context length (RoPE tables rebuilt; default the init's, or the base preset's)
 *   --d/--layers/--heads/--ffn  the fresh model's shape (default the base preset)
 *   --warmup W     warm-up steps of the cosine schedule (default 100)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PRESETS, parameterCount, validateConfig, type ModelConfig } from '@/lib/a3/config';
import { disposeModel, initModel, type A3Model } from '@/lib/a3/model';
import { loadModel } from '@/lib/a3/weights';
import { fileSource, saveModelToDir } from '@/lib/a3/weights-node';
import { evalWindows, randomWindows, stepSeed } from '@/lib/train/batches';
import { arNll } from '@/lib/train/evaluate';
import { trainLoss, type TrainBatch } from '@/lib/train/losses';
import { Trainer, type TrainerState } from '@/lib/train/trainer';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint } from './lib/checkpoints';
import { loadTokenizer, ROOT, sha256, tokenizeSplit } from './lib/data';
import { writeGuard } from './guard-slice';
import { explainFailure, useNodeBackend } from './lib/node-backend';
import { parseArgs, progressPrinter } from './lib/progress';
import { withContext } from './lib/adapt-plan';
import { runFlags } from './lib/run-folder';
import { parseWorkers, trainingWorkers } from './lib/workers';

const { args, folder } = runFlags('pretrain', parseArgs(process.argv.slice(2)));
const SEED = Number(args.get('seed') ?? 1234);
const STEPS = Number(args.get('steps') ?? 1800);
const BATCH = Number(args.get('batch') ?? 16);
const PEAK_LR = Number(args.get('lr') ?? 3e-3);
const WARMUP = Number(args.get('warmup') ?? 100);
const INIT_DIR = args.has('init') ? resolve(ROOT, args.get('init') ?? '') : undefined;
/** The yardstick is 64 windows of 128 (so figures compare with the first model); the context's own length is reported too. */
const EVAL_WINDOWS = { 128: 64, long: 32 };
const CKPT_DIR = join(ROOT, args.get('checkpoints') ?? 'checkpoints/pretrain');
const OUT_DIR = join(ROOT, args.get('out') ?? 'public/weights/base');
const WORKERS = parseWorkers(args.get('workers'));

async function main(): Promise<void> {
  const backend = await useNodeBackend('wasm');
  const tokenizer = loadTokenizer();
  const train = tokenizeSplit('train', tokenizer);
  const val = tokenizeSplit('val', tokenizer);
  const bytesPerToken = val.bytes / val.tokens.length;
  const dataHash = sha256(train.textHash + sha256(JSON.stringify(tokenizer.toJSON())));

  let model: A3Model;
  let resume: TrainerState | undefined;
  const latest = latestCheckpoint(CKPT_DIR);
  if ((args.has('resume') || args.has('ship')) && latest) {
    ({ model, state: resume } = await loadCheckpoint(latest));
    console.log(`resuming from ${latest} (step ${resume.step})`);
  } else {
    if (args.has('ship')) throw new Error(`no checkpoint in ${CKPT_DIR} to ship`);
    if (args.has('resume') && folder) throw new Error(`${folder.dir} has no checkpoint yet: start it again with --run`);
    model = await startingModel(tokenizer.vocabSize);
  }
  const config = model.config;
  const length = config.maxLen;
  const valSets = validationSets(val.tokens, length);
  console.log(`backend ${backend}; train ${train.tokens.length} tokens, val ${val.tokens.length}; ${parameterCount(config)} parameters, context ${length}`);

  const workers = trainingWorkers(WORKERS, backend);
  console.log(`${WORKERS} training worker${WORKERS === 1 ? ' (this thread)' : 's'}, micro-batches of ~${BATCH / WORKERS} of ${BATCH}`);
  let stopRequested = false;
  const deadline = args.has('max-minutes') ? Date.now() + Number(args.get('max-minutes')) * 60_000 : Infinity;
  const trainer = new Trainer(
    {
      model,
      stage: 'pretrain',
      steps: args.has('ship') ? resume!.step : STEPS,
      schedule: { peak: PEAK_LR, warmup: WARMUP, total: STEPS, minRatio: 0.1 },
      optimizer: { weightDecay: 0.05 },
      tokensPerStep: BATCH * length,
      batchAt: (step): TrainBatch => ({ kind: 'ar', ...randomWindows(train.tokens, BATCH, length, stepSeed(SEED, step)) }),
      loss: trainLoss,
      gradients: workers.source,
      evaluate: async (m) => {
        const metrics: Record<string, number> = {};
        for (const [key, windows] of valSets) metrics[key] = await arNll(m, windows);
        const valLoss = metrics.valLoss ?? NaN;
        return { ...metrics, valBitsPerByte: valLoss / Math.LN2 / bytesPerToken };
      },
      evalEvery: Number(args.get('eval-every') ?? 100),
      checkpoint: (state) => saveCheckpoint(CKPT_DIR, model, state, {}, folder ? 1 : undefined).then(() => undefined),
      checkpointEvery: 100,
      onEvent: progressPrinter(10),
      shouldStop: () => stopRequested || Date.now() > deadline,
    },
    resume,
  );
  process.on('SIGINT', () => {
    console.log('interrupted: stopping after this step (a checkpoint will be written)');
    stopRequested = true;
  });
  const fromStep = resume?.step ?? 0;
  const elapsedBefore = resume?.elapsedSec ?? 0;
  folder?.begin(fromStep, WORKERS);
  const done = await trainer.run().finally(() => {
    folder?.end(trainer.step, trainer.elapsedSec - elapsedBefore);
    return workers.close();
  });
  if (done.reason !== 'finished') {
    console.log(`not shipping: run ${done.reason} at step ${done.step}; rerun with --resume`);
    return;
  }
  const history = trainer.history;
  const tail = history.slice(-50);
  const finalTrainLoss = tail.reduce((s, h) => s + h.loss, 0) / Math.max(1, tail.length);
  const final: Record<string, number> = {};
  for (const [key, windows] of valSets) final[key] = await arNll(model, windows);
  const valLoss = final.valLoss ?? NaN;
  const valEval = [...valSets].map(([key, w]) => ({ key, windows: w.length, length: w[0]?.tokens.length }));
  const training = {
    stage: 'pretrain (left-to-right AR, content stream only; w untouched)',
    command: ['npm run pretrain', '--', ...process.argv.slice(2)].join(' '),
    init: INIT_DIR ? { from: INIT_DIR.replace(ROOT + '/', ''), training: initTraining(INIT_DIR) } : 'fresh',
    backend,
    dataHash,
    trainTokens: train.tokens.length,
    steps: done.step,
    batch: BATCH,
    workers: WORKERS,
    length,
    tokensSeen: done.step * BATCH * length,
    wallTimeSec: Math.round(trainer.elapsedSec),
    peakLr: PEAK_LR,
    seed: SEED,
    finalTrainLoss,
    valLoss,
    ...final,
    valBitsPerByte: valLoss / Math.LN2 / bytesPerToken,
    valBytesPerToken: bytesPerToken,
    valEval: { sets: valEval, note: 'consecutive non-overlapping windows spread over the val split (evalWindows)' },
    evals: trainer.evals,
    machine: folder ? 'see segments' : '2-core CPU, Node 20, tfjs wasm backend (1 thread per worker)',
    ...(folder ? { segments: folder.segments() } : {}),
  };
  mkdirSync(OUT_DIR, { recursive: true });
  await saveModelToDir(model, OUT_DIR, { training: 'training.json' });
  writeFileSync(join(OUT_DIR, 'config.json'), JSON.stringify(config, null, 2));
  writeFileSync(join(OUT_DIR, 'training.json'), JSON.stringify(training, null, 2));
  await writeGuard(OUT_DIR, 'ar');
  console.log(`shipped ${OUT_DIR}: val loss ${valLoss.toFixed(4)} nats/token, ${training.valBitsPerByte.toFixed(4)} bits/byte`);
  trainer.dispose();
  disposeModel(model);
}

/** The model a new run starts from: --init's weights (at --max-len), or a fresh one of the requested shape. */
async function startingModel(vocabSize: number): Promise<A3Model> {
  const maxLen = args.has('max-len') ? Number(args.get('max-len')) : undefined;
  if (INIT_DIR) {
    const { model } = await loadModel(fileSource(INIT_DIR));
    if (model.config.vocabSize !== vocabSize) throw new Error(`${INIT_DIR} has a vocabulary of ${model.config.vocabSize}, the tokenizer ${vocabSize}`);
    return maxLen ? withContext(model, maxLen) : model;
  }
  const num = (key: string, fallback: number) => Number(args.get(key) ?? fallback);
  const dModel = num('d', PRESETS.base.dModel);
  const config: ModelConfig = validateConfig({
    ...PRESETS.base,
    vocabSize,
    dModel,
    nLayers: num('layers', PRESETS.base.nLayers),
    nHeads: num('heads', PRESETS.base.nHeads),
    ffnDim: num('ffn', 3 * dModel),
    maxLen: maxLen ?? PRESETS.base.maxLen,
  });
  return initModel(config, SEED);
}

/** `valLoss` on 64 windows of 128 (the yardstick since the first model), and `valLoss@L` at a longer context. */
function validationSets(valTokens: Int32Array, length: number): Map<string, ReturnType<typeof evalWindows>> {
  const sets = new Map([['valLoss', evalWindows(valTokens, EVAL_WINDOWS[128], Math.min(128, length))]]);
  if (length > 128) sets.set(`valLoss@${length}`, evalWindows(valTokens, EVAL_WINDOWS.long, length));
  return sets;
}

/** What the starting weights were trained on, kept in the new training.json so the record is complete. */
function initTraining(dir: string): unknown {
  const path = join(dir, 'training.json');
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null;
}

main().catch((e) => {
  console.error(explainFailure(e));
  process.exit(1);
});
