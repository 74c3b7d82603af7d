/**
 * `npm run eval -- --workers N` (scripts/lib/eval-workers.ts): 2 worker
 * threads score gap problems, multiple-choice questions and story infills to
 * exactly what this thread scores, in item order; a worker that throws or dies
 * rejects the call with a message naming it and the item, and the pool stays
 * failed rather than hanging. Tiny models (the real tokenizer's vocabulary)
 * saved to a temporary folder, cpu backend in every thread; --workers 1 is
 * `localScoring`, which scores the items in order in this thread.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomModel, tiny, useCpu } from '../helpers/tf';
import { disposeModel } from '@/lib/a3/model';
import { saveModelToDir } from '@/lib/a3/weights-node';
import { gapProblemSeed, storyGapProblem, type GapProblem } from '@/lib/eval/gap-nll';
import { makeEndingQuestions, questionTokens } from '@/lib/eval/multiple-choice';
import { INFILL_DECODERS, type InfillResult, type StoryWindow } from '@/lib/eval/story-infill';
import { loadTokenizer, ROOT } from '@/scripts/lib/data';
import { CHOICE_SCORERS, loadEvalModels, localScoring, type EvalModels, type ModelSources, type Scoring, type TaskItem } from '@/scripts/lib/eval-scoring';
import { nodeScorers, workerScoring, type SpawnScorer } from '@/scripts/lib/eval-workers';

const tokenizer = loadTokenizer();
const config = { ...tiny, vocabSize: tokenizer.vocabSize, maxLen: 160 };
const windows: StoryWindow[] = readFileSync(join(ROOT, 'data', 'heldout-stories.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l));
const stories = windows.filter((w) => storyGapProblem(w, tokenizer).prefix.length > 0).slice(0, 4);
const SEED = 2026;

const gapItems = (problems: GapProblem[]): TaskItem<'gap'>[] => problems.map((problem, i) => ({ problem, seed: gapProblemSeed(SEED, i) }));

let dir: string;
let sources: ModelSources;
let here: EvalModels;
let local: Scoring;
let workers: Scoring;
beforeAll(async () => {
  await useCpu();
  dir = mkdtempSync(join(tmpdir(), 'a3-eval-workers-'));
  for (const [name, seed] of [['base', 1], ['a3', 2], ['mdlm', 3]] as const) {
    const m = randomModel(config, seed, 0.3);
    await saveModelToDir(m, join(dir, name));
    disposeModel(m);
  }
  sources = { base: { dir: join(dir, 'base') }, a3: { dir: join(dir, 'a3') }, mdlm: { dir: join(dir, 'mdlm') } };
  here = await loadEvalModels(sources);
  local = localScoring({ models: here, tokenizer });
  workers = await workerScoring({ workers: 2, backend: 'cpu', models: sources });
}, 120_000);
afterAll(async () => {
  await workers?.close();
  for (const m of [here?.base, here?.a3, here?.mdlm]) if (m) disposeModel(m);
  rmSync(dir, { recursive: true, force: true });
});

describe('scoring on 2 worker threads', () => {
  it('gap problems: every scorer of every problem equals this thread exactly, in item order', async () => {
    const items = gapItems(stories.slice(0, 3).map((w) => storyGapProblem(w, tokenizer)));
    const parallel = await workers.map('gap', items);
    // --workers 1 scores the items in order here: result i is problem i's.
    expect(parallel).toEqual(await local.map('gap', items));
    expect(Object.keys(parallel[0]).sort()).toEqual(['a3-both-one', 'a3-both-s1', 'a3-both-s2', 'a3-both-s4', 'a3-prefix', 'ar-prefix', 'mdlm-both']);
    expect(new Set(parallel.map((r) => r['a3-both-s1'])).size).toBe(items.length); // distinct problems, distinct figures: a swap would show
  }, 120_000);

  it('multiple choice: option totals under every scorer equal this thread exactly', async () => {
    const questions = makeEndingQuestions(windows, SEED).slice(0, 2);
    const tokens = questions.map((q) => questionTokens(q, tokenizer, config.maxLen));
    for (const scorer of CHOICE_SCORERS.keys()) {
      const items = tokens.map(({ context, options }, i) => ({ scorer, context, options, seed: SEED + i }));
      const parallel = await workers.map('choice', items);
      expect(parallel).toEqual(await local.map('choice', items));
      expect(parallel.map((t) => t.length)).toEqual(questions.map(() => 4));
    }
  }, 120_000);

  it('story infilling: the same filled gaps, ROUGE and forwards, in story order (timings aside)', async () => {
    const withoutMs = ({ ms, ...rest }: InfillResult) => {
      expect(ms).toBeGreaterThan(0);
      return rest;
    };
    for (const name of ['AR (base, prefix only)', 'A3 group-wise s=2', 'A3 speculative (draft 4)']) {
      const decoder = INFILL_DECODERS.findIndex((d) => d.name === name);
      const items = stories.slice(0, 3).map((story) => ({ decoder, story, seed: SEED }));
      const parallel = await workers.map('infill', items);
      expect(parallel.map((r) => r.id)).toEqual(items.map((i) => i.story.id));
      expect(parallel.map(withoutMs)).toEqual((await local.map('infill', items)).map(withoutMs));
    }
  }, 120_000);
});

describe('scoring workers that fail', () => {
  it('a worker that throws rejects with its message and the item; the pool then stays failed, never hangs', async () => {
    const pool = await workerScoring({ workers: 2, backend: 'cpu', models: sources });
    const problems = stories.slice(0, 3).map((w) => storyGapProblem(w, tokenizer));
    problems[1] = { ...problems[1], id: 'empty', gap: [] };
    await expect(pool.map('gap', gapItems(problems))).rejects.toThrow(/^eval worker [12] of 2 failed on gap item 2 of 3: gap problem empty has an empty gap$/);
    await expect(pool.map('gap', gapItems(problems.slice(0, 1)))).rejects.toThrow(/failed on gap item 2 of 3/);
    await pool.close();
  }, 120_000);

  it('a worker that dies mid-call rejects with a message naming it', async () => {
    // Worker 2 is killed when its first item is sent to it.
    const dying: SpawnScorer = (index) => {
      const port = nodeScorers(index);
      if (index !== 1) return port;
      return { ...port, post: (m, transfer) => (m.type === 'score' ? void port.terminate() : port.post(m, transfer)) };
    };
    const pool = await workerScoring({ workers: 2, backend: 'cpu', models: sources, spawn: dying });
    const items = gapItems(stories.slice(0, 4).map((w) => storyGapProblem(w, tokenizer)));
    await expect(pool.map('gap', items)).rejects.toThrow(/^eval worker 2 of 2 died on gap item 2 of 4: exited with code/);
    await pool.close();
  }, 120_000);

  it('a worker that cannot load the models stops the start with a message', async () => {
    const missing = { ...sources, a3: { dir: join(dir, 'nowhere') } };
    await expect(workerScoring({ workers: 2, backend: 'cpu', models: missing })).rejects.toThrow(/^eval worker [12] of 2 failed while loading the models: /);
  }, 120_000);
});
