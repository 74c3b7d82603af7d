/**
 * `npm run pretrain [-- --steps N --resume --max-minutes M --ship --workers N]`
 * Trains the base left-to-right model (the content stream; w untouched) on
 * the training split and ships it to public/weights/base.
 *   --workers      data-parallel worker threads sharing each batch (default: one per core)
 *   --resume       continue from checkpoints/pretrain/latest
 *   --max-minutes  stop cleanly (with a checkpoint) after this long
 *   --ship         only write public/weights/base from the latest checkpoint
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PRESETS, parameterCount, type ModelConfig } from '@/lib/a3/config';
import { disposeModel, initModel, type A3Model } from '@/lib/a3/model';
import { saveModelToDir } from '@/lib/a3/weights-node';
import { evalWindows, randomWindows, stepSeed } from '@/lib/train/batches';
import { arNll } from '@/lib/train/evaluate';
import { trainLoss, type TrainBatch } from '@/lib/train/losses';
import { Trainer, type TrainerState } from '@/lib/train/trainer';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint } from './lib/checkpoints';
import { loadTokenizer, ROOT, sha256, tokenizeSplit } from './lib/data';
import { writeGuard } from './guard-slice';
import { useNodeBackend } from './lib/node-backend';
import { parseArgs, progressPrinter } from './lib/progress';
import { parseWorkers, trainingWorkers } from './lib/workers';

const args = parseArgs(process.argv.slice(2));
const SEED = Number(args.get('seed') ?? 1234);
const STEPS = Number(args.get('steps') ?? 1800);
const BATCH = Number(args.get('batch') ?? 16);
const PEAK_LR = Number(args.get('lr') ?? 3e-3);
const EVAL_WINDOWS = 64;
const CKPT_DIR = join(ROOT, args.get('checkpoints') ?? 'checkpoints/pretrain');
const OUT_DIR = join(ROOT, args.get('out') ?? 'public/weights/base');
const WORKERS = parseWorkers(args.get('workers'));

async function main(): Promise<void> {
  const backend = await useNodeBackend('wasm');
  const tokenizer = loadTokenizer();
  const train = tokenizeSplit('train', tokenizer);
  const val = tokenizeSplit('val', tokenizer);
  const config: ModelConfig = { ...PRESETS.base, vocabSize: tokenizer.vocabSize };
  const length = config.maxLen;
  const valWindows = evalWindows(val.tokens, EVAL_WINDOWS, length);
  const bytesPerToken = val.bytes / val.tokens.length;
  const dataHash = sha256(train.textHash + sha256(JSON.stringify(tokenizer.toJSON())));
  console.log(`backend ${backend}; train ${train.tokens.length} tokens, val ${val.tokens.length}; ${parameterCount(config)} parameters`);

  let model: A3Model;
  let resume: TrainerState | undefined;
  const latest = latestCheckpoint(CKPT_DIR);
  if ((args.has('resume') || args.has('ship')) && latest) {
    ({ model, state: resume } = await loadCheckpoint(latest));
    console.log(`resuming from ${latest} (step ${resume.step})`);
  } else {
    if (args.has('ship')) throw new Error(`no checkpoint in ${CKPT_DIR} to ship`);
    model = initModel(config, SEED);
  }

  const workers = trainingWorkers(WORKERS, backend);
  console.log(`${WORKERS} training worker${WORKERS === 1 ? ' (this thread)' : 's'}, micro-batches of ~${BATCH / WORKERS} of ${BATCH}`);
  let stopRequested = false;
  const deadline = args.has('max-minutes') ? Date.now() + Number(args.get('max-minutes')) * 60_000 : Infinity;
  const trainer = new Trainer(
    {
      model,
      stage: 'pretrain',
      steps: args.has('ship') ? resume!.step : STEPS,
      schedule: { peak: PEAK_LR, warmup: 100, total: STEPS, minRatio: 0.1 },
      optimizer: { weightDecay: 0.05 },
      tokensPerStep: BATCH * length,
      batchAt: (step): TrainBatch => ({ kind: 'ar', ...randomWindows(train.tokens, BATCH, length, stepSeed(SEED, step)) }),
      loss: trainLoss,
      gradients: workers.source,
      evaluate: async (m) => {
        const valLoss = await arNll(m, valWindows);
        return { valLoss, valBitsPerByte: valLoss / Math.LN2 / bytesPerToken };
      },
      evalEvery: 100,
      checkpoint: (state) => saveCheckpoint(CKPT_DIR, model, state).then(() => undefined),
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
  const done = await trainer.run().finally(() => workers.close());
  if (done.reason !== 'finished') {
    console.log(`not shipping: run ${done.reason} at step ${done.step}; rerun with --resume`);
    return;
  }
  const history = trainer.history;
  const tail = history.slice(-50);
  const finalTrainLoss = tail.reduce((s, h) => s + h.loss, 0) / Math.max(1, tail.length);
  const valLoss = await arNll(model, valWindows);
  const training = {
    stage: 'pretrain (left-to-right AR, content stream only; w untouched)',
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
    valBitsPerByte: valLoss / Math.LN2 / bytesPerToken,
    valBytesPerToken: bytesPerToken,
    valEval: { windows: valWindows.length, length, note: 'consecutive non-overlapping windows spread over the val split (evalWindows)' },
    evals: trainer.evals,
    machine: '2-core CPU, Node 20, tfjs wasm backend (1 thread)',
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

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
