/**
 * Group plans the Inspect cell offers, as plain data, and the group ids they
 * give for a sequence of n tokens. Uses lib/a3/groups.ts (pure TS, no tfjs).
 */
import { contiguous, leftToRight, randomSubsets } from '../a3/groups';

export type GroupPlan =
  | { kind: 'left-to-right' }
  | { kind: 'contiguous'; size: number }
  | { kind: 'random'; size: number; seed: number }
  | { kind: 'custom'; gids: number[] };

export type GroupPlanKind = GroupPlan['kind'];

export const DEFAULT_PLAN: GroupPlan = { kind: 'left-to-right' };

/** Group ids for n positions. A custom plan shorter than n gives the extra positions group 0. */
export function planGroupIds(plan: GroupPlan, n: number): number[] {
  switch (plan.kind) {
    case 'left-to-right':
      return Array.from(leftToRight(n));
    case 'contiguous':
      return Array.from(contiguous(n, Math.max(1, Math.floor(plan.size))));
    case 'random':
      return Array.from(randomSubsets(n, Math.max(1, Math.floor(plan.size)), plan.seed));
    case 'custom':
      return Array.from({ length: n }, (_, i) => {
        const g = plan.gids[i];
        return Number.isInteger(g) && g >= 0 ? g : 0;
      });
  }
}

/** Short words for a plan, e.g. "random subsets s=4 (seed 7)". */
export function describePlan(plan: GroupPlan): string {
  switch (plan.kind) {
    case 'left-to-right':
      return 'left-to-right, one token per group (ordinary autoregression)';
    case 'contiguous':
      return `contiguous blocks of ${plan.size}, left to right`;
    case 'random':
      return `random subsets of ${plan.size} (seed ${plan.seed})`;
    case 'custom':
      return 'custom groups';
  }
}

/** Number of distinct groups. */
export function groupCount(gids: readonly number[]): number {
  return new Set(gids).size;
}
