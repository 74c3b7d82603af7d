import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useCpu, tiny } from '../helpers/tf';
import { arForward, disposeModel, forward, initModel, type A3Model } from '@/lib/a3/model';
import { a3Loss, arLoss } from '@/lib/a3/likelihood';
import { groupIdsFor, groupingLabel, leftToRight, toGroups, type GroupingSpec } from '@/lib/a3/groups';
import { makeRng } from '@/lib/a3/random';
import { randomWindows, stepSeed } from '@/lib/train/batches';
import {
  EVAL_GROUPINGS,
  batchGroupIds,
  defaultCurriculum,
  infillAfterCurriculum,
  infillCurriculum,
  jointCurriculum,
  l2rRehearsalCurriculum,
  scaleCurriculum,
  spanInfillMix,
  stageBatchGrouping,
  stageGroupingLabel,
  stage3OnlyCurriculum,
  validateCurriculum,
  type Curriculum,
  type Stage,
} from '@/lib/train/curriculum';
import { Trainer } from '@/lib/train/trainer';

beforeAll(async () => {
  await useCpu();
});

describe('curricula as data', () => {
  it('defaultCurriculum: stages 1, 2a, 2b, 3a, 3b in order', () => {
    const c = defaultCurriculum(100, 2e-3);
    expect(c.groupingPer).toBe('batch');
    expect(c.stages.map((s) => s.grouping)).toEqual([
      { kind: 'left-to-right' },
      { kind: 'contiguous', size: 2 },
      { kind: 'contiguous', size: 4 },
      { kind: 'random', size: 4 },
      { kind: 'random', size: 8 },
    ]);
    expect(c.stages.map((s) => s.name.split(':')[0])).toEqual(['1', '2a', '2b', '3a', '3b']);
    c.stages.forEach((s) => {
      expect(s.steps).toBe(100);
      expect(s.lr).toBe(2e-3);
      expect(s.warmup).toBeGreaterThanOrEqual(0);
      expect(s.warmup).toBeLessThanOrEqual(50);
    });
    expect(validateCurriculum(c)).toBe(c);
    expect(defaultCurriculum(1000).stages[0].warmup).toBe(50); // the paper's 50 warm-up steps
  });

  it('stage3OnlyCurriculum has the same total budget, all random groupings', () => {
    for (const per of [100, 37]) {
      const full = defaultCurriculum(per);
      const total = full.stages.reduce((n, s) => n + s.steps, 0);
      const ablation = stage3OnlyCurriculum(total);
      expect(ablation.stages.reduce((n, s) => n + s.steps, 0)).toBe(total);
      expect(ablation.stages.map((s) => s.grouping)).toEqual([
        { kind: 'random', size: 4 },
        { kind: 'random', size: 8 },
      ]);
      expect(validateCurriculum(ablation)).toBe(ablation);
    }
  });

  it('validateCurriculum gives clear errors', () => {
    const good = defaultCurriculum(10);
    const withStage = (patch: Partial<Stage>): Curriculum => ({ ...good, stages: [{ ...good.stages[0], ...patch }] });
    expect(() => validateCurriculum({ ...good, stages: [] })).toThrow(/at least one stage/);
    expect(() => validateCurriculum(withStage({ steps: 0 }))).toThrow(/steps/);
    expect(() => validateCurriculum(withStage({ steps: 2.5 }))).toThrow(/steps/);
    expect(() => validateCurriculum(withStage({ lr: 0 }))).toThrow(/learning rate/);
    expect(() => validateCurriculum(withStage({ lr: NaN }))).toThrow(/learning rate/);
    expect(() => validateCurriculum(withStage({ lr: Infinity }))).toThrow(/learning rate/);
    expect(() => validateCurriculum(withStage({ warmup: -1 }))).toThrow(/warm-up/);
    expect(() => validateCurriculum(withStage({ grouping: { kind: 'random', size: 0 } }))).toThrow(/group size/);
    expect(() => validateCurriculum(withStage({ grouping: { kind: 'contiguous', size: 1.5 } }))).toThrow(/group size/);
    expect(() => validateCurriculum(withStage({ steps: 0 }))).toThrow(/stage 1/);
  });

  it('validateCurriculum rejects duplicate stage names, bad mixes and objectives', () => {
    const good = defaultCurriculum(10);
    const twice = { ...good, stages: [good.stages[0], { ...good.stages[1], name: good.stages[0].name }] };
    expect(() => validateCurriculum(twice)).toThrow(/stage 2 \(1: left-to-right\): another stage has the same name/);
    const withStage = (patch: Partial<Stage>): Curriculum => ({ ...good, stages: [{ ...good.stages[0], ...patch }] });
    expect(() => validateCurriculum(withStage({ mix: [{ p: 0, grouping: { kind: 'random', size: 4 } }] }))).toThrow(/mix probability must be in \(0, 1\]/);
    expect(() => validateCurriculum(withStage({ mix: [{ p: 0.7, grouping: { kind: 'random', size: 4 } }, { p: 0.6, grouping: { kind: 'left-to-right' } }] }))).toThrow(/add up to 1.3/);
    expect(() => validateCurriculum(withStage({ mix: [{ p: 0.5, grouping: { kind: 'span-infill', size: 0, order: 'random' } }] }))).toThrow(/stage 1 .*group size/);
    expect(() => validateCurriculum(withStage({ objective: 'mdlm' as 'ar' }))).toThrow(/objective must be one of a3, ar, joint/);
    for (const c of [infillCurriculum(10), infillAfterCurriculum(10), jointCurriculum(10), jointCurriculum(10, 1e-3, 5)]) expect(validateCurriculum(c)).toBe(c);
  });

  it('the span-infill and joint variants: the paper stages, mixed or followed by span infilling', () => {
    const paper = defaultCurriculum(40);
    const mixed = infillCurriculum(40, 1e-3, 0.5);
    expect(mixed.stages.map((s) => s.steps)).toEqual(paper.stages.map((s) => s.steps)); // equal tokens by construction
    expect(mixed.stages.slice(0, 3)).toEqual(paper.stages.slice(0, 3));
    expect(mixed.stages.slice(3).map((s) => s.grouping)).toEqual(paper.stages.slice(3).map((s) => s.grouping));
    expect(mixed.stages[3].mix).toEqual(spanInfillMix(0.5));
    expect(stageGroupingLabel(mixed.stages[3])).toBe('random s=4 (50%), span-infill s=1 (17%), span-infill s=4 (17%), span-infill s=1 random order (17%)');
    expect(stageGroupingLabel(paper.stages[0])).toBe('left-to-right s=1');
    expect(infillAfterCurriculum(40).stages).toHaveLength(6);
    const joint = jointCurriculum(40, 1e-3, 25);
    expect(joint.stages[0]).toMatchObject({ objective: 'ar', steps: 25 });
    expect(joint.stages.slice(1).every((s) => s.objective === 'joint')).toBe(true);
    expect(jointCurriculum(40).stages.every((s) => s.objective === 'joint')).toBe(true);
  });

  it('the left-to-right rehearsal: one random s=8 stage drawing left to right at about p', () => {
    const c = validateCurriculum(l2rRehearsalCurriculum(40, 1e-3, 0.3));
    expect(c.stages).toHaveLength(1);
    expect(stageGroupingLabel(c.stages[0])).toBe('random s=8 (70%), left-to-right s=1 (30%)');
    const l2r = Array.from(leftToRight(T));
    let l2rBatches = 0;
    const draws = 600;
    for (let seed = 0; seed < draws; seed++) {
      const ids = Array.from(stageBatchGrouping(c.stages[0], 2, T, 'batch', seed).groupIds.subarray(0, T));
      if (ids.every((g, i) => g === l2r[i])) l2rBatches++;
    }
    expect(Math.abs(l2rBatches / draws - 0.3)).toBeLessThan(0.07);
  });

  it('the rehearsal with span infill mixes in the playground\'s infill groupings; without it, the first rounds\' recipe is unchanged', () => {
    const plain = l2rRehearsalCurriculum(40, 1e-3, 0.5);
    expect(l2rRehearsalCurriculum(40, 1e-3, 0.5, 0)).toEqual(plain);
    const c = validateCurriculum(l2rRehearsalCurriculum(40, 1e-3, 0.5, 0.3));
    expect(c.stages[0].name).toBe('4: random s=8 + left-to-right p=0.5 + span infill p=0.3');
    expect(stageGroupingLabel(c.stages[0])).toBe('random s=8 (20%), left-to-right s=1 (50%), span-infill s=1 (10%), span-infill s=4 (10%), span-infill s=1 random order (10%)');
    expect(() => validateCurriculum(l2rRehearsalCurriculum(40, 1e-3, 0.8, 0.3))).toThrow(/more than 1/);
  });

  it('scaleCurriculum hits a step budget exactly, keeping the proportions', () => {
    const c = infillAfterCurriculum(100);
    const scaled = scaleCurriculum(c, 900);
    expect(scaled.stages.reduce((n, s) => n + s.steps, 0)).toBe(900);
    expect(scaled.stages.map((s) => s.steps)).toEqual([150, 150, 150, 150, 150, 150]);
    expect(scaleCurriculum(jointCurriculum(100, 1e-3, 50), 110).stages.reduce((n, s) => n + s.steps, 0)).toBe(110);
    scaled.stages.forEach((s) => expect(s.warmup).toBeLessThanOrEqual(Math.floor(s.steps / 5)));
    expect(() => scaleCurriculum(c, 5)).toThrow(/cannot cover 6 stages/);
  });

  it('labels groupings', () => {
    expect(EVAL_GROUPINGS.map(groupingLabel)).toEqual(['left-to-right s=1', 'contiguous s=4', 'random s=4', 'random s=8']);
  });
});

