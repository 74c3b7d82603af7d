/** The divergence rule (lib/train/divergence.ts): a 10-step mean more than 3 nats above the stage's first step. */
import { describe, expect, it } from 'vitest';
import { makeRng } from '@/lib/a3/random';
import { DIVERGENCE_MARGIN_NATS, DIVERGENCE_WINDOW, divergenceWarning, nonFiniteWarning, recentLoss } from '@/lib/train/divergence';

const history = (losses: number[]) => losses.map((loss, step) => ({ step, loss }));

describe('divergence', () => {
  it('recentLoss is the mean of the last 10 steps (fewer at the start, null before any)', () => {
    expect(DIVERGENCE_WINDOW).toBe(10);
    expect(recentLoss([])).toBeNull();
    expect(recentLoss(history([2, 4]))).toBe(3);
    expect(recentLoss(history([100, ...Array(10).fill(1)]))).toBe(1);
  });

  it('fires when the recent mean is more than 3 nats above the first step, and says so with numbers', () => {
    expect(DIVERGENCE_MARGIN_NATS).toBe(3);
    expect(divergenceWarning(history([3]))).toBeNull();
    expect(divergenceWarning(history([3, 9]))).toBeNull(); // mean 6.0: exactly start + 3 is not yet "more than"
    const w = divergenceWarning(history([3, 9.2]));
    expect(w).toMatch(/^the loss diverged: 6\.10 nats\/token over the last 2 steps, against 3\.00 at the start of the stage/);
    expect(w).toMatch(/earlier checkpoints are kept/);
    // lr 5 in issue 14: 1546 nats/token after a few steps.
    expect(divergenceWarning(history([3.1, 3.4, 40, 1546]))).not.toBeNull();
  });

  it('does not fire on noisy healthy runs: falling, flat with ±1.5 nat batches, or a single bad batch', () => {
    const rng = makeRng(5);
    const falling = Array.from({ length: 400 }, (_, i) => 8 * Math.exp(-i / 50) + 1 + 3 * (rng() - 0.5));
    const flat = Array.from({ length: 400 }, () => 2 + 3 * (rng() - 0.5));
    for (const losses of [falling, flat]) {
      for (let n = 1; n <= losses.length; n++) expect(divergenceWarning(history(losses.slice(0, n)))).toBeNull();
    }
    expect(divergenceWarning(history([3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 30]))).toBeNull(); // mean 5.7
  });

  it('words the non-finite stop the same way', () => {
    expect(nonFiniteWarning(5)).toBe('the loss diverged: 5 steps in a row had a non-finite loss or gradient. Training stopped without saving this state; earlier checkpoints are kept. Try a lower learning rate.');
  });
});
