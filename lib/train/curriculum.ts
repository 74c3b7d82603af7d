/**
 * The progressive A3 curriculum (`../shared/A3.md` §3) as data: stage order,
 * steps, learning rate, warm-up, the objective and the grouping each batch is
 * trained on (one GroupingSpec, optionally mixed with others). Custom curricula
 * are plain objects of the same shape (the page builds them). tf-free: the page
 * imports it; the losses a stage names live in losses.ts.
 *
 * Longer than most: it is the catalogue of every named curriculum plus the
 * validator for custom ones, and they are kept together so the stage shape, its
 * checks and its presets change in one place.
 */
import { groupIdsFor, groupingLabel, groupZeroIsContext, validateGroupingSpec, type GroupingSpec } from '../a3/groups';
import { makeRng } from '../a3/random';

/**
 * What a stage minimises. 'a3': the query stream's A3 loss (the paper);
 * 'ar': the content stream's next-token loss (pretraining, an AR warm-up);
 * 'joint': both on the same batch (likelihood.ts `jointLoss`).
 */
export type StageObjective = 'a3' | 'ar' | 'joint';

/** With probability p a batch (or sequence) uses `grouping` instead of the stage's own. */
export interface GroupingMix {
  p: number;
  grouping: GroupingSpec;
}

export interface Stage {
  /** Display name; unique within a curriculum (results and checkpoints are keyed by it). */
  name: string;
  steps: number;
  lr: number;
  warmup: number;
  /** The grouping drawn with the probability the mix leaves (all of it without a mix). */
  grouping: GroupingSpec;
  mix?: GroupingMix[];
  /** Default 'a3'. */
  objective?: StageObjective;
}

export interface Curriculum {
  name: string;
  /** 'batch': one grouping per batch, redrawn each batch (the paper); 'sequence': one per sequence. */
  groupingPer: 'batch' | 'sequence';
  stages: Stage[];
}

/** [B, T] group ids for a batch: one grouping shared by the batch, or one per sequence. */
export function batchGroupIds(g: GroupingSpec, batch: number, length: number, per: Curriculum['groupingPer'], seed: number): Int32Array {
  const out = new Int32Array(batch * length);
  for (let b = 0; b < batch; b++) {
    const ids = per === 'batch' && b > 0 ? out.subarray(0, length) : groupIdsFor(g, length, { seed: seed + b });
    out.set(ids, b * length);
  }
  return out;
}

/** A stage's groupings for one batch; `given` (1 = context, not scored) only when some row is span infilling. */
export interface BatchGrouping {
  groupIds: Int32Array;
  given?: Uint8Array;
}

/** The grouping a draw u ~ U[0,1) picks: the mix entries in order, then the stage's own. */
function pick(stage: Stage, u: number): GroupingSpec {
  let acc = 0;
  for (const m of stage.mix ?? []) {
    acc += m.p;
    if (u < acc) return m.grouping;
  }
  return stage.grouping;
}

/**
 * Group ids (and context marks) for one training batch of a stage. A stage
 * without a mix gives exactly `batchGroupIds(stage.grouping, ...)`, so runs
 * from before mixes existed replay bit for bit. Span-infill rows are drawn
 * per row even under 'batch' (spans, and sentences, differ by row) and mark their
 * context as given: the loss scores the spans only (group 0 would otherwise be
 * most of the row, each token predicted from w alone).
 */
export function stageBatchGrouping(
  stage: Stage,
  batch: number,
  length: number,
  per: Curriculum['groupingPer'],
  seed: number,
  sentenceStarts?: (row: number) => ArrayLike<number>,
): BatchGrouping {
  const choose = makeRng((seed ^ 0x27d4eb2f) >>> 0);
  const groupIds = new Int32Array(batch * length);
  let given: Uint8Array | undefined;
  let spec = pick(stage, stage.mix ? choose() : 1);
  for (let b = 0; b < batch; b++) {
    if (per === 'sequence' && b > 0 && stage.mix) spec = pick(stage, choose());
    // Span-infill rows are always drawn per row: each row gets its own spans (and its own sentences).
    const shared = per === 'batch' && b > 0 && !groupZeroIsContext(spec);
    const ids = shared ? groupIds.subarray(0, length) : groupIdsFor(spec, length, { seed: seed + b, sentenceStarts: sentenceStarts?.(b) });
    groupIds.set(ids, b * length);
    if (groupZeroIsContext(spec)) {
      given ??= new Uint8Array(batch * length);
      for (let i = 0; i < length; i++) given[b * length + i] = ids[i] === 0 ? 1 : 0;
    }
  }
  return given ? { groupIds, given } : { groupIds };
}

function stage(name: string, grouping: GroupingSpec, steps: number, lr: number, extra: Partial<Stage> = {}): Stage {
  return { name, steps, lr, warmup: Math.min(50, Math.floor(steps / 5)), grouping, ...extra };
}

