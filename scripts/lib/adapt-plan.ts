/**
 * What `npm run adapt` runs, kept out of the script so its loop stays short:
 * the variants (curricula), the token budget, the starting model (the base
 * checkpoint, optionally with a longer context, or a fresh init) and the
 * figures measured after every stage (exact validation NLL under fixed
 * groupings at 128 tokens and at the model's context, span infilling, the
 * content stream's AR NLL, and gap NLL on held-out story middles).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PRESETS, type ModelConfig } from '@/lib/a3/config';
import { createModel, disposeModel, initModel, namedParams, type A3Model } from '@/lib/a3/model';
import { problemLength, scoreGapSet, type GapProblem, type GapScorerId } from '@/lib/eval/gap-nll';
import { evalWindows, type TokenBatch } from '@/lib/train/batches';
import {
  defaultCurriculum,
  EVAL_GROUPINGS,
  EVAL_SPAN_INFILL,
  infillAfterCurriculum,
  infillCurriculum,
  jointCurriculum,
  l2rRehearsalCurriculum,
  pretrainThenInfillCurriculum,
  scaleCurriculum,
  stage3OnlyCurriculum,
  validateCurriculum,
  type Curriculum,
} from '@/lib/train/curriculum';
import { a3Nll, a3NllTable, arNll, mdlmBound } from '@/lib/train/evaluate';
import { groupingLabel } from '@/lib/a3/groups';

export const VARIANTS = ['a3', 'ablation', 'mdlm', 'a3-infill', 'a3-then-infill', 'joint', 'pretrain-then-infill', 'a3-rehearsal'] as const;
export type Variant = (typeof VARIANTS)[number];

export function parseVariant(v: string | undefined): Variant {
  const variant = v ?? 'a3';
  if (!(VARIANTS as readonly string[]).includes(variant)) throw new Error(`unknown variant ${variant}: use ${VARIANTS.join(', ')}`);
  return variant as Variant;
}

/**
 * Where a variant ships by default. The span-infill and joint variants are
 * candidates, not shipped models: they go to their checkpoint folder's
 * `final/` (evaluate with `npm run eval -- --a3 <dir>`) unless --out says otherwise.
 */
export function defaultOut(variant: Variant): string | null {
  if (variant === 'a3') return 'public/weights/a3';
  if (variant === 'mdlm') return 'public/weights/mdlm';
  if (variant === 'ablation') return null;
  return `checkpoints/adapt-${variant}/final`;
}

export interface PlanOptions {
  stepsPerStage: number;
  lr: number;
  /** Probability of a span-infill grouping in the mixed stages. */
  infillP: number;
  /** Joint and pretrain-then-infill variants: steps of AR loss alone before the A3 stages. */
  arWarmup: number;
  /** a3-rehearsal: probability of a left-to-right batch in its one stage. */
  l2rP?: number;
  /** a3-rehearsal: probability of a span-infill batch in its one stage (0: none, the first rounds' recipe). */
  rehearsalInfillP?: number;
  /** Whole-run token budget (equal-token comparisons); the stages keep their proportions. */
  maxTokens?: number;
  tokensPerStep: number;
}

/** The variant's curriculum, scaled to the token budget when one is given. */
export function variantCurriculum(variant: Variant, o: PlanOptions): Curriculum {
  const a3 = defaultCurriculum(o.stepsPerStage, o.lr);
  const total = a3.stages.reduce((s, st) => s + st.steps, 0);
  const plan: Curriculum =
    variant === 'a3'
      ? a3
      : variant === 'ablation'
        ? stage3OnlyCurriculum(total, o.lr)
        : variant === 'a3-infill'
          ? infillCurriculum(o.stepsPerStage, o.lr, o.infillP)
          : variant === 'a3-then-infill'
            ? infillAfterCurriculum(o.stepsPerStage, o.lr, o.infillP)
            : variant === 'joint'
              ? jointCurriculum(o.stepsPerStage, o.lr, o.arWarmup, o.infillP)
              : variant === 'pretrain-then-infill'
                ? pretrainThenInfillCurriculum(o.stepsPerStage, o.lr, o.arWarmup, o.infillP)
              : variant === 'a3-rehearsal'
                ? l2rRehearsalCurriculum(o.stepsPerStage, o.lr, o.l2rP, o.rehearsalInfillP)
              : // Diffusion: one stage, the same token budget; its grouping field is unused.
                { name: 'MDLM baseline', groupingPer: 'batch', stages: [{ name: 'mdlm', steps: total, lr: o.lr, warmup: 50, grouping: { kind: 'left-to-right' } }] };
  if (o.maxTokens === undefined) return validateCurriculum(plan);
  return validateCurriculum(scaleCurriculum(plan, Math.max(plan.stages.length, Math.floor(o.maxTokens / o.tokensPerStep))));
}

