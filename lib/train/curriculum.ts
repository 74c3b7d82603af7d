/**
 * The progressive A3 curriculum (`../shared/A3.md` §3) as data: stage order,
 * steps, learning rate, warm-up and the grouping each batch is trained on.
 * Custom curricula are plain objects of the same shape (the page builds them).
 */
import { contiguous, leftToRight, randomSubsets, type GroupIds } from '../a3/groups';
import { makeRng } from '../a3/random';

export type Grouping =
  | { kind: 'left-to-right' }
  | { kind: 'contiguous'; size: number }
  | { kind: 'random'; size: number };

export interface Stage {
  name: string;
  steps: number;
  lr: number;
  warmup: number;
  grouping: Grouping;
}

export interface Curriculum {
  name: string;
  /** 'batch': one grouping per batch, redrawn each batch (the paper); 'sequence': one per sequence. */
  groupingPer: 'batch' | 'sequence';
  stages: Stage[];
}

export function groupingLabel(g: Grouping): string {
  return g.kind === 'left-to-right' ? 'left-to-right s=1' : `${g.kind} s=${g.size}`;
}

/** Group ids of one sequence of `length` for a grouping; `seed` matters only for random ones. */
export function sampleGroupIds(g: Grouping, length: number, seed: number): GroupIds {
  switch (g.kind) {
    case 'left-to-right':
      return leftToRight(length);
    case 'contiguous':
      return contiguous(length, g.size);
    case 'random':
      return randomSubsets(length, g.size, makeRng(seed));
  }
}

/** [B, T] group ids for a batch: one grouping shared by the batch, or one per sequence. */
export function batchGroupIds(g: Grouping, batch: number, length: number, per: Curriculum['groupingPer'], seed: number): Int32Array {
  const out = new Int32Array(batch * length);
  for (let b = 0; b < batch; b++) {
    const ids = per === 'batch' && b > 0 ? out.subarray(0, length) : sampleGroupIds(g, length, seed + b);
    out.set(ids, b * length);
  }
  return out;
}

function stage(name: string, grouping: Grouping, steps: number, lr: number): Stage {
  return { name, steps, lr, warmup: Math.min(50, Math.floor(steps / 5)), grouping };
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

/** Checks a custom curriculum; clear errors for the page's form. */
export function validateCurriculum(c: Curriculum): Curriculum {
  if (c.stages.length === 0) throw new Error('a curriculum needs at least one stage');
  c.stages.forEach((s, i) => {
    if (!Number.isInteger(s.steps) || s.steps < 1) throw new Error(`stage ${i + 1} (${s.name}): steps must be a positive integer`);
    if (!(s.lr > 0) || !Number.isFinite(s.lr)) throw new Error(`stage ${i + 1} (${s.name}): learning rate must be positive`);
    if (!Number.isInteger(s.warmup) || s.warmup < 0) throw new Error(`stage ${i + 1} (${s.name}): warm-up must be a non-negative integer`);
    if (s.grouping.kind !== 'left-to-right' && (!Number.isInteger(s.grouping.size) || s.grouping.size < 1)) {
      throw new Error(`stage ${i + 1} (${s.name}): group size must be an integer >= 1`);
    }
  });
  return c;
}

/** Fixed evaluation groupings reported after every stage. */
export const EVAL_GROUPINGS: Grouping[] = [
  { kind: 'left-to-right' },
  { kind: 'contiguous', size: 4 },
  { kind: 'random', size: 4 },
  { kind: 'random', size: 8 },
];
