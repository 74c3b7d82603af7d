/**
 * `npm run adapt -- [--variant V] [--steps-per-stage N] [--max-tokens N] [--max-minutes M] [--resume]
 *                  [--init base|fresh] [--max-len L] [--infill-p P] [--ar-warmup N] [--gap-windows N] [--out DIR]`
 * Adapts public/weights/base (variants: scripts/lib/adapt-plan.ts):
 *   a3              the progressive curriculum (stages 1, 2a, 2b, 3a, 3b) -> public/weights/a3
 *   ablation        stage 3 only, same total budget -> results only
 *   mdlm            the masked-diffusion baseline, same token budget -> public/weights/mdlm
 *   a3-infill       the paper stages, 3a/3b mixed with span infilling (p = --infill-p, 0.5), same budget
 *   a3-then-infill  the paper stages, then one span-infill stage (one stage more)
 *   joint           AR + A3 loss on every batch through the a3-infill stages (--init fresh
 *                   starts from scratch; --ar-warmup N first runs N steps of AR alone)
 *   a3-rehearsal    one stage of random s=8 with left-to-right batches at p (--l2r-p, 0.5) and
 *                   span-infill batches at --rehearsal-infill-p (0), continuing an adapted A3
 *                   model (--base public/weights/a3)
 * The candidates (a3-infill, a3-then-infill, joint, a3-rehearsal) go to checkpoints/adapt-<variant>/final.
 * --max-tokens scales every stage so the whole run sees that many tokens
 * (equal-token comparisons); --max-minutes stops at that wall time with a
 * checkpoint (--resume continues) and records the figures at the stop.
 * --max-len adapts at another context (RoPE tables rebuilt). Every stage is
 * evaluated on fixed validation windows under fixed groupings, span infilling,
 * the content stream's AR NLL and gap NLL on held-out story middles;
 * results go to results/adapt-<variant>.json. Resumable after a kill.
 * --workers: data-parallel worker threads sharing each batch (default: one per core).
 * --run NAME: a long run in runs/NAME (flags, checkpoints, results; committed between
 * sessions); `--resume runs/NAME` continues it with the flags it started with.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { corrupt } from '@/lib/a3/mdlm';
import { disposeModel, type A3Model } from '@/lib/a3/model';
import { loadModel } from '@/lib/a3/weights';
import { fileSource, saveModelToDir } from '@/lib/a3/weights-node';
import { randomWindows, sentenceEndIds, sentenceStarts, stepSeed } from '@/lib/train/batches';
import { stageBatchGrouping, stageGroupingLabel, type Curriculum, type Stage } from '@/lib/train/curriculum';
import { stageBatch, trainLoss, type TrainBatch } from '@/lib/train/losses';
import { Trainer, type TrainerState } from '@/lib/train/trainer';
import { storyGapProblem } from '@/lib/eval/gap-nll';
import type { StoryWindow } from '@/lib/eval/story-infill';
import { defaultOut, evalWindowSets, fittingProblems, freshModel, initRecord, parseVariant, stageMetrics, variantCurriculum, withContext } from './lib/adapt-plan';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint } from './lib/checkpoints';
import { loadTokenizer, ROOT, tokenizeSplit } from './lib/data';
import { writeGuard } from './guard-slice';
import { explainFailure, useNodeBackend } from './lib/node-backend';
import { parseArgs, progressPrinter } from './lib/progress';
import { runFlags } from './lib/run-folder';
import { parseWorkers, trainingWorkers, type TrainingWorkers } from './lib/workers';

const { args, folder } = runFlags('adapt', parseArgs(process.argv.slice(2)));
const VARIANT = parseVariant(args.get('variant'));
const STEPS_PER_STAGE = Number(args.get('steps-per-stage') ?? 150);
const BATCH = Number(args.get('batch') ?? 16);
const LR = Number(args.get('lr') ?? 1e-3);
const SEED = Number(args.get('seed') ?? 4321);
const EVAL_COUNT = Number(args.get('eval-windows') ?? 32);
const CKPT_DIR = resolve(ROOT, args.get('checkpoints') ?? `checkpoints/adapt-${VARIANT}`);
const RESULTS = resolve(ROOT, args.get('results') ?? `results/adapt-${VARIANT}.json`);
const BASE_DIR = resolve(ROOT, args.get('base') ?? 'public/weights/base');
const OUT_DIR = args.get('out') ?? defaultOut(VARIANT);
const MAX_TOKENS = args.has('max-tokens') ? Number(args.get('max-tokens')) : undefined;
/** Training wall time of the whole run, all stages and resumes together (evaluation not counted). */
const MAX_MINUTES = args.has('max-minutes') ? Number(args.get('max-minutes')) : Infinity;
const INIT = args.get('init') ?? 'base';
if (INIT !== 'base' && INIT !== 'fresh') throw new Error(`--init ${INIT}: use base or fresh`);
/** Training wall time of the whole run (finished stages + the current one, across resumes) against --max-minutes. */
/** In a run folder (--run/--resume runs/NAME) --max-minutes is this session's share: `sessionBaseSec` is what was trained before it. */
const budget = {
  priorSec: 0,
  currentSec: 0,
  sessionBaseSec: 0,
  trainedSec: () => budget.priorSec + budget.currentSec,
  spent: () => budget.trainedSec() - budget.sessionBaseSec >= MAX_MINUTES * 60,
};
let contextLength = 0;
/** Where training is (for the run folder's segment record). */
const position = { stage: '', step: 0 };
const WORKERS = parseWorkers(args.get('workers'));

