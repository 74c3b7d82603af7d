/**
 * `npm run eval -- [--quick] [--out DIR] [--stories N] [--questions N] [--gap-windows N] [--seed S] [--stand-in]
 *                 [--backend wasm|cpu] [--base DIR] [--a3 DIR] [--mdlm DIR] [--only gap,infill,choice,generation]
 *                 [--workers N]`
 *
 * --workers N: sections 0-2 score their items (gap problems, stories per
 * decoder, questions per scorer) on N worker threads, each with its own copy
 * of the models on its own backend (scripts/lib/eval-workers.ts); default one
 * per core. Every figure equals --workers 1's exactly (each item is scored
 * from its own inputs and seed; sums run in item order here); only the
 * timings (wallSec, ms, s) change, and per-item ms are then measured with N
 * workers sharing the cores. Section 3 times decoders, so it always runs in
 * this thread, after the workers have stopped.
 *
 * 0. Gap likelihood (lib/eval/gap-nll.ts): exact NLL of the true middle
 *    sentence of every held-out 5-sentence window, and of one random 1-32
 *    token span in each of N test-split windows, under AR (prefix only), A3
 *    (prefix only; both sides with the gap in singletons, 2s, 4s, one group)
 *    and the MDLM bound (both sides); paired bootstrap intervals against AR;
 *    at contexts of 128 and 256 tokens (windows that do not fit are counted
 *    as skipped, a context longer than the models' is reported as not run)
 *    -> <out>/eval-gap.json. --gap-windows N: span windows per context (with
 *    --quick also the number of gap stories; a full run scores every story that fits).
 * 1. Story infilling (middle sentence of held-out 5-sentence windows, ROUGE-1/2/L)
 *    -> <out>/eval-infill.json.
 * 2. Multiple choice, 4 options, accuracy with a 95% Wilson interval, one
 *    entry per task in <out>/eval-choice.json: story endings and three WordNet
 *    sets (gloss, hypernym, antonym; lib/eval/wordnet-questions.ts).
 * 3. Generation quality vs speed: continuations from every decoder at several
 *    numbers of forwards, scored by the base model's perplexity and distinct-n
 *    (scripts/lib/eval-generation.ts) -> <out>/eval-generation.json and the
 *    plot <out>/quality-vs-forwards.svg.
 * Then <out>/eval-run.json: the command, seed and whole run's wall time
 * (written only when every section ran; --only runs the named sections).
 * Quick: 12 stories and the first 40 questions of each task (prefixes keep the
 * answer positions balanced), 8 gap stories and 8 span windows per context;
 * full: 60 stories, every question, every gap story that fits, 64 span windows.
 *
 * <out> defaults to results/. The question sets (deterministic in --seed) are
 * written to data/eval/*.jsonl, the committed copies, only then; with another
 * --out they go to <out>/questions/ so a CI run never touches tracked files.
 *
 * Models: public/weights/base (required), public/weights/a3 and
 * public/weights/mdlm (--base/--a3/--mdlm DIR evaluate other weights, e.g. an
 * adapt variant's checkpoints/adapt-<variant>/final; rows skipped with a note when absent; --stand-in runs
 * them on the base weights instead, flagged in the JSON — a pipeline check,
 * not a result: base's query-stream `w` is untrained).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { A3Model } from '@/lib/a3/model';
import { makeRng, randomPermutation } from '@/lib/a3/random';
import { answerPositionCounts, type ChoiceQuestion } from '@/lib/eval/choice-questions';
import { choiceResult, makeEndingQuestions, questionTokens, type ChoiceResult } from '@/lib/eval/multiple-choice';
import { meanRouge } from '@/lib/eval/rouge';
import { GAP_SCORERS, gapProblemSeed, gapSetScores, HEADLINE, MDLM_RATIOS, problemLength, randomSpanProblems, storyGapProblem, type GapModels } from '@/lib/eval/gap-nll';
import { SPAN_LENGTHS } from '@/lib/a3/groups';
import { evalWindows } from '@/lib/train/batches';
import { fitsContext, INFILL_DECODERS, INFILL_SAMPLING, type InfillDecoder, type InfillModels, type StoryWindow } from '@/lib/eval/story-infill';
import { generationTable, runGenerationEval } from './lib/eval-generation';
import { CHOICE_SCORERS, ELBO_RATIOS, loadEvalModels, type ModelSource, type Scoring } from './lib/eval-scoring';
import { evalScoring } from './lib/eval-workers';
import { loadTokenizer, ROOT, tokenizeSplit } from './lib/data';
import { useNodeBackend } from './lib/node-backend';
import { parseArgs } from './lib/progress';
import { parseWorkers } from './lib/workers';
import { wordnetQuestionSets } from './lib/wordnet';

const args = parseArgs(process.argv.slice(2));
const quick = args.has('quick');
const seed = Number(args.get('seed') ?? 2026);
const numStories = Number(args.get('stories') ?? (quick ? 12 : 60));
const SECTIONS = ['gap', 'infill', 'choice', 'generation'] as const;
const only = args.get('only')?.split(',');
const unknownSection = only?.find((x) => !(SECTIONS as readonly string[]).includes(x));
if (unknownSection) throw new Error(`--only ${unknownSection}: sections are ${SECTIONS.join(', ')}`);
const runs = (section: (typeof SECTIONS)[number]) => !only || only.includes(section);
const numGapWindows = Number(args.get('gap-windows') ?? (quick ? 8 : 64));
const numQuestions = args.has('questions') ? Number(args.get('questions')) : quick ? 40 : Infinity;
const standIn = args.has('stand-in');
const outDir = resolve(args.get('out') ?? join(ROOT, 'results'));
const questionDir = outDir === join(ROOT, 'results') ? join(ROOT, 'data', 'eval') : join(outDir, 'questions');
const workers = parseWorkers(args.get('workers'));
const backendName = ((name: string): 'wasm' | 'cpu' => {
  if (name !== 'wasm' && name !== 'cpu') throw new Error(`--backend ${name}: the eval runs on wasm or cpu`);
  return name;
})(args.get('backend') ?? 'wasm');
const started = performance.now();
const backend = await useNodeBackend(backendName);
const tokenizer = loadTokenizer();
mkdirSync(outDir, { recursive: true });
mkdirSync(questionDir, { recursive: true });

/** Repository-relative when inside the repository (stable across machines), else absolute. */
function shown(path: string): string {
  const r = relative(ROOT, path);
  return r.startsWith('..') || isAbsolute(r) ? path : r;
}
const written: string[] = [];
function writeJson(name: string, value: unknown): void {
  writeFileSync(join(outDir, name), JSON.stringify(value, null, 2));
  written.push(shown(join(outDir, name)));
}
function writeJsonl(name: string, rows: unknown[]): string {
  const path = join(questionDir, name);
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  written.push(shown(path));
  return shown(path);
}

