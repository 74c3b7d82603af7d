/**
 * Fine-tuning on a user's text, shared by the browser worker and tests:
 * tokenise, hold out the tail for validation, and run a curriculum's stages
 * one after another through the one Trainer.
 */
import type { A3Model } from '../a3/model';
import { SPECIAL_TOKENS, type Tokenizer } from '../a3/tokenizer';
import { evalWindows, randomWindows, stepSeed } from './batches';
import { stageBatchGrouping, validateCurriculum, type Curriculum } from './curriculum';
import { a3Nll } from './evaluate';
import { stageBatch, trainLoss, type TrainBatch } from './losses';
import { textProblem } from './text-checks';
import { Trainer, type GradientSource, type TrainEvent, type TrainerState } from './trainer';

export interface FinetuneData {
  train: Int32Array;
  val: Int32Array;
  length: number;
}

export function prepareData(text: string, tokenizer: Tokenizer, maxLen: number, valFraction = 0.1): FinetuneData {
  const problem = textProblem(text);
  if (problem) throw new Error(problem);
  const ids = tokenizer.encode(text);
  ids.push(SPECIAL_TOKENS.eos);
  const tokens = Int32Array.from(ids);
  // Short texts train on shorter windows rather than being refused.
  const length = Math.min(maxLen, Math.max(8, Math.floor(tokens.length / 4)));
  if (tokens.length < 2 * length || tokens.length < 16) {
    throw new Error(`the text is too short to train on (${tokens.length} tokens): give at least a few paragraphs`);
  }
  // Validation is the last `valFraction` of the text, or its last window when that is shorter; training
  // stops where validation starts, so validation is never trained on (what the fine-tune cell tells users).
  // tokens.length >= 2 * length, so both splits hold at least one window.
  const valStart = Math.min(Math.max(length, Math.floor(tokens.length * (1 - valFraction))), tokens.length - length);
  return { train: tokens.slice(0, valStart), val: tokens.slice(valStart), length };
}

export interface FinetuneOptions {
  model: A3Model;
  data: FinetuneData;
  plan: Curriculum;
  batch: number;
  seed: number;
  evalEvery: number;
  checkpointEvery: number;
  onEvent(e: TrainEvent): void;
  checkpoint(state: TrainerState): Promise<void>;
  shouldStop(): boolean;
  betweenSteps(): Promise<void>;
  /** Data-parallel workers (parallel.ts) instead of this thread; the caller closes them. */
  gradients?: GradientSource<TrainBatch>;
}

/** One Trainer per stage; the caller resumes a stage by passing its state. */
export function stageTrainer(o: FinetuneOptions, stageIndex: number, resume?: TrainerState): Trainer<TrainBatch> {
  const plan = validateCurriculum(o.plan);
  const stage = plan.stages[stageIndex];
  const { length } = o.data;
  const seed = o.seed + 7919 * (stageIndex + 1);
  const windows = evalWindows(o.data.val, 8, length);
  return new Trainer(
    {
      model: o.model,
      stage: stage.name,
      stageIndex,
      steps: stage.steps,
      schedule: { peak: stage.lr, warmup: stage.warmup, total: stage.steps, minRatio: 0.1 },
      tokensPerStep: o.batch * length,
      batchAt: (step) => {
        const b = randomWindows(o.data.train, o.batch, length, stepSeed(seed, step));
        return stageBatch(stage.objective, b, stageBatchGrouping(stage, o.batch, length, plan.groupingPer, stepSeed(seed + 1, step)));
      },
      loss: trainLoss,
      ...(o.gradients ? { gradients: o.gradients } : {}),
      evaluate: async (m) => ({ valLoss: await a3Nll(m, windows, stage.grouping) }),
      evalEvery: o.evalEvery,
      checkpoint: o.checkpoint,
      checkpointEvery: o.checkpointEvery,
      onEvent: o.onEvent,
      shouldStop: o.shouldStop,
      betweenSteps: o.betweenSteps,
    },
    resume,
  );
}