function plan(length: number): Curriculum {
  const infillP = Number(args.get('infill-p') ?? 0.5);
  const arWarmup = Number(args.get('ar-warmup') ?? 0);
  const l2rP = Number(args.get('l2r-p') ?? 0.5);
  const rehearsalInfillP = Number(args.get('rehearsal-infill-p') ?? 0);
  return variantCurriculum(VARIANT, { stepsPerStage: STEPS_PER_STAGE, lr: LR, infillP, arWarmup, l2rP, rehearsalInfillP, maxTokens: MAX_TOKENS, tokensPerStep: BATCH * length });
}

function heldOutStories(tokenizer: ReturnType<typeof loadTokenizer>) {
  const windows: StoryWindow[] = readFileSync(join(ROOT, 'data', 'heldout-stories.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
  return windows.map((w) => storyGapProblem(w, tokenizer));
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
  const prior = existsSync(RESULTS) && args.has('resume') ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as { stages: StageResult[] }).stages : [];
  const results: StageResult[] = [...prior];
  budget.priorSec = results.reduce((n, r) => n + r.wallTimeSec, 0);

  let model: A3Model;
  let resume: TrainerState | undefined;
  const latest = args.has('resume') ? latestCheckpoint(CKPT_DIR) : null;
  if (latest) {
    ({ model, state: resume } = await loadCheckpoint(latest));
    console.log(`resuming from ${latest} (${resume.stage}, step ${resume.step})`);
  } else if (INIT === 'fresh') {
    model = freshModel(tokenizer.vocabSize, Number(args.get('max-len') ?? 128), SEED);
  } else {
    ({ model } = await loadModel(fileSource(BASE_DIR)));
    if (args.has('max-len')) model = withContext(model, Number(args.get('max-len')));
  }
  const length = model.config.maxLen;
  contextLength = length;
  const curriculum = plan(length);
  const gapWindows = args.has('gap-windows') ? Number(args.get('gap-windows')) : undefined;
  const evalInputs = { variant: VARIANT, windowsByLength: evalWindowSets(val.tokens, EVAL_COUNT, length), gapProblems: fittingProblems(heldOutStories(tokenizer), length, gapWindows) };
  const evaluate = (m: A3Model): Promise<Record<string, number>> => stageMetrics(m, evalInputs);

  if (results.length === 0 && !latest) {
    const start = await evaluate(model);
    console.log('before adaptation:', start);
    results.push({ stage: INIT === 'fresh' ? 'fresh init' : 'base (before adaptation)', steps: 0, tokens: 0, wallTimeSec: 0, finalTrainLoss: NaN, val: start });
  }
  console.log(`${curriculum.name} on ${backend}: ${curriculum.stages.map((s) => `${s.name} x${s.steps} [${s.objective ?? 'a3'}: ${stageGroupingLabel(s)}]`).join(', ')}`);
  const ends = sentenceEndIds(tokenizer.vocabSize, (id) => tokenizer.decode([id]));

  // One pool for every stage; a failure exits the process (main's catch), which ends the threads too.
  const workers = trainingWorkers(WORKERS, backend);
  console.log(`${WORKERS} training worker${WORKERS === 1 ? ' (this thread)' : 's'} per batch of ${BATCH}`);
  if (folder) {
    budget.sessionBaseSec = budget.priorSec + (resume?.elapsedSec ?? 0);
    folder.begin(resume?.step ?? 0, WORKERS, resume?.stage ?? curriculum.stages[0]?.name);
    process.on('exit', () => folder.end(position.step, budget.trainedSec() - budget.sessionBaseSec, position.stage));
  }
  for (const [index, stage] of curriculum.stages.entries()) {
    if (results.some((r) => r.stage === stage.name)) continue; // finished before a restart
    const stageResume = resume?.stage === stage.name ? resume : undefined;
    const result = await runStage(model, stage, index, curriculum, train.tokens, evaluate, stageResume, ends, workers);
    if (!result) {
      // Stopped (a signal or --max-minutes): the checkpoint is saved; record where and what it measures.
      if (budget.spent()) writeResults(curriculum, results, backend, { stage: stage.name, minutes: MAX_MINUTES, val: await evaluate(model) });
      return workers.close(); // rerun with --resume
    }
    results.push(result);
    budget.priorSec += result.wallTimeSec;
    budget.currentSec = 0;
    writeResults(curriculum, results, backend);
  }
  await workers.close();
  folder?.end(position.step, budget.trainedSec() - budget.sessionBaseSec, position.stage); // before the record is written
  writeResults(curriculum, results, backend);
  if (OUT_DIR) {
    const out = resolve(ROOT, OUT_DIR);
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
  evaluate: (m: A3Model) => Promise<Record<string, number>>,
  resume: TrainerState | undefined,
  sentenceEnds: Set<number>,
  workers: TrainingWorkers,
): Promise<StageResult | null> {
  const length = model.config.maxLen;
  Object.assign(position, { stage: stage.name, step: resume?.step ?? 0 });
  const seed = SEED + 7919 * (index + 1);
  const printProgress = progressPrinter(10);
  const batchAt = (step: number): TrainBatch => {
    const b = randomWindows(trainTokens, BATCH, length, stepSeed(seed, step));
    if (VARIANT === 'mdlm') return { kind: 'mdlm', ...b, corruption: corrupt(b.tokens, b.batch, stepSeed(seed + 2, step)) };
    const starts = (row: number) => sentenceStarts(b.tokens.subarray(row * length, (row + 1) * length), sentenceEnds);
    return stageBatch(stage.objective, b, stageBatchGrouping(stage, BATCH, length, curriculum.groupingPer, stepSeed(seed + 1, step), starts));
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
      shouldStop: budget.spent,
      checkpoint: (state) => saveCheckpoint(CKPT_DIR, model, state, {}, folder ? 1 : undefined).then(() => undefined),
      checkpointEvery: 50,
      onEvent: (e) => {
        if (e.type === 'step') {
          budget.currentSec = e.elapsedSec;
          Object.assign(position, { stage: stage.name, step: e.step });
        }
        printProgress(e);
      },
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
  const val = await evaluate(model);
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

/** Where a --max-minutes run stopped and the figures of the weights at that point. */
interface StoppedAt {
  stage: string;
  minutes: number;
  val: Record<string, number>;
}

function summary(curriculum: Curriculum, stages: StageResult[], backend: string, stoppedAt?: StoppedAt) {
  const totalTokens = stages.reduce((s, r) => s + r.tokens, 0);
  return {
    variant: VARIANT,
    command: ['npm run adapt', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    init: INIT === 'fresh' ? 'fresh init' : relative(ROOT, BASE_DIR),
    maxLen: contextLength,
    ...(MAX_TOKENS !== undefined ? { maxTokens: MAX_TOKENS } : {}),
    ...(stoppedAt ? { stoppedAt } : {}),
    curriculum,
    backend,
    batch: BATCH,
    workers: WORKERS,
    seed: SEED,
    evalWindows: EVAL_COUNT,
    units: 'nats/token on validation windows; A3 figures are exact NLL under the grouping, the diffusion figure is an upper bound (ELBO)',
    totalTokens,
    totalWallTimeSec: stages.reduce((s, r) => s + r.wallTimeSec, 0),
    stages,
    ...(folder ? { segments: folder.segments() } : {}),
    ...initRecord(INIT === 'fresh' ? null : BASE_DIR, totalTokens),
  };
}

function writeResults(curriculum: Curriculum, stages: StageResult[], backend: string, stoppedAt?: StoppedAt): void {
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, JSON.stringify(summary(curriculum, stages, backend, stoppedAt), null, 2));
}

main().catch((e) => {
  console.error(explainFailure(e));
  process.exit(1);
});