/**
 * The same weights with a different context length (RoPE tables rebuilt for
 * maxLen): RoPE uses absolute positions, so a base model trained at 128 can
 * be adapted at 256 (positions past 128 are new to it; adaptation trains them).
 */
export function withContext(model: A3Model, maxLen: number): A3Model {
  if (model.config.maxLen === maxLen) return model;
  const byName = new Map(namedParams(model).map((p) => [p.name, p.variable]));
  // Reads happen once, on the Node side, before training: dataSync is fine here.
  const next = createModel({ ...model.config, maxLen }, (name) => byName.get(name)?.dataSync() as Float32Array);
  disposeModel(model);
  return next;
}

/** What a run's starting weights were trained on, so the record it ships covers every run before it. */
export interface InitRecord {
  /** The starting folder's training.json (its guard slice left out: that belongs to those weights only), or null. */
  initTraining: Record<string, unknown> | null;
  /**
   * Tokens of any-order adaptation in all: this run's plus, when the start was itself an adapted
   * model (a rehearsal after the curriculum), the tokens its record counts. What the page quotes.
   */
  adaptTokensInAll: number;
}

export function initRecord(initDir: string | null, runTokens: number): InitRecord {
  const path = initDir === null ? null : join(initDir, 'training.json');
  if (path === null || !existsSync(path)) return { initTraining: null, adaptTokensInAll: runTokens };
  const { guard: _guard, ...initTraining } = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  // Only adaptations carry `variant`; a pretraining record's tokens are the base model's, not adaptation.
  const before = typeof initTraining.variant === 'string' ? Number(initTraining.adaptTokensInAll ?? initTraining.totalTokens ?? 0) : 0;
  return { initTraining, adaptTokensInAll: runTokens + before };
}

/** A fresh model of the base preset's shape for this tokenizer (joint training from scratch). */
export function freshModel(vocabSize: number, maxLen: number, seed: number): A3Model {
  const config: ModelConfig = { ...PRESETS.base, vocabSize, maxLen };
  return initModel(config, seed);
}

export interface StageEvalInputs {
  variant: Variant;
  /** Validation windows per length; 128 (when the context allows) gives the unsuffixed keys. */
  windowsByLength: Map<number, TokenBatch[]>;
  /** Held-out story middles that fit the context. */
  gapProblems: GapProblem[];
}

/** Validation windows at 128 (kept so figures compare with the first models) and at the model's context. */
export function evalWindowSets(valTokens: Int32Array, count: number, maxLen: number): Map<number, TokenBatch[]> {
  const lengths = [...new Set([Math.min(128, maxLen), maxLen])];
  return new Map(lengths.map((len) => [len, evalWindows(valTokens, count, len)]));
}

export function fittingProblems(problems: GapProblem[], maxLen: number, count?: number): GapProblem[] {
  const fits = problems.filter((p) => problemLength(p) <= maxLen);
  return count === undefined ? fits : fits.slice(0, count);
}

/**
 * The figures after every stage (nats/token). Keys without a suffix are at
 * 128 tokens (or the whole context if shorter), keys ending `@<len>` at the
 * model's longer context. Gap figures: NLL per gap token of the story middles, averaged over gaps.
 */
export async function stageMetrics(model: A3Model, o: StageEvalInputs): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const shortest = Math.min(...o.windowsByLength.keys());
  for (const [len, windows] of o.windowsByLength) {
    const suffix = len === shortest ? '' : ` @${len}`;
    const figures: Record<string, number> =
      o.variant === 'mdlm'
        ? { 'diffusion bound': await mdlmBound(model, windows) }
        : {
            ...(await a3NllTable(model, windows, EVAL_GROUPINGS)),
            [groupingLabel(EVAL_SPAN_INFILL)]: await a3Nll(model, windows, EVAL_SPAN_INFILL),
            'AR (content stream)': await arNll(model, windows),
          };
    for (const [k, v] of Object.entries(figures)) out[`${k}${suffix}`] = v;
  }
  if (o.variant !== 'mdlm' && o.gapProblems.length > 0) Object.assign(out, gapMetrics(model, o.gapProblems));
  return out;
}

/**
 * Gap NLL of the story middles under this one model, as `npm run eval` reports
 * it (per gap, averaged): A3 with both sides / the prefix only, and its own
 * content stream as the AR model with the prefix only.
 */
function gapMetrics(model: A3Model, problems: GapProblem[]): Record<string, number> {
  // One bootstrap resample: only the means are kept here (eval reports the intervals).
  const { rows } = scoreGapSet({ base: model, a3: model }, problems, { seed: 1, resamples: 1 });
  const mean = (id: GapScorerId) => rows.find((r) => r.scorer === id)?.meanNll ?? NaN;
  return {
    'gap: A3 both sides s=1': mean('a3-both-s1'),
    'gap: A3 prefix only': mean('a3-prefix'),
    'gap: AR (content stream) prefix only': mean('ar-prefix'),
  };
}
