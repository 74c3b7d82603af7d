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

/**
 * A lower bound on one decoding row's forward FLOPs with a KV cache: its
 * projections and FFN in every layer and, for a query row, the LM head.
 * Attention is left out, so a time computed from this is never too slow.
 */
export function decodeRowFlops(cfg: ModelConfig, stream: 'query' | 'content'): number {
  const d = cfg.dModel;
  const ffn = 2 * 3 * d * cfg.ffnDim;
  // A content row computes q, k, v and o; a query row q and o (it reads the content rows' keys and values).
  const projections = 2 * d * d * (stream === 'content' ? 4 : 2);
  return cfg.nLayers * (projections + ffn) + (stream === 'query' ? 2 * d * cfg.vocabSize : 0);
}

/** What a decoder ran, forward by forward: the rows it predicted and the tokens it committed. */
export interface DecodeWork {
  prompt: number;
  steps: { predicted: number; committed: number }[];
}

/**
 * A lower bound on a decode's FLOPs: the prompt's content pass, every
 * predicted (query) row of every forward and every committed token's
 * content row.
 */
export function decodeFlopsLowerBound(cfg: ModelConfig, work: DecodeWork): number {
  const content = decodeRowFlops(cfg, 'content');
  const query = decodeRowFlops(cfg, 'query');
  return work.prompt * content + work.steps.reduce((n, s) => n + s.predicted * query + s.committed * content, 0);
}