describe('grouping samplers', () => {
  it('left-to-right gives singletons in order', () => {
    expect(Array.from(groupIdsFor({ kind: 'left-to-right' }, 7, { seed: 3 }))).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('contiguous gives blocks of s consecutive positions, left to right', () => {
    for (const [n, s] of [[16, 2], [16, 4], [18, 4], [5, 8]]) {
      const gids = groupIdsFor({ kind: 'contiguous', size: s }, n, { seed: 1 });
      const groups = toGroups(gids);
      expect(groups).toHaveLength(Math.ceil(n / s));
      groups.forEach((g, k) => {
        expect(g[0]).toBe(k * s);
        expect(g.length).toBe(k < groups.length - 1 ? s : n - s * (groups.length - 1));
        g.forEach((p, j) => expect(p).toBe(g[0] + j));
      });
    }
  });

  it('random: every group has size s except possibly the last; rarely contiguous; group 0 uniform over positions', () => {
    const n = 18;
    const seeds = 400;
    for (const s of [4, 8]) {
      const inFirst = new Array(n).fill(0);
      let contiguousGroups = 0;
      let groupsSeen = 0;
      for (let seed = 0; seed < seeds; seed++) {
        const gids = groupIdsFor({ kind: 'random', size: s }, n, { seed });
        const groups = toGroups(gids);
        const K = Math.ceil(n / s);
        expect(groups).toHaveLength(K);
        expect(groups.map((g) => g.length)).toEqual([...new Array(K - 1).fill(s), n - s * (K - 1)]);
        for (const g of groups.slice(0, K - 1)) {
          groupsSeen++;
          if (g[g.length - 1] - g[0] === g.length - 1) contiguousGroups++;
        }
        groups[0].forEach((p) => inFirst[p]++);
      }
      expect(contiguousGroups / groupsSeen).toBeLessThan(0.05);
      // each position lands in group 0 with probability s/n
      const p = s / n;
      const sd = Math.sqrt((seeds * p * (1 - p)));
      inFirst.forEach((c) => expect(Math.abs(c - seeds * p)).toBeLessThan(4.5 * sd));
    }
  });

  it('random groupings are deterministic per seed and differ between seeds', () => {
    const g: GroupingSpec = { kind: 'random', size: 4 };
    expect(Array.from(groupIdsFor(g, 16, { seed: 5 }))).toEqual(Array.from(groupIdsFor(g, 16, { seed: 5 })));
    expect(Array.from(groupIdsFor(g, 16, { seed: 5 }))).not.toEqual(Array.from(groupIdsFor(g, 16, { seed: 6 })));
  });

  it("batchGroupIds: 'batch' shares one grouping across the batch, 'sequence' draws one per sequence", () => {
    const g: GroupingSpec = { kind: 'random', size: 4 };
    const B = 6;
    const T = 16;
    const rows = (ids: Int32Array) => Array.from({ length: B }, (_, b) => Array.from(ids.subarray(b * T, (b + 1) * T)).join(','));
    const shared = batchGroupIds(g, B, T, 'batch', 42);
    expect(shared).toHaveLength(B * T);
    expect(new Set(rows(shared)).size).toBe(1);
    expect(rows(shared)[0]).toBe(Array.from(groupIdsFor(g, T, { seed: 42 })).join(','));
    const per = batchGroupIds(g, B, T, 'sequence', 42);
    expect(new Set(rows(per)).size).toBe(B);
    expect(Array.from(batchGroupIds(g, B, T, 'sequence', 42))).toEqual(Array.from(per));
    expect(Array.from(batchGroupIds(g, B, T, 'batch', 43))).not.toEqual(Array.from(shared));
    const ltr = batchGroupIds({ kind: 'left-to-right' }, 2, 4, 'sequence', 0);
    expect(Array.from(ltr)).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
  });
});

describe('stageBatchGrouping', () => {
  const T = 40;
  it('a stage without a mix gives exactly batchGroupIds (older runs replay bit for bit), no given', () => {
    for (const stage of defaultCurriculum(10).stages) {
      for (const per of ['batch', 'sequence'] as const) {
        const got = stageBatchGrouping(stage, 5, T, per, 99);
        expect(Array.from(got.groupIds)).toEqual(Array.from(batchGroupIds(stage.grouping, 5, T, per, 99)));
        expect(got.given).toBeUndefined();
      }
    }
  });

  it('span-infill rows: own spans per row, context given (group 0), spans scored', () => {
    const stage: Stage = { name: 'x', steps: 1, lr: 1, warmup: 0, grouping: { kind: 'span-infill', size: 1, order: 'left-to-right' } };
    const { groupIds, given } = stageBatchGrouping(stage, 6, T, 'batch', 7);
    expect(given).toBeDefined();
    const rowsOf = (a: ArrayLike<number>) => Array.from({ length: 6 }, (_, b) => Array.from(a).slice(b * T, (b + 1) * T));
    const g = rowsOf(groupIds);
    expect(new Set(g.map((r) => r.join())).size).toBe(6);
    rowsOf(given ?? []).forEach((r, b) => r.forEach((x, i) => expect(x).toBe(g[b][i] === 0 ? 1 : 0)));
  });

  it('a mix draws each grouping about as often as its probability, seeded', () => {
    const stage = infillCurriculum(10, 1e-3, 0.5).stages[3];
    let spanBatches = 0;
    const draws = 600;
    for (let seed = 0; seed < draws; seed++) if (stageBatchGrouping(stage, 2, T, 'batch', seed).given) spanBatches++;
    expect(Math.abs(spanBatches / draws - 0.5)).toBeLessThan(0.07);
    expect(Array.from(stageBatchGrouping(stage, 2, T, 'batch', 3).groupIds)).toEqual(Array.from(stageBatchGrouping(stage, 2, T, 'batch', 3).groupIds));
    // Per sequence: rows of one batch can differ in kind.
    const mixedRows = Array.from({ length: 50 }, (_, seed) => stageBatchGrouping(stage, 8, T, 'sequence', seed)).filter((b) => {
      const ctx = b.given;
      if (!ctx) return false;
      const rowsWithContext = Array.from({ length: 8 }, (_, r) => ctx.subarray(r * T, (r + 1) * T).some((x) => x === 1));
      return rowsWithContext.some(Boolean) && !rowsWithContext.every(Boolean);
    });
    expect(mixedRows.length).toBeGreaterThan(10);
  });
});

// ---------------------------------------------------------------------------
// Training on the tiny config

const B = 4;
const T = 12;
/** A Markov stream over tokens 4..15: a fixed successor with probability 0.75, else uniform. */
function markovStream(length: number, seed: number): Int32Array {
  const rng = makeRng(seed);
  const out = new Int32Array(length);
  let cur = 4;
  for (let i = 0; i < length; i++) {
    out[i] = cur;
    cur = rng() < 0.75 ? 4 + (((cur - 4) * 5 + 3) % 12) : 4 + Math.floor(rng() * 12);
  }
  return out;
}
const STREAM = markovStream(600, 3);

interface Batch {
  batch: number;
  tokens: Int32Array;
  groupIds: Int32Array;
}

async function runStage(model: A3Model, stage: Stage, per: Curriculum['groupingPer'], loss: 'a3' | 'ar' = 'a3'): Promise<number[]> {
  const trainer = new Trainer<Batch>({
    model,
    stage: stage.name,
    steps: stage.steps,
    schedule: { peak: stage.lr, warmup: stage.warmup, total: stage.steps, minRatio: 0.1 },
    tokensPerStep: B * T,
    batchAt: (step) => ({
      batch: B,
      tokens: randomWindows(STREAM, B, T, stepSeed(9, step)).tokens,
      groupIds: batchGroupIds(stage.grouping, B, T, per, stepSeed(77, step)),
    }),
    loss: loss === 'a3' ? (m, b) => a3Loss(m, b) : (m, b) => arLoss(m, b),
  });
  const done = await trainer.run();
  expect(done.reason).toBe('finished');
  const losses = trainer.history.map((h) => h.loss);
  trainer.dispose();
  return losses;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('training through the curriculum', () => {
  it('reduces the loss for every stage grouping', async () => {
    const c = defaultCurriculum(20, 1e-2);
    for (const stage of c.stages) {
      const model = initModel(tiny, 5);
      const losses = await runStage(model, stage, c.groupingPer);
      disposeModel(model);
      const start = mean(losses.slice(0, 3));
      const end = mean(losses.slice(-3));
      expect(end, `${stage.name}: ${start.toFixed(3)} -> ${end.toFixed(3)}`).toBeLessThan(start - 0.1);
    }
  });

  it("stage 1 brings the query stream's left-to-right predictions to the base AR's", async () => {
    const model = initModel(tiny, 6);
    // brief AR pretraining: the "pretrained base model"
    const pre: Stage = { name: 'pretrain', steps: 40, lr: 1e-2, warmup: 4, grouping: { kind: 'left-to-right' } };
    const arLosses = await runStage(model, pre, 'batch', 'ar');
    expect(mean(arLosses.slice(-3))).toBeLessThan(mean(arLosses.slice(0, 3)) - 0.5);

    const probe = randomWindows(STREAM, 4, T, 12345);
    const gids = new Int32Array(4 * T);
    for (let b = 0; b < 4; b++) gids.set(leftToRight(T), b * T);
    /** mean over i = 1..T-1 of KL(AR next-token dist at i-1 || query dist at i, gid = arange). */
    const kl = (): number =>
      tf.tidy(() => {
        const ar = tf.logSoftmax(arForward(model, { batch: 4, tokens: probe.tokens }).logits).reshape([4, T, -1]);
        const q = tf.logSoftmax(forward(model, { batch: 4, tokens: probe.tokens, groupIds: gids }).logits).reshape([4, T, -1]);
        const p = ar.slice([0, 0, 0], [4, T - 1, -1]); // AR at i-1 predicts token i
        const qq = q.slice([0, 1, 0], [4, T - 1, -1]); // query at i predicts token i (no shift)
        return tf.mean(tf.sum(tf.mul(tf.exp(p), tf.sub(p, qq)), -1)).dataSync()[0];
      });

    const before = kl();
    const stage1 = defaultCurriculum(30, 1e-2).stages[0];
    expect(stage1.grouping).toEqual({ kind: 'left-to-right' });
    const a3Losses = await runStage(model, stage1, 'batch');
    const after = kl();
    disposeModel(model);
    expect(Number.isFinite(before) && Number.isFinite(after)).toBe(true);
    expect(before).toBeGreaterThan(0.1); // w is new: the query stream starts far from the AR
    expect(after, `KL ${before.toFixed(3)} -> ${after.toFixed(3)}`).toBeLessThan(before * 0.5);
    expect(mean(a3Losses.slice(-3))).toBeLessThan(mean(a3Losses.slice(0, 3)));
  });
});
