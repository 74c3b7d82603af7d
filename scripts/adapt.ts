/**
 * `npm run adapt -- [--variant a3|ablation|mdlm] [--steps-per-stage N] [--resume] [--workers N]`
 * Adapts public/weights/base:
 *   a3        the progressive curriculum (stages 1, 2a, 2b, 3a, 3b) -> public/weights/a3
 *   ablation  stage 3 only, same total budget -> results only
 *   mdlm      the masked-diffusion baseline, same token budget -> public/weights/mdlm
 * Every stage is evaluated on fixed validation windows under fixed groupings;
 * results go to results/adapt-<variant>.json. Resumable after a kill.
 * --workers: data-parallel worker threads sharing each batch (default: one per core).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { corrupt } from '@/lib/a3/mdlm';
import { disposeModel, type A3Model } from '@/lib/a3/model';
import { loadModel } from '@/lib/a3/weights';
import { fileSource, saveModelToDir } from '@/lib/a3/weights-node';
import { evalWindows, randomWindows, stepSeed } from '@/lib/train/batches';
import { batchGroupIds, defaultCurriculum, EVAL_GROUPINGS, stage3OnlyCurriculum, type Curriculum, type Stage } from '@/lib/train/curriculum';
import { a3NllTable, arNll, mdlmBound } from '@/lib/train/evaluate';
import { trainLoss, type TrainBatch } from '@/lib/train/losses';
import { Trainer, type TrainerState } from '@/lib/train/trainer';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint } from './lib/checkpoints';
import { loadTokenizer, ROOT, tokenizeSplit } from './lib/data';
import { writeGuard } from './guard-slice';
import { useNodeBackend } from './lib/node-backend';
import { parseArgs, progressPrinter } from './lib/progress';
import { parseWorkers, trainingWorkers, type TrainingWorkers } from './lib/workers';

type Variant = 'a3' | 'ablation' | 'mdlm';
const args = parseArgs(process.argv.slice(2));
const VARIANT = (args.get('variant') ?? 'a3') as Variant;
if (!['a3', 'ablation', 'mdlm'].includes(VARIANT)) throw new Error(`unknown variant ${VARIANT}: use a3, ablation or mdlm`);
const STEPS_PER_STAGE = Number(args.get('steps-per-stage') ?? 150);
const BATCH = Number(args.get('batch') ?? 16);
const LR = Number(args.get('lr') ?? 1e-3);
const SEED = Number(args.get('seed') ?? 4321);
const EVAL_COUNT = Number(args.get('eval-windows') ?? 32);
const CKPT_DIR = join(ROOT, args.get('checkpoints') ?? `checkpoints/adapt-${VARIANT}`);
const RESULTS = join(ROOT, args.get('results') ?? `results/adapt-${VARIANT}.json`);
const BASE_DIR = join(ROOT, args.get('base') ?? 'public/weights/base');
const OUT_DIR = args.get('out') ?? { a3: 'public/weights/a3', ablation: null, mdlm: 'public/weights/mdlm' }[VARIANT];
const WORKERS = parseWorkers(args.get('workers'));

function plan(): Curriculum {
  const a3 = defaultCurriculum(STEPS_PER_STAGE, LR);
  const total = a3.stages.reduce((s, st) => s + st.steps, 0);
  if (VARIANT === 'a3') return a3;
  if (VARIANT === 'ablation') return stage3OnlyCurriculum(total, LR);
  // Diffusion: one stage, the same token budget; its grouping field is unused.
  return { name: 'MDLM baseline', groupingPer: 'batch', stages: [{ name: 'mdlm', steps: total, lr: LR, warmup: 50, grouping: { kind: 'left-to-right' } }] };
}

interface StageResult {
  stage: string;
  steps: number;
  tokens: number;
  wallTimeSec: number;
  finalTrainLoss: number;
  val: Record<string, number>;
}

async function main(): Promise<void> {
  const backend = await useNodeBackend('wasm');
  const tokenizer = loadTokenizer();
  const train = tokenizeSplit('train', tokenizer);
  const val = tokenizeSplit('val', tokenizer);
  const curriculum = plan();
  const prior = existsSync(RESULTS) && args.has('resume') ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as { stages: StageResult[] }).stages : [];
  const results: StageResult[] = [...prior];

  let model: A3Model;
  let resume: TrainerState | undefined;
  const latest = args.has('resume') ? latestCheckpoint(CKPT_DIR) : null;
  if (latest) {
    ({ model, state: resume } = await loadCheckpoint(latest));
    console.log(`resuming from ${latest} (${resume.stage}, step ${resume.step})`);
  } else {
    ({ model } = await loadModel(fileSource(BASE_DIR)));
  }
  const length = model.config.maxLen;
  const windows = evalWindows(val.tokens, EVAL_COUNT, length);
  const evaluate = (m: A3Model): Record<string, number> =>
    VARIANT === 'mdlm' ? { 'diffusion bound': mdlmBound(m, windows) } : a3NllTable(m, windows, EVAL_GROUPINGS);

  if (results.length === 0 && !latest) {
    const start = { ...(VARIANT === 'mdlm' ? { 'diffusion bound': mdlmBound(model, windows) } : a3NllTable(model, windows, EVAL_GROUPINGS)), 'AR (content stream)': arNll(model, windows) };
    console.log('before adaptation:', start);
    results.push({ stage: 'base (before adaptation)', steps: 0, tokens: 0, wallTimeSec: 0, finalTrainLoss: NaN, val: start });
  }
  console.log(`${curriculum.name} on ${backend}: ${curriculum.stages.map((s) => `${s.name} x${s.steps}`).join(', ')}`);

  // One pool for every stage; a failure exits the process (main's catch), which ends the threads too.
  const workers = trainingWorkers(WORKERS, backend);
  console.log(`${WORKERS} training worker${WORKERS === 1 ? ' (this thread)' : 's'} per batch of ${BATCH}`);
  for (const [index, stage] of curriculum.stages.entries()) {
    if (results.some((r) => r.stage === stage.name)) continue; // finished before a restart
    const stageResume = resume?.stage === stage.name ? resume : undefined;
    const result = await runStage(model, stage, index, curriculum, train.tokens, evaluate, stageResume, workers);
    if (!result) return workers.close(); // stopped: rerun with --resume
    results.push(result);
    writeResults(curriculum, results, backend);
  }
  await workers.close();
  writeResults(curriculum, results, backend);
  if (OUT_DIR) {
    const out = join(ROOT, OUT_DIR);
    await saveModelToDir(model, out, { training: 'training.json' });
    writeFileSync(join(out, 'config.json'), JSON.stringify(model.config, null, 2));
    writeFileSync(join(out, 'training.json'), JSON.stringify(summary(curriculum, results, backend), null, 2));
    await writeGuard(out, VARIANT === 'mdlm' ? 'mdlm' : 'a3');
    console.log(`shipped ${out}`);
  }
  disposeModel(model);
}

async function runStage(
  model: A3Model,
  stage: Stage,
  index: number,
  curriculum: Curriculum,
  trainTokens: Int32Array,
  evaluate: (m: A3Model) => Record<string, number>,
  resume: TrainerState | undefined,
  workers: TrainingWorkers,
): Promise<StageResult | null> {
  const length = model.config.maxLen;
  const seed = SEED + 7919 * (index + 1);
  const batchAt = (step: number): TrainBatch => {
    const b = randomWindows(trainTokens, BATCH, length, stepSeed(seed, step));
    if (VARIANT === 'mdlm') return { kind: 'mdlm', ...b, corruption: corrupt(b.tokens, b.batch, stepSeed(seed + 2, step)) };
    return { kind: 'a3', ...b, groupIds: batchGroupIds(stage.grouping, BATCH, length, curriculum.groupingPer, stepSeed(seed + 1, step)) };
  };
  const trainer = new Trainer(
    {
      model,
      stage: stage.name,
      steps: stage.steps,
      schedule: { peak: stage.lr, warmup: stage.warmup, total: stage.steps, minRatio: 0.1 },
      optimizer: { weightDecay: 0.01 },
      tokensPerStep: BATCH * length,
      batchAt,
      loss: trainLoss,
      gradients: workers.source,
      checkpoint: (state) => saveCheckpoint(CKPT_DIR, model, state).then(() => undefined),
      checkpointEvery: 50,
      onEvent: progressPrinter(10),
    },
    resume,
  );
  const done = await trainer.run();
  trainer.dispose();
  if (done.reason !== 'finished') {
    console.log(`stage ${stage.name} ${done.reason} at step ${done.step}`);
    return null;
  }
  const tail = trainer.history.slice(-25);
  const val = evaluate(model);
  console.log(`after ${stage.name}:`, val);
  return {
    stage: stage.name,
    steps: stage.steps,
    tokens: stage.steps * BATCH * length,
    wallTimeSec: Math.round(trainer.elapsedSec),
    finalTrainLoss: tail.reduce((s, h) => s + h.loss, 0) / Math.max(1, tail.length),
    val,
  };
}

function summary(curriculum: Curriculum, stages: StageResult[], backend: string) {
  return {
    variant: VARIANT,
    curriculum,
    backend,
    batch: BATCH,
    workers: WORKERS,
    seed: SEED,
    evalWindows: EVAL_COUNT,
    units: 'nats/token on validation windows; A3 figures are exact NLL under the grouping, the diffusion figure is an upper bound (ELBO)',
    totalTokens: stages.reduce((s, r) => s + r.tokens, 0),
    totalWallTimeSec: stages.reduce((s, r) => s + r.wallTimeSec, 0),
    stages,
  };
}

function writeResults(curriculum: Curriculum, stages: StageResult[], backend: string): void {
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, JSON.stringify(summary(curriculum, stages, backend), null, 2));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
