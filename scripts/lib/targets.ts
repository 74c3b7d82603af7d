/**
 * Issue 13's targets, each with the figure measured for the shipped models and
 * whether it is met (README, under Findings). Every figure comes from a file
 * the scripts wrote; a missing file makes its row say so. The thresholds are
 * the issue's and are not lowered here: a missed target says by how much.
 */
import { GAP_TARGET, infillBest, showDelta } from './findings';

// Loose JSON: the results files are written by our own scripts.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export interface TargetInputs {
  baseTraining?: Json; // public/weights/base/training.json
  a3Training?: Json; // public/weights/a3/training.json
  adaptA3?: Json; // results/adapt-a3.json (its first row: the base model on the same windows)
  gap?: Json; // results/eval-gap.json
  infill?: Json; // results/eval-infill.json
  generation?: Json; // results/eval-generation.json
  pageSpeed?: Json; // results/e2e-speed.json
}

export interface TargetRow {
  target: string;
  measured: string;
  verdict: string;
}

const f2 = (x: number) => x.toFixed(2);
const f3 = (x: number) => x.toFixed(3);
const missing = (target: string, command: string): TargetRow => ({ target, measured: `not measured (\`${command}\`)`, verdict: '—' });

/** Met / missed by how much, for "value ≤ limit" targets. */
function atMost(value: number, limit: number, digits: (x: number) => string): string {
  return value <= limit ? 'met' : `missed by ${digits(value - limit)}`;
}

function gapTarget(gap: Json): TargetRow {
  const target = `Gap NLL: A3 both sides ≥ ${-GAP_TARGET} nats/token below AR prefix only, 95% interval excluding 0 (story middles ≤ 128)`;
  const set = ((gap?.sets ?? []) as Json[]).find((s) => s.ran && s.set === 'stories' && s.context === 128);
  const d = set?.rows?.find((r: Json) => r.scorer === 'a3-both-s1' && r.ran)?.minusArPrefix;
  if (!d) return missing(target, 'npm run eval');
  const verdict = d.mean > GAP_TARGET ? `missed by ${f2(d.mean - GAP_TARGET)}` : d.high < 0 ? 'met' : 'missed: the interval includes 0';
  return { target, measured: `Δ ${showDelta(d)} on ${set.counts.problems} middles`, verdict };
}

/** The shipped A3's final left-to-right figure vs the base model's AR NLL on the same 32 windows of 128. */
function leftToRightTarget(a3Training: Json, adaptA3: Json): TargetRow {
  const target = 'A3 left-to-right exact validation NLL within 0.10 nats/token of the AR model it ships with';
  const a3 = (a3Training?.stages as Json[] | undefined)?.at(-1)?.val?.['left-to-right s=1'];
  const base = (adaptA3?.stages as Json[] | undefined)?.[0]?.val?.['AR (content stream)'];
  if (typeof a3 !== 'number' || typeof base !== 'number') return missing(target, 'npm run adapt');
  return { target, measured: `${f3(a3)} vs ${f3(base)} (+${f3(a3 - base)}; 32 windows of 128)`, verdict: atMost(a3 - base, 0.1, f3) };
}

function arTarget(baseTraining: Json): TargetRow {
  const target = 'AR validation NLL ≤ 3.75 nats/token on 64 windows of 128 (also reported at 256)';
  const v = baseTraining?.valLoss;
  if (typeof v !== 'number') return missing(target, 'npm run pretrain');
  const at256 = baseTraining['valLoss@256'];
  return { target, measured: `${f3(v)}${typeof at256 === 'number' ? ` (${f3(at256)} at 256)` : ''}`, verdict: atMost(v, 3.75, f3) };
}

function rougeTarget(infill: Json): TargetRow {
  const target = 'Story infilling: best A3 ROUGE-1 ≥ 1.3× AR prefix only';
  const { a3: best, ar } = infillBest(infill);
  if (!best || !ar) return missing(target, 'npm run eval');
  const ratio = best.rougeF1.rouge1 / ar.rougeF1.rouge1;
  return { target, measured: `${f2(ratio)}× (${best.decoder} ${(100 * best.rougeF1.rouge1).toFixed(1)} vs ${(100 * ar.rougeF1.rouge1).toFixed(1)})`, verdict: ratio >= 1.3 ? 'met' : `missed by ${f2(1.3 - ratio)}×` };
}

function genPplTarget(generation: Json): TargetRow {
  const target = 'gen-PPL of A3 s=1 samples ≤ 1.3× the AR model\'s (prompted)';
  const rows = ((generation?.rows ?? []) as Json[]).filter((r) => r.ran !== false && r.setting === 'prompted');
  const a3 = rows.find((r) => r.family === 'a3-groupwise' && r.param === 1);
  const ar = rows.find((r) => r.family === 'ar');
  if (!a3 || !ar) return missing(target, 'npm run eval');
  const ratio = a3.aggregate.genPpl / ar.aggregate.genPpl;
  return { target, measured: `${f2(ratio)}× (${a3.aggregate.genPpl.toFixed(1)} vs ${ar.aggregate.genPpl.toFixed(1)})`, verdict: atMost(ratio, 1.3, (x) => `${f2(x)}×`) };
}

function pageTarget(page: Json): TargetRow {
  const target = 'The page downloads ≤ 16 MB before "ready to infill" and is ready in ≤ 3 s on this machine';
  if (typeof page?.weightsBytes !== 'number' || typeof page?.readyMs !== 'number') return missing(target, 'npx vitest run --project e2e test/e2e/app.test.ts');
  const mb = page.weightsBytes / 1024 / 1024;
  const met = mb <= 16 && page.readyMs <= 3000;
  return { target, measured: `${mb.toFixed(2)} MB, ready in ${(page.readyMs / 1000).toFixed(2)} s`, verdict: met ? 'met' : 'missed' };
}

export function issue13Targets(inputs: TargetInputs): TargetRow[] {
  return [
    gapTarget(inputs.gap),
    leftToRightTarget(inputs.a3Training, inputs.adaptA3),
    arTarget(inputs.baseTraining),
    rougeTarget(inputs.infill),
    genPplTarget(inputs.generation),
    pageTarget(inputs.pageSpeed),
  ];
}

export function targetsTable(rows: TargetRow[]): string[] {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return ['| target (issue 13) | shipped models | verdict |', '|---|---|---|', ...rows.map((r) => `| ${cell(r.target)} | ${cell(r.measured)} | ${cell(r.verdict)} |`)];
}
