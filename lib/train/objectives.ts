/**
 * The loss a curriculum stage names (curriculum.ts `StageObjective`), in one
 * place for the adapt script, the page's fine-tune and the tests. Kept apart
 * from curriculum.ts, which the page imports and must stay tf-free.
 */
import type * as tf from '@tensorflow/tfjs';
import { a3Loss, arLoss, jointLoss } from '../a3/likelihood';
import type { A3Model, SequenceBatch } from '../a3/model';
import type { StageObjective } from './curriculum';

/** A training batch: tokens, group ids and (span infilling) the context positions the A3 term does not score. */
export interface TrainBatch extends SequenceBatch {
  given?: Uint8Array;
}

export function stageLoss(objective: StageObjective | undefined, model: A3Model, b: TrainBatch): tf.Scalar {
  switch (objective ?? 'a3') {
    case 'a3':
      return a3Loss(model, b, b.given);
    case 'ar':
      return arLoss(model, b);
    case 'joint':
      return jointLoss(model, b, b.given);
  }
}