/** The paper's curriculum: stages 1, 2 (s=2, 4), 3 (s=4, 8), each resuming from the last. */
export function defaultCurriculum(stepsPerStage: number, lr = 1e-3): Curriculum {
  return {
    name: 'A3 progressive',
    groupingPer: 'batch',
    stages: [
      stage('1: left-to-right', { kind: 'left-to-right' }, stepsPerStage, lr),
      stage('2a: contiguous s=2', { kind: 'contiguous', size: 2 }, stepsPerStage, lr),
      stage('2b: contiguous s=4', { kind: 'contiguous', size: 4 }, stepsPerStage, lr),
      stage('3a: random s=4', { kind: 'random', size: 4 }, stepsPerStage, lr),
      stage('3b: random s=8', { kind: 'random', size: 8 }, stepsPerStage, lr),
    ],
  };
}

/** The ablation: stage 3 only, with the whole curriculum's budget. */
export function stage3OnlyCurriculum(totalSteps: number, lr = 1e-3): Curriculum {
  const half = Math.floor(totalSteps / 2);
  return {
    name: 'A3 stage-3 only (ablation)',
    groupingPer: 'batch',
    stages: [stage('3a: random s=4', { kind: 'random', size: 4 }, half, lr), stage('3b: random s=8', { kind: 'random', size: 8 }, totalSteps - half, lr)],
  };
}

/**
 * Span-infill groupings of the playground's decoders: the gap left to right
 * in singletons (group-wise s=1), in blocks of 4 (s=4), and in random order
 * (dynamic decoding commits in an order it chooses). Equal shares.
 */
export function spanInfillMix(p: number): GroupingMix[] {
  const each = p / 3;
  return [
    { p: each, grouping: { kind: 'span-infill', size: 1, order: 'left-to-right' } },
    { p: each, grouping: { kind: 'span-infill', size: 4, order: 'left-to-right' } },
    { p: each, grouping: { kind: 'span-infill', size: 1, order: 'random' } },
  ];
}

/**
 * Span infilling inside the paper's curriculum, same stages and budget as
 * defaultCurriculum: stages 1-2b as the paper, then 3a/3b draw span infilling
 * with probability `p` and the paper's random subsets otherwise (so every
 * playground decoder, random-order ones included, stays trained).
 */
export function infillCurriculum(stepsPerStage: number, lr = 1e-3, p = 0.5): Curriculum {
  const paper = defaultCurriculum(stepsPerStage, lr);
  const mixed = (s: Stage): Stage => ({ ...s, name: `${s.name} + span infill p=${p}`, mix: spanInfillMix(p) });
  return { name: `A3 progressive + span infill (p=${p} in stage 3)`, groupingPer: 'batch', stages: [...paper.stages.slice(0, 3), ...paper.stages.slice(3).map(mixed)] };
}

/** The paper's stages followed by one span-infill stage (mixed with random s=8 at 1-p), `stepsPerStage` more steps. */
export function infillAfterCurriculum(stepsPerStage: number, lr = 1e-3, p = 0.5): Curriculum {
  const paper = defaultCurriculum(stepsPerStage, lr);
  const last = stage(`4: span infill p=${p} + random s=8`, { kind: 'random', size: 8 }, stepsPerStage, lr, { mix: spanInfillMix(p) });
  return { name: `A3 progressive, then span infill (p=${p})`, groupingPer: 'batch', stages: [...paper.stages, last] };
}

/**
 * Joint training: every stage trains both streams on the same batch (the
 * content stream's next-token loss + the query stream's A3 loss), through the
 * paper's groupings and a span-infill mix at the end; `arWarmup` > 0 first
 * runs that many steps of the AR loss alone (for a fresh init).
 */
export function jointCurriculum(stepsPerStage: number, lr = 1e-3, arWarmup = 0, p = 0.5): Curriculum {
  const joint = (s: Stage): Stage => ({ ...s, name: `joint ${s.name}`, objective: 'joint' });
  const stages = infillCurriculum(stepsPerStage, lr, p).stages.map(joint);
  if (arWarmup > 0) stages.unshift(stage('0: AR warm-up', { kind: 'left-to-right' }, arWarmup, lr, { objective: 'ar' }));
  return { name: `joint AR + A3${arWarmup > 0 ? ` after ${arWarmup} AR steps` : ''}`, groupingPer: 'batch', stages };
}

/**
 * Pretrain-then-adapt in one run, the paper's recipe at our scale: `arSteps`
 * of the AR loss alone (more pretraining of the content stream), then the
 * span-infill curriculum on the query stream. Its AR model is the state after
 * the first stage; the comparison with `jointCurriculum` is at equal wall time.
 */
export function pretrainThenInfillCurriculum(stepsPerStage: number, lr = 1e-3, arSteps = 0, p = 0.5): Curriculum {
  const stages = infillCurriculum(stepsPerStage, lr, p).stages;
  if (arSteps > 0) stages.unshift(stage('0: AR pretraining', { kind: 'left-to-right' }, arSteps, lr, { objective: 'ar' }));
  return { name: `AR pretraining (${arSteps} steps), then A3 + span infill (p=${p})`, groupingPer: 'batch', stages };
}

