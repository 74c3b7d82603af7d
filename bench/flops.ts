/** Analytic FLOP counts (multiply-add = 2 FLOPs) for the model's forward passes. */
import type { ModelConfig } from '@/lib/a3/config';

/** Forward FLOPs of one two-stream training forward over B sequences of length T (last layer: query rows only). */
export function twoStreamForwardFlops(cfg: ModelConfig, batch: number, length: number): number {
  const d = cfg.dModel;
  const f = cfg.ffnDim;
  const perRow = 2 * d * d * 2 + 2 * 3 * d * f; // q, o, gate/up/down
  const perContentRow = 2 * d * d * 2; // k, v
  let flops = 0;
  for (let l = 0; l < cfg.nLayers; l++) {
    const rows = l === cfg.nLayers - 1 ? length : 2 * length;
    flops += rows * perRow + length * perContentRow + 2 * 2 * rows * length * d; // + scores and weighted values
  }
  flops += 2 * length * d * cfg.vocabSize; // LM head on query rows
  return batch * flops;
}

/** A training step costs about three forwards (forward + two matmuls per matmul in backward). */
export const TRAIN_STEP_FACTOR = 3;
