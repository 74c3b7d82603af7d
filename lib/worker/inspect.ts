/**
 * The Inspect cell's one question to the model: the attention of both streams, per layer and head, for a
 * text under a grouping (left to right when none is given).
 */
import * as tf from '@tensorflow/tfjs';
import { denseRanks, leftToRight, validateGroupIds } from '../a3/groups';
import { forward, type A3Model } from '../a3/model';
import type { Tokenizer } from '../a3/tokenizer';
import type { AttentionSnapshot } from './protocol';

export async function inspectAttention(model: A3Model, tokenizer: Tokenizer, text: string, groupIds?: number[]): Promise<AttentionSnapshot> {
  const tokens = tokenizer.encode(text);
  if (tokens.length === 0) throw new Error('nothing to inspect: the text is empty');
  if (tokens.length > model.config.maxLen) throw new Error(`the text is ${tokens.length} tokens, the model's context is ${model.config.maxLen}`);
  const gids = groupIds ? Int32Array.from(groupIds) : leftToRight(tokens.length);
  validateGroupIds(gids, tokens.length);
  const attention = tf.tidy(() => forward(model, { batch: 1, tokens: Int32Array.from(tokens), groupIds: denseRanks(gids) }, { collectAttention: true }).attention);
  // Asynchronous reads: synchronous ones break on WebGPU.
  const weights = (await Promise.all(attention.map((a) => a.array()))).map((a) => (a as number[][][][])[0]);
  tf.dispose(attention);
  return { tokens, labels: tokens.map((t) => tokenizer.decodeToken(t)), groupIds: Array.from(gids), weights };
}
