/**
 * `npx tsx scripts/sweep-size.ts --name NAME --d 128 --layers 4 [--heads 4 --ffn 384 --len 256 --minutes 8]`
 * `npx tsx scripts/sweep-size.ts --summary`
 *
 * The model-size sweep at fixed wall time (issue 13): one left-to-right run of
 * one config per process, for a fixed wall-clock budget, on the training split,
 * evaluated on the fixed validation windows of 128 and of 256 tokens.
 *
 * A cosine schedule needs its length up front, so each run first times a few
 * steps, fixes its step count from that (`steps = budget × steps/s`) and then
 * trains deterministically for exactly those steps. Runs meant to be compared
 * are started side by side (one per core) so that they share whatever else the
 * machine is doing; the measured tokens/s goes into the result with the losses.
 * Results: results/size-sweep/<name>.json; `--summary` prints the table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parameterCount, PRESETS, validateConfig, type ModelConfig } from '@/lib/a3/config';
import { arLoss } from '@/lib/a3/likelihood';
import { disposeModel, initModel } from '@/lib/a3/model';
import { evalWindows, randomWindows, stepSeed } from '@/lib/train/batches';
import { arNll } from '@/lib/train/evaluate';
import { Trainer } from '@/lib/train/trainer';
import { loadTokenizer, tokenizeSplit } from './lib/data';
import { useNodeBackend } from './lib/node-backend';
import { parseArgs, progressPrinter } from './lib/progress';
import { loadSweep, SWEEP_DIR as OUT_DIR, sweepTable, type SweepResult } from './lib/size-sweep';

const CALIBRATION_STEPS = 3;


function configFrom(args: Map<string, string>, vocabSize: number): ModelConfig {
  const num = (key: string, fallback: number) => Number(args.get(key) ?? fallback);
  return validateConfig({
    ...PRESETS.base,
    vocabSize,
    dModel: num('d', PRESETS.base.dModel),
    nLayers: num('layers', PRESETS.base.nLayers),
    nHeads: num('heads', PRESETS.base.nHeads),
    ffnDim: num('ffn', 3 * num('d', PRESETS.base.dModel)),
    maxLen: num('len', 256),
  });
}

async function run(args: Map<string, string>): Promise<void> {
  const name = args.get('name');
  if (!name) throw new Error('--name is required');
  const backend = await useNodeBackend('wasm');
  const tokenizer = loadTokenizer();
  const train = tokenizeSplit('train', tokenizer);
  const val = tokenizeSplit('val', tokenizer);
  const config = configFrom(args, tokenizer.vocabSize);
  const batch = Number(args.get('batch') ?? 16);
  const budgetSec = Number(args.get('minutes') ?? 8) * 60;
  const peakLr = Number(args.get('lr') ?? 3e-3);
  const seed = Number(args.get('seed') ?? 1234);
  const length = config.maxLen;
  const val128 = evalWindows(val.tokens, 64, 128);
  const val256 = evalWindows(val.tokens, 32, 256);
  const batchAt = (step: number) => randomWindows(train.tokens, batch, length, stepSeed(seed, step));
  console.log(`${name} on ${backend}: ${JSON.stringify(config)}, ${parameterCount(config)} parameters`);

  // Calibration on a throwaway replica: the real run starts from the same seed regardless.
  const probe = initModel(config, seed);
  let firstStepAt = 0;
  let lastStepAt = 0;
  const calibration = new Trainer({
    model: probe,
    stage: 'calibrate',
    steps: CALIBRATION_STEPS + 1,
    schedule: { peak: peakLr, warmup: 1, total: 10, minRatio: 0.1 },
    tokensPerStep: batch * length,
    batchAt,
    loss: arLoss,
    onEvent: (e) => {
      if (e.type !== 'step') return;
      if (e.step === 1) firstStepAt = performance.now(); // the first step warms kernels up: not timed
      lastStepAt = performance.now();
    },
  });
  await calibration.run();
  calibration.dispose();
  disposeModel(probe);
  const secPerStep = (lastStepAt - firstStepAt) / 1000 / CALIBRATION_STEPS;
  const steps = Math.max(20, Math.round(budgetSec / secPerStep));
  console.log(`calibrated ${secPerStep.toFixed(2)} s/step -> ${steps} steps for ${budgetSec} s`);

  const model = initModel(config, seed);
  const evals: SweepResult['evals'] = [];
  let evalSec = 0; // validation time is not training time: kept out of tokens/s
  const trainer = new Trainer({
    model,
    stage: name,
    steps,
    schedule: { peak: peakLr, warmup: Math.min(100, Math.floor(steps / 10)), total: steps, minRatio: 0.1 },
    optimizer: { weightDecay: 0.05 },
    tokensPerStep: batch * length,
    batchAt,
    loss: arLoss,
    evaluate: async (m) => {
      const started = performance.now();
      const metrics = { val128: await arNll(m, val128), val256: await arNll(m, val256) };
      evalSec += (performance.now() - started) / 1000;
      return metrics;
    },
    evalEvery: Math.max(1, Math.floor(steps / 5)),
    onEvent: (e) => {
      progressPrinter(20)(e);
      if (e.type === 'eval') evals.push({ step: e.step, tokens: e.step * batch * length, val128: e.metrics.val128, val256: e.metrics.val256 });
    },
  });
  await trainer.run();
  const result: SweepResult = {
    name,
    config,
    parameters: parameterCount(config),
    budgetSec,
    steps,
    batch,
    length,
    tokens: steps * batch * length,
    wallTimeSec: Math.round(trainer.elapsedSec - evalSec),
    tokensPerSec: (steps * batch * length) / (trainer.elapsedSec - evalSec),
    peakLr,
    evals,
  };
  trainer.dispose();
  disposeModel(model);
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, `${name}.json`), JSON.stringify(result, null, 2));
  console.log(`wrote results/size-sweep/${name}.json`);
}

const args = parseArgs(process.argv.slice(2));
if (args.has('summary')) {
  console.log(sweepTable(loadSweep()).join('\n'));
} else {
  run(args).catch((e) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(1);
  });
}
