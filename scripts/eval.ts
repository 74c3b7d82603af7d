/**
 * `npm run eval -- [--quick] [--stories N] [--questions N] [--seed S] [--stand-in] [--backend wasm|cpu]`
 *
 * Story infilling (middle sentence of held-out 5-sentence windows, ROUGE-1/2/L)
 * and story-ending multiple choice (4 options, accuracy with a 95% Wilson
 * interval). Quick: 12 stories, 40 questions; full: 60 stories, every window's
 * question (202). Writes results/eval-infill.json, results/eval-choice.json and
 * the question set data/eval/story-endings.jsonl (deterministic in --seed).
 *
 * Models: public/weights/base (required), public/weights/a3 and
 * public/weights/mdlm (rows skipped with a note when absent; --stand-in runs
 * them on the base weights instead, flagged in the JSON — a pipeline check,
 * not a result: base's query-stream `w` is untrained).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { A3Model } from '@/lib/a3/model';
import { makeRng, randomPermutation } from '@/lib/a3/random';
import { loadModel } from '@/lib/a3/weights';
import { fileSource } from '@/lib/a3/weights-node';
import { a3OptionLogProbs, arOptionLogProbs, evaluateChoice, makeEndingQuestions, mdlmOptionElbos, type ChoiceResult } from '@/lib/eval/multiple-choice';
import { meanRouge } from '@/lib/eval/rouge';
import { fitsContext, infillStory, INFILL_DECODERS, INFILL_SAMPLING, type InfillDecoder, type InfillModels, type InfillResult, type StoryWindow } from '@/lib/eval/story-infill';
import { loadTokenizer, ROOT } from './lib/data';
import { useNodeBackend } from './lib/node-backend';
import { parseArgs } from './lib/progress';

const args = parseArgs(process.argv.slice(2));
const quick = args.has('quick');
const seed = Number(args.get('seed') ?? 2026);
const numStories = Number(args.get('stories') ?? (quick ? 12 : 60));
const numQuestions = args.has('questions') ? Number(args.get('questions')) : quick ? 40 : Infinity;
const standIn = args.has('stand-in');
const started = performance.now();
const backend = await useNodeBackend((args.get('backend') as 'wasm' | 'cpu' | undefined) ?? 'wasm');
const tokenizer = loadTokenizer();

const windows: StoryWindow[] = readFileSync(join(ROOT, 'data', 'heldout-stories.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l));

// ---- models ---------------------------------------------------------------
const notes: string[] = [];
const modelInfo: Record<string, { dir: string; present: boolean; standIn?: boolean }> = {};
async function load(name: 'base' | 'a3' | 'mdlm'): Promise<A3Model | undefined> {
  const dir = join('public', 'weights', name);
  const present = existsSync(join(ROOT, dir, 'manifest.json'));
  modelInfo[name] = { dir, present };
  if (present) return (await loadModel(fileSource(join(ROOT, dir)))).model;
  if (name === 'base') throw new Error(`${dir} is missing: the base model is required`);
  if (standIn) {
    modelInfo[name].standIn = true;
    notes.push(`${dir} missing: its rows run on the BASE weights (--stand-in); a pipeline check, not a result`);
    return undefined;
  }
  notes.push(`${dir} missing: its rows are skipped (pass --stand-in to run them on the base weights)`);
  return undefined;
}
const base = (await load('base'))!;
const models: InfillModels = { base, a3: (await load('a3')) ?? (standIn ? base : undefined), mdlm: (await load('mdlm')) ?? (standIn ? base : undefined) };
const maxLen = base.config.maxLen;
mkdirSync(join(ROOT, 'results'), { recursive: true });

// ---- story infilling --------------------------------------------------------
const t0Infill = performance.now();
const eligible = windows.filter((w) => fitsContext(w, tokenizer, maxLen));
const order = randomPermutation(eligible.length, makeRng(seed));
const stories = Array.from(order.slice(0, Math.min(numStories, eligible.length)), (i) => eligible[i]);
async function runInfill(decoder: InfillDecoder) {
  if (!models[decoder.model]) return { decoder: decoder.name, model: decoder.model, ran: false, skipped: `public/weights/${decoder.model} missing` };
  const results: InfillResult[] = [];
  for (const story of stories) results.push(await infillStory(story, tokenizer, decoder, models, seed));
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
const infillRows: Awaited<ReturnType<typeof runInfill>>[] = [];
for (const decoder of INFILL_DECODERS) infillRows.push(await runInfill(decoder));
const infillWall = (performance.now() - t0Infill) / 1000;
writeFileSync(
  join(ROOT, 'results', 'eval-infill.json'),
  JSON.stringify(
    {
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
      wallSec: infillWall,
      models: modelInfo,
      notes,
      decoders: infillRows,
    },
    null,
    2,
  ),
);

// ---- multiple choice --------------------------------------------------------
const t0Choice = performance.now();
const allQuestions = makeEndingQuestions(windows, seed);
mkdirSync(join(ROOT, 'data', 'eval'), { recursive: true });
writeFileSync(join(ROOT, 'data', 'eval', 'story-endings.jsonl'), allQuestions.map((q) => JSON.stringify(q)).join('\n') + '\n');
const questions = allQuestions.slice(0, Math.min(numQuestions, allQuestions.length));
const choiceRows: (ChoiceResult | { scorer: string; ran: false; skipped: string })[] = [];
choiceRows.push(evaluateChoice('base AR (content stream)', questions, tokenizer, maxLen, (c, o) => arOptionLogProbs(base, c, o)));
for (const grouping of ['left-to-right', 'one-group'] as const) {
  const name = `A3 ${grouping === 'left-to-right' ? 'left-to-right singletons' : 'option as one group'}`;
  if (models.a3) choiceRows.push(evaluateChoice(name, questions, tokenizer, maxLen, (c, o) => a3OptionLogProbs(models.a3!, c, o, grouping)));
  else choiceRows.push({ scorer: name, ran: false, skipped: 'public/weights/a3 missing' });
}
const ELBO_RATIOS = 4;
if (models.mdlm) choiceRows.push(evaluateChoice(`MDLM ELBO (${ELBO_RATIOS} ratios)`, questions, tokenizer, maxLen, (c, o, q) => mdlmOptionElbos(models.mdlm!, c, o, ELBO_RATIOS, seed + Number(q.id.slice(7)))));
else choiceRows.push({ scorer: 'MDLM ELBO', ran: false, skipped: 'public/weights/mdlm missing' });
const choiceWall = (performance.now() - t0Choice) / 1000;
writeFileSync(
  join(ROOT, 'results', 'eval-choice.json'),
  JSON.stringify(
    {
      task: 'story-ending choice: context = sentences 0-3, options = true 5th sentence + 3 other windows\' 5th sentences',
      mainFigure: 'perToken (mean log-prob per option token); total log-prob reported beside it',
      scoring: {
        a3: 'exact log P(option | context) via sequenceLogProb with given = context (left-to-right singleton groups, or the option as one group)',
        base: 'causal content stream (arForward) next-token log-probs of the option after the context',
        mdlm: `minus the MDLM ELBO (a bound): option positions only masked, ratios (k+0.5)/${ELBO_RATIOS}, weight 1/t, mean over the ${ELBO_RATIOS} draws`,
        context: 'cut from the left if context + longest option exceeds maxLen',
      },
      questionFile: 'data/eval/story-endings.jsonl',
      seed,
      quick,
      counts: { questions: questions.length, generated: allQuestions.length, options: 4 },
      chance: 0.25,
      backend,
      wallSec: choiceWall,
      models: modelInfo,
      notes,
      results: choiceRows,
    },
    null,
    2,
  ),
);

// ---- summary ----------------------------------------------------------------
const pct = (x: number) => (100 * x).toFixed(1).padStart(5);
console.log(`\nStory infilling (${stories.length} stories, greedy, ROUGE F1 x100)`);
console.log('decoder                            R-1   R-2   R-L   NFE');
for (const r of infillRows) {
  if (!r.ran) console.log(`${r.decoder.padEnd(33)} skipped: ${r.skipped}`);
  else console.log(`${r.decoder.padEnd(33)} ${pct(r.rougeF1!.rouge1)} ${pct(r.rougeF1!.rouge2)} ${pct(r.rougeF1!.rougeL)} ${r.meanNfe!.toFixed(1).padStart(5)}${r.weights === 'base (stand-in)' ? '  [base stand-in]' : ''}`);
}
console.log(`\nStory endings (${questions.length} questions, 4 options, chance 25%)`);
console.log('scorer                          per-token acc [95% CI]     total acc');
for (const r of choiceRows) {
  if ('ran' in r) console.log(`${r.scorer.padEnd(31)} skipped: ${r.skipped}`);
  else console.log(`${r.scorer.padEnd(31)} ${pct(r.perToken.accuracy)}% [${pct(r.perToken.ci95.low)}, ${pct(r.perToken.ci95.high)}]   ${pct(r.total.accuracy)}%`);
}
for (const n of notes) console.log(`note: ${n}`);
console.log(`\nbackend ${backend}, wall ${((performance.now() - started) / 1000).toFixed(1)} s; wrote results/eval-infill.json, results/eval-choice.json, data/eval/story-endings.jsonl`);