/**
 * One more stage for an adapted A3 model (start it from that model with
 * --base): the paper's last grouping, random s=8, with left-to-right batches
 * mixed in at probability `p`. Why: the random-subset stages are what cost
 * left-to-right quality (results/adapt-a3.json: +0.14 nats/token behind the
 * AR parent after stage 1, +0.41 after 3b); rehearsing left to right while keeping
 * random subsets measures whether one model can hold both. `infillP` > 0 also
 * mixes in the playground's span-infill groupings (spanInfillMix): left-to-right
 * rehearsal alone stopped moving the gap NLL after two rounds.
 */
export function l2rRehearsalCurriculum(steps: number, lr = 1e-3, p = 0.5, infillP = 0): Curriculum {
  const mix: GroupingMix[] = [{ p, grouping: { kind: 'left-to-right' } }, ...(infillP > 0 ? spanInfillMix(infillP) : [])];
  const infill = infillP > 0 ? ` + span infill p=${infillP}` : '';
  const last = stage(`4: random s=8 + left-to-right p=${p}${infill}`, { kind: 'random', size: 8 }, steps, lr, { mix });
  return { name: `left-to-right${infill} rehearsal (p=${p}) after the A3 curriculum`, groupingPer: 'batch', stages: [last] };
}

/**
 * The same curriculum with every stage's steps scaled so the whole run is
 * `totalSteps` (equal-token comparisons between variants); each stage keeps
 * at least one step, the last absorbs rounding.
 */
export function scaleCurriculum(c: Curriculum, totalSteps: number): Curriculum {
  const before = c.stages.reduce((n, s) => n + s.steps, 0);
  if (!Number.isInteger(totalSteps) || totalSteps < c.stages.length) throw new Error(`a budget of ${totalSteps} steps cannot cover ${c.stages.length} stages`);
  let left = totalSteps;
  const stages = c.stages.map((s, i) => {
    const steps = i === c.stages.length - 1 ? left : Math.max(1, Math.round((s.steps * totalSteps) / before));
    left -= steps;
    return { ...s, steps, warmup: Math.min(s.warmup, Math.floor(steps / 5)) };
  });
  if (stages.some((s) => s.steps < 1)) throw new Error(`a budget of ${totalSteps} steps cannot cover ${c.stages.length} stages`);
  return { ...c, stages };
}

const OBJECTIVES: readonly StageObjective[] = ['a3', 'ar', 'joint'];

/** Checks a custom curriculum; clear errors for the page's form. */
export function validateCurriculum(c: Curriculum): Curriculum {
  if (c.stages.length === 0) throw new Error('a curriculum needs at least one stage');
  const names = new Set<string>();
  c.stages.forEach((s, i) => {
    const where = `stage ${i + 1} (${s.name})`;
    if (names.has(s.name)) throw new Error(`${where}: another stage has the same name; stage names must be unique`);
    names.add(s.name);
    if (!Number.isInteger(s.steps) || s.steps < 1) throw new Error(`${where}: steps must be a positive integer`);
    if (!(s.lr > 0) || !Number.isFinite(s.lr)) throw new Error(`${where}: learning rate must be positive`);
    if (!Number.isInteger(s.warmup) || s.warmup < 0) throw new Error(`${where}: warm-up must be a non-negative integer`);
    if (s.objective !== undefined && !OBJECTIVES.includes(s.objective)) throw new Error(`${where}: objective must be one of ${OBJECTIVES.join(', ')}`);
    const check = (g: GroupingSpec) => {
      try {
        validateGroupingSpec(g);
      } catch (e) {
        throw new Error(`${where}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
    };
    check(s.grouping);
    let total = 0;
    for (const m of s.mix ?? []) {
      if (!(m.p > 0 && m.p <= 1)) throw new Error(`${where}: a mix probability must be in (0, 1], got ${m.p}`);
      total += m.p;
      check(m.grouping);
    }
    if (total > 1 + 1e-9) throw new Error(`${where}: mix probabilities add up to ${+total.toFixed(6)}, more than 1`);
  });
  return c;
}

/** Short description of what a stage draws, e.g. "random s=4 (50%), span-infill s=1 (17%), ...". */
export function stageGroupingLabel(s: Stage): string {
  if (!s.mix?.length) return groupingLabel(s.grouping);
  const rest = 1 - s.mix.reduce((a, m) => a + m.p, 0);
  const part = (g: GroupingSpec, p: number) => `${groupingLabel(g)} (${Math.round(100 * p)}%)`;
  return [...(rest > 1e-9 ? [part(s.grouping, rest)] : []), ...s.mix.map((m) => part(m.grouping, m.p))].join(', ');
}

/** Fixed evaluation groupings reported after every stage. */
export const EVAL_GROUPINGS: GroupingSpec[] = [
  { kind: 'left-to-right' },
  { kind: 'contiguous', size: 4 },
  { kind: 'random', size: 4 },
  { kind: 'random', size: 8 },
];

/** Span infilling as the playground's group-wise s=1 decoder sees it (context given, spans scored). */
export const EVAL_SPAN_INFILL: GroupingSpec = { kind: 'span-infill', size: 1, order: 'left-to-right' };
