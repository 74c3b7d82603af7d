/**
 * The per-item scoring of `npm run eval`, the same in this thread and in the
 * worker threads of `--workers N` (eval-workers.ts): the models it loads, and
 * the tasks — the gap NLL of one gap problem, the option totals of one
 * multiple-choice question under one scorer, one story infilled by one
 * decoder. Each task computes its result from the item alone (the item
 * carries its seed), so a result is the same wherever the item is scored, and
 * the sections combine the results in item order on the coordinator.
 */
import type { A3Model } from '@/lib/a3/model';
import type { Tokenizer } from '@/lib/a3/tokenizer';
import { loadModel } from '@/lib/a3/weights';
import { fileSource } from '@/lib/a3/weights-node';
import { gapLogProbs, type GapProblem, type GapScorerId } from '@/lib/eval/gap-nll';
import { a3OptionLogProbs, arOptionLogProbs, mdlmOptionElbos } from '@/lib/eval/multiple-choice';
import { infillStory, INFILL_DECODERS, type InfillResult, type StoryWindow } from '@/lib/eval/story-infill';

export type ModelName = 'base' | 'a3' | 'mdlm';

/** The models of a run; a3 or mdlm may be missing (their rows are skipped) or be the base model (--stand-in). */
export interface EvalModels {
  base: A3Model;
  a3?: A3Model;
  mdlm?: A3Model;
}

/** Where a model's weights are: a folder (absolute), the base model's (--stand-in), or nowhere. */
export type ModelSource = { dir: string } | 'stand-in' | null;

export type ModelSources = { base: { dir: string } } & Record<'a3' | 'mdlm', ModelSource>;

export async function loadEvalModels(sources: ModelSources): Promise<EvalModels> {
  const base = (await loadModel(fileSource(sources.base.dir))).model;
  const other = async (source: ModelSource) => (source === null ? undefined : source === 'stand-in' ? base : (await loadModel(fileSource(source.dir))).model);
  return { base, a3: await other(sources.a3), mdlm: await other(sources.mdlm) };
}

export interface ScoringContext {
  models: EvalModels;
  tokenizer: Tokenizer;
}

export const ELBO_RATIOS = 4;

/** Every multiple-choice task is scored by these, on the same questions for every model. `seed`: the MDLM masks'. */
export const CHOICE_SCORERS: { name: string; model: ModelName; score: (m: A3Model, context: number[], options: number[][], seed: number) => number[] }[] = [
  { name: 'base AR (content stream)', model: 'base', score: (m, c, o) => arOptionLogProbs(m, c, o) },
  { name: 'A3 left-to-right singletons', model: 'a3', score: (m, c, o) => a3OptionLogProbs(m, c, o, 'left-to-right') },
  { name: 'A3 option as one group', model: 'a3', score: (m, c, o) => a3OptionLogProbs(m, c, o, 'one-group') },
  { name: `MDLM ELBO (${ELBO_RATIOS} ratios)`, model: 'mdlm', score: (m, c, o, seed) => mdlmOptionElbos(m, c, o, ELBO_RATIOS, seed) },
];

/** Each task's item and result; both cross a thread boundary, so plain data only. */
export interface ScoringTasks {
  /** gapLogProbs of one problem; `seed` = gapProblemSeed(run seed, its index in the set). */
  gap: { item: { problem: GapProblem; seed: number }; result: Partial<Record<GapScorerId, number>> };
  /** Option totals of one question under CHOICE_SCORERS[scorer]; `seed` = run seed + question index. */
  choice: { item: { scorer: number; context: number[]; options: number[][]; seed: number }; result: number[] };
  /** One story filled by INFILL_DECODERS[decoder] (greedy: deterministic). */
  infill: { item: { decoder: number; story: StoryWindow; seed: number }; result: InfillResult };
}

export type TaskName = keyof ScoringTasks;
export type TaskItem<K extends TaskName> = ScoringTasks[K]['item'];
export type TaskResult<K extends TaskName> = ScoringTasks[K]['result'];

function needs(models: EvalModels, name: ModelName, what: string): A3Model {
  const m = models[name];
  if (!m) throw new Error(`${what} needs the ${name} model, which this run has not loaded`);
  return m;
}

const TASKS: { [K in TaskName]: (ctx: ScoringContext, item: TaskItem<K>) => Promise<TaskResult<K>> } = {
  gap: async (ctx, { problem, seed }) => gapLogProbs(ctx.models, problem, seed),
  choice: async (ctx, { scorer, context, options, seed }) => {
    const s = CHOICE_SCORERS[scorer];
    if (!s) throw new Error(`no multiple-choice scorer ${scorer}`);
    return s.score(needs(ctx.models, s.model, s.name), context, options, seed);
  },
  infill: async (ctx, { decoder, story, seed }) => {
    const d = INFILL_DECODERS[decoder];
    if (!d) throw new Error(`no infill decoder ${decoder}`);
    return infillStory(story, ctx.tokenizer, d, ctx.models, seed);
  },
};

export function scoreItem<K extends TaskName>(ctx: ScoringContext, task: K, item: TaskItem<K>): Promise<TaskResult<K>> {
  const run = TASKS[task];
  if (!run) throw new Error(`no scoring task "${String(task)}"`);
  return run(ctx, item);
}

/** Scores lists of items, here or in workers; results[i] is items[i]'s. */
export interface Scoring {
  readonly workers: number;
  map<K extends TaskName>(task: K, items: TaskItem<K>[]): Promise<TaskResult<K>[]>;
  close(): Promise<void>;
}

/** This thread, one item after another: `--workers 1`. */
export function localScoring(ctx: ScoringContext): Scoring {
  return {
    workers: 1,
    map: async (task, items) => {
      const results = [];
      for (const item of items) results.push(await scoreItem(ctx, task, item));
      return results;
    },
    close: async () => undefined,
  };
}