const windows: StoryWindow[] = readFileSync(join(ROOT, 'data', 'heldout-stories.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l));

// ---- models ---------------------------------------------------------------
const notes: string[] = [];
const modelInfo: Record<string, { dir: string; present: boolean; standIn?: boolean }> = {};
/** Where a model's weights are (here and in every scoring worker), noting a missing one. */
function source(name: 'base' | 'a3' | 'mdlm'): ModelSource {
  const dir = args.get(name) ?? join('public', 'weights', name);
  const present = existsSync(join(resolve(ROOT, dir), 'manifest.json'));
  modelInfo[name] = { dir, present };
  if (present) return { dir: resolve(ROOT, dir) };
  if (name === 'base') throw new Error(`${dir} is missing: the base model is required`);
  if (standIn) {
    modelInfo[name].standIn = true;
    notes.push(`${dir} missing: its rows run on the BASE weights (--stand-in); a pipeline check, not a result`);
    return 'stand-in';
  }
  notes.push(`${dir} missing: its rows are skipped (pass --stand-in to run them on the base weights)`);
  return null;
}
const baseSource = source('base');
// source('base') throws rather than return anything but a folder.
if (baseSource === null || baseSource === 'stand-in') throw new Error('the base model is required');
const sources = { base: baseSource, a3: source('a3'), mdlm: source('mdlm') };
const loaded = await loadEvalModels(sources);
const base = loaded.base;
const models: InfillModels = loaded;
const maxLen = base.config.maxLen;

/** What every section's JSON records about the run: seed, mode, backend, its wall time since t0, the models. */
function runFields(t0: number) {
  return { seed, quick, backend, workers, wallSec: (performance.now() - t0) / 1000, models: modelInfo, notes };
}

// ---- 0. gap likelihood ----------------------------------------------------------
/** 128 keeps figures comparable with the first models; 256 is the longer context (issue 13). */
const GAP_CONTEXTS = [128, 256];
const BOOTSTRAP = { resamples: 2000, seed };

async function gapSection(scoring: Scoring) {
  const t0 = performance.now();
  const gapModels: GapModels = models;
  const present = [base, models.a3, models.mdlm].filter((m): m is A3Model => m !== undefined);
  const modelContext = Math.min(...present.map((m) => m.config.maxLen));
  const stories = windows.map((w) => storyGapProblem(w, tokenizer));
  const testTokens = tokenizeSplit('test', tokenizer).tokens;
  const sets = [];
  for (const context of GAP_CONTEXTS) {
    const fits = stories.filter((p) => problemLength(p) <= context);
    const order = randomPermutation(fits.length, makeRng(seed));
    const chosen = quick ? Array.from(order.slice(0, Math.min(numGapWindows, fits.length)), (i) => fits[i]) : fits;
    const storyCounts = { problems: chosen.length, fit: fits.length, skippedLongerThanContext: stories.length - fits.length, windows: stories.length };
    const spanSource = `one random span per window: ${numGapWindows} windows of ${context} tokens spread over the test split; length ${SPAN_LENGTHS.law} over ${SPAN_LENGTHS.min}-${SPAN_LENGTHS.max}`;
    const notRun = context > modelContext ? `the models' context is ${modelContext} tokens, shorter than ${context}` : null;
    const spans = notRun ? [] : randomSpanProblems(evalWindows(testTokens, numGapWindows, context).map((w) => w.tokens), seed + context);
    for (const [set, source, problems, counts] of [
      ['stories', 'true middle sentence of held-out 5-sentence windows (data/heldout-stories.jsonl)', chosen, storyCounts],
      ['random-spans', spanSource, spans, { problems: spans.length, split: 'test', windowLength: context }],
    ] as const) {
      if (notRun) {
        sets.push({ set, context, source, ran: false, skipped: notRun, counts });
        console.log(`gap ${set} @${context}: not run (${notRun})`);
        continue;
      }
      const logProbs = await scoring.map('gap', problems.map((problem, i) => ({ problem, seed: gapProblemSeed(seed, i) })));
      const scores = gapSetScores(gapModels, [...problems], logProbs, { seed, resamples: BOOTSTRAP.resamples });
      sets.push({ set, context, source, ran: true, counts, ...scores });
      const row = scores.rows.find((r) => r.scorer === HEADLINE.scorer);
      const d = row?.minusArPrefix;
      console.log(`gap ${set} @${context}: ${problems.length} problems, ${scores.gapTokens} tokens${d ? `; A3 both sides − AR prefix only ${d.mean.toFixed(3)} [${d.low.toFixed(3)}, ${d.high.toFixed(3)}]` : ''}`);
    }
  }
  const headSet = sets.find((x) => x.set === 'stories' && x.context === 128 && x.ran);
  const headRow = headSet && 'rows' in headSet ? headSet.rows.find((r) => r.scorer === HEADLINE.scorer) : undefined;
  writeJson('eval-gap.json', {
    task: 'exact NLL (nats/token) of the tokens of a gap given its context: held-out story middles and random spans of held-out text',
    scorers: GAP_SCORERS,
    definitions: {
      mean: 'meanNll: each problem\'s gap NLL / its length, averaged over problems (every window counts once); tokenWeightedNll: Σ NLL / Σ gap tokens',
      interval: `paired bootstrap 95% percentile interval of (scorer − AR prefix only) in nats/token, resampling problems, for both means; ${BOOTSTRAP.resamples} resamples, seed ${BOOTSTRAP.seed}`,
      a3: 'exact, via sequenceLogProb with given = context (group 0); the gap a fixed span-infill GroupingSpec',
      ar: 'the base model\'s causal content stream, prefix only (never sees the suffix)',
      mdlm: `minus the MDLM ELBO with both sides visible, only gap positions masked, ${MDLM_RATIOS} stratified ratios (a bound, not exact)`,
      tokenisation: 'stories: prefix, " " + middle and " " + suffix encoded separately (as story infilling); spans: token windows of the split, cut at token edges',
      skipped: 'problems longer than the context are not scored and are counted; a context longer than the models\' is reported as not run',
    },
    headline: headRow?.minusArPrefix ? { set: 'stories', context: 128, scorer: HEADLINE.scorer, baseline: HEADLINE.baseline, ...headRow.minusArPrefix, problems: headSet?.counts?.problems } : null,
    contexts: GAP_CONTEXTS,
    modelContext,
    bootstrap: BOOTSTRAP,
    ...runFields(t0),
    sets,
  });
  return sets;
}

// ---- 1. story infilling -------------------------------------------------------
async function storyInfillSection(scoring: Scoring) {
  const t0 = performance.now();
  const eligible = windows.filter((w) => fitsContext(w, tokenizer, maxLen));
  const order = randomPermutation(eligible.length, makeRng(seed));
  const stories = Array.from(order.slice(0, Math.min(numStories, eligible.length)), (i) => eligible[i]);
  async function runInfill(decoder: InfillDecoder, index: number) {
    if (!models[decoder.model]) return { decoder: decoder.name, model: decoder.model, ran: false, skipped: `public/weights/${decoder.model} missing` };
    const results = await scoring.map('infill', stories.map((story) => ({ decoder: index, story, seed })));
    const scores = meanRouge(results.map((r) => r.rouge));
    console.log(`infill ${decoder.name}: R1 ${(100 * scores.rouge1.f1).toFixed(1)} (${(results.reduce((a, r) => a + r.ms, 0) / 1000).toFixed(1)} s)`);
    return {
      decoder: decoder.name,
      model: decoder.model,
      weights: modelInfo[decoder.model].standIn ? 'base (stand-in)' : modelInfo[decoder.model].dir,
      ran: true,
      rougeF1: { rouge1: scores.rouge1.f1, rouge2: scores.rouge2.f1, rougeL: scores.rougeL.f1 },
      rouge: scores,
      meanNfe: results.reduce((a, r) => a + r.nfe, 0) / results.length,
      meanMs: results.reduce((a, r) => a + r.ms, 0) / results.length,
      stories: results.map(({ id, gapLength, filled, rouge, nfe, ms }) => ({ id, gapLength, filled, rouge, nfe, ms })),
    };
  }
  const rows: Awaited<ReturnType<typeof runInfill>>[] = [];
  for (const [index, decoder] of INFILL_DECODERS.entries()) rows.push(await runInfill(decoder, index));
  writeJson('eval-infill.json', {
    task: 'story infilling: mask sentence 2 of held-out 5-sentence windows; gap = true sentence token count; ROUGE vs the true sentence',
    sampling: { ...INFILL_SAMPLING, note: 'greedy everywhere: deterministic' },
    rougeDefinition: 'Lin 2004; lowercased word tokens split on non-alphanumerics; ROUGE-N clipped n-gram counts; ROUGE-L LCS F with beta = 1; figures are macro means over stories',
    diffusionSteps: 'steps = gap length (one token per forward, matched to group-wise s=1)',
    arNote: 'AR (base) sees the prefix only, never the suffix; exactly gap-length tokens, no stop token',
    seed,
    quick,
    counts: { stories: stories.length, requested: numStories, eligibleWindows: eligible.length, windows: windows.length, maxLen },
    storyIds: stories.map((s) => s.id),
    backend,
    workers,
    wallSec: (performance.now() - t0) / 1000,
    models: modelInfo,
    notes,
    decoders: rows,
  });
  return { stories: stories.length, rows };
}

// ---- 2. multiple choice ---------------------------------------------------------
interface ChoiceTask {
  task: string;
  description: string;
  questions: ChoiceQuestion[];
  file: string;
  extra?: Record<string, unknown>;
}

function choiceTasks(): ChoiceTask[] {
  const endings = makeEndingQuestions(windows, seed);
  const tasks: ChoiceTask[] = [
    {
      task: 'story-endings',
      description: 'story-ending choice: context = sentences 1-4 of a held-out window, options = its true 5th sentence + 3 other windows\' 5th sentences',
      questions: endings,
      file: writeJsonl('story-endings.jsonl', endings),
    },
  ];
  const t0 = performance.now();
  for (const set of wordnetQuestionSets(tokenizer, seed)) {
    tasks.push({ task: `wordnet-${set.kind}`, description: set.description, questions: set.questions, file: writeJsonl(`wordnet-${set.kind}.jsonl`, set.questions), extra: { generator: set.generator } });
  }
  console.log(`question sets generated (WordNet ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  return tasks;
}

type ChoiceRow = ChoiceResult | { scorer: string; ran: false; skipped: string };

/** Every task is scored by every scorer of CHOICE_SCORERS, on the same questions for every model. */
async function runChoiceTask(t: ChoiceTask, scoring: Scoring) {
  const t0 = performance.now();
  const questions = t.questions.slice(0, Math.min(numQuestions, t.questions.length));
  const tokens = questions.map((q) => questionTokens(q, tokenizer, maxLen));
  const results: ChoiceRow[] = [];
  for (const [scorer, { name, model }] of CHOICE_SCORERS.entries()) {
    if (!models[model]) {
      results.push({ scorer: name, ran: false, skipped: `public/weights/${model} missing` });
      continue;
    }
    const s0 = performance.now();
    // The MDLM scorer's masks are seeded by --seed + the question's index.
    const totals = await scoring.map('choice', tokens.map(({ context, options }, i) => ({ scorer, context, options, seed: seed + i })));
    const r = choiceResult(name, questions, tokens, totals, performance.now() - s0);
    console.log(`${t.task} ${name}: ${(100 * r.perToken.accuracy).toFixed(1)}% (${(r.ms / 1000).toFixed(1)} s)`);
    results.push(r);
  }
  return {
    task: t.task,
    description: t.description,
    questionFile: t.file,
    ...t.extra,
    counts: { questions: questions.length, generated: t.questions.length, options: 4, answerPositions: answerPositionCounts(questions) },
    chance: 0.25,
    wallSec: (performance.now() - t0) / 1000,
    results,
  };
}

async function multipleChoiceSection(scoring: Scoring) {
  const t0 = performance.now();
  const tasks = [];
  for (const t of choiceTasks()) tasks.push(await runChoiceTask(t, scoring));
  writeJson('eval-choice.json', {
    mainFigure: 'perToken (mean log-prob per option token); total log-prob reported beside it',
    scoring: {
      a3: 'exact log P(option | context) via sequenceLogProb with given = context (left-to-right singleton groups, or the option as one group)',
      base: 'causal content stream (arForward) next-token log-probs of the option after the context',
      mdlm: `minus the MDLM ELBO (a bound): option positions only masked, ratios (k+0.5)/${ELBO_RATIOS}, weight 1/t, mean over the ${ELBO_RATIOS} draws, seed = --seed + question index`,
      context: 'cut from the left if context + longest option exceeds maxLen; options are scored as " " + option',
      answerPositions: 'balanced: each block of 4 consecutive questions puts the answer once at each position (seeded order), so every prefix is balanced',
    },
    chance: 0.25,
    ...runFields(t0),
    tasks,
  });
  return tasks;
}

// ---- run ------------------------------------------------------------------------
/** Sections 0-2 on the scoring workers, which stop before generation times its decoders (also when one fails). */
async function scoredSections() {
  const scores = (['gap', 'infill', 'choice'] as const).some(runs);
  const scoring = await evalScoring({ workers: scores ? workers : 1, backend: backendName, models: sources }, { models: loaded, tokenizer });
  try {
    if (scoring.workers > 1) console.log(`scoring on ${scoring.workers} worker threads`);
    const gap = runs('gap') ? await gapSection(scoring) : [];
    const infill = runs('infill') ? await storyInfillSection(scoring) : { stories: 0, rows: [] };
    const choice = runs('choice') ? await multipleChoiceSection(scoring) : [];
    return { gap, infill, choice };
  } finally {
    await scoring.close();
  }
}
const { gap, infill, choice } = await scoredSections().catch((e: unknown) => {
  console.error(`npm run eval stopped: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
// 3. Generation quality vs forwards: writes <out>/eval-generation.json and <out>/quality-vs-forwards.svg.
const generation = runs('generation') ? await runGenerationEval({ models: { ...models, base }, tokenizer, seed, quick, outDir }) : null;
for (const file of Object.values(generation?.files ?? {})) written.push(shown(file));

// The whole run's wall time, for the README ("the full run's wall time is stated").
const wallSec = (performance.now() - started) / 1000;
if (!only) writeJson('eval-run.json', { command: ['npm run eval', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '), seed, quick, backend, workers, wallSec, files: [...written] });

// ---- summary ----------------------------------------------------------------
const pct = (x: number) => (100 * x).toFixed(1).padStart(5);
for (const set of gap) {
  if (!set.ran || !('rows' in set)) {
    console.log(`\nGap NLL, ${set.set} @${set.context}: not run (${'skipped' in set ? set.skipped : ''})`);
    continue;
  }
  console.log(`\nGap NLL, ${set.set} @${set.context} (${set.counts.problems} problems, ${set.gapTokens} gap tokens; nats/token, Δ vs AR prefix only [95% CI])`);
  for (const r of set.rows) {
    const d = r.minusArPrefix;
    console.log(`${r.name.padEnd(44)} ${r.meanNll?.toFixed(3) ?? 'skipped'}${d ? `  ${d.mean >= 0 ? '+' : ''}${d.mean.toFixed(3)} [${d.low.toFixed(3)}, ${d.high.toFixed(3)}]` : ''}`);
  }
}
if (runs('infill')) {
  console.log(`\nStory infilling (${infill.stories} stories, greedy, ROUGE F1 x100)`);
  console.log('decoder                            R-1   R-2   R-L   NFE');
}
for (const r of infill.rows) {
  if (!r.ran) console.log(`${r.decoder.padEnd(33)} skipped: ${r.skipped}`);
  else console.log(`${r.decoder.padEnd(33)} ${pct(r.rougeF1!.rouge1)} ${pct(r.rougeF1!.rouge2)} ${pct(r.rougeF1!.rougeL)} ${r.meanNfe!.toFixed(1).padStart(5)}${r.weights === 'base (stand-in)' ? '  [base stand-in]' : ''}`);
}
for (const t of choice) {
  console.log(`\n${t.task} (${t.counts.questions} questions, 4 options, chance 25%)`);
  console.log('scorer                          per-token acc [95% CI]     total acc');
  for (const r of t.results) {
    if ('ran' in r) console.log(`${r.scorer.padEnd(31)} skipped: ${r.skipped}`);
    else console.log(`${r.scorer.padEnd(31)} ${pct(r.perToken.accuracy)}% [${pct(r.perToken.ci95.low)}, ${pct(r.perToken.ci95.high)}]   ${pct(r.total.accuracy)}%`);
  }
}
if (generation) {
  console.log(`\nGeneration quality (${generation.config.length} tokens per sample)`);
  console.log(generationTable(generation));
}
for (const n of notes) console.log(`note: ${n}`);
console.log(`\nbackend ${backend}, ${workers} worker${workers === 1 ? '' : 's'}, wall ${wallSec.toFixed(1)} s; wrote ${written.join(', ')}`);
