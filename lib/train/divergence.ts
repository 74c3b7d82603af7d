/**
 * When a training run's loss has diverged: the rule the Trainer stops on, and the "recent loss" the
 * checkpoint list shows. tf-free (the page may import it).
 *
 * Diverged = the mean of the last DIVERGENCE_WINDOW step losses is more than DIVERGENCE_MARGIN_NATS above the
 * stage's first step loss. Why this rule:
 * - Additive, in nats: losses are mean negative log-probabilities, so +3 nats means the model now gives the
 *   data e^3 ≈ 20x less probability per token than when the stage started. A healthy run never does that
 *   (it starts where the previous stage or the pretrained model left off and goes down); a run at a learning
 *   rate that blows up does within a few steps (issue 14: lr 5 went to 1546 nats/token). A ratio (e.g. 3x)
 *   would fire on noise at low losses (0.3 -> 0.9 on a tiny text) and wait too long at high ones.
 * - A 10-step mean, so one bad batch does not stop a run, and a real blow-up is still caught within steps.
 * - The reference is the stage's first step, which was computed before any update of this stage: a new stage
 *   (another grouping) starts at its own level, and a resumed stage keeps its reference (it is in the
 *   restored history).
 * Non-finite losses are the Trainer's other guard (maxNonFinite skipped steps in a row).
 */
import type { StepLog } from './trainer';

export const DIVERGENCE_WINDOW = 10;
export const DIVERGENCE_MARGIN_NATS = 3;
const KEPT = 'Training stopped without saving this state; earlier checkpoints are kept. Try a lower learning rate.';

/** Mean loss of the last `window` steps; null before the first step. */
export function recentLoss(history: readonly StepLog[], window = DIVERGENCE_WINDOW): number | null {
  if (history.length === 0) return null;
  const last = history.slice(-window);
  return last.reduce((sum, h) => sum + h.loss, 0) / last.length;
}

/** The warning for the page when the stage's loss has diverged, else null. */
export function divergenceWarning(history: readonly StepLog[]): string | null {
  const recent = recentLoss(history);
  if (recent === null || history.length < 2) return null;
  const start = history[0].loss;
  if (recent <= start + DIVERGENCE_MARGIN_NATS) return null;
  const n = Math.min(history.length, DIVERGENCE_WINDOW);
  return (
    `the loss diverged: ${recent.toFixed(2)} nats/token over the last ${n} steps, against ${start.toFixed(2)} at the start of the stage ` +
    `(more than ${DIVERGENCE_MARGIN_NATS} above). ${KEPT}`
  );
}

/** The warning when the Trainer's other guard stops a run: `steps` non-finite steps in a row. */
export function nonFiniteWarning(steps: number): string {
  return `the loss diverged: ${steps} steps in a row had a non-finite loss or gradient. ${KEPT}`;
}
