/**
 * Device-side summaries of predicted rows, for dynamic decoding: each row's
 * entropy and top-k (the model's distribution at temperature 1), the rows to
 * commit by a ranking key, and those rows' logits. All of it is packed into
 * one tensor, so a step makes one asynchronous read of R·(1 + 2k) + n·(1 + V)
 * numbers instead of R·V, and the host never softmaxes or ranks an R×V block.
 * Sampling the chosen rows stays on the host (sampling.ts), so temperature,
 * top-k and top-p mean exactly what they mean for every other strategy.
 *
 * Ties: tf.topk puts the lower index first, on the vocabulary and on the rows
 * alike, which is what the host's stable sort did (lower position first).
 */
import * as tf from '@tensorflow/tfjs';

/** Rank rows by their top probability, by lowest entropy, or by given keys (one per row, highest first). */
export type RankBy = 'max-prob' | 'neg-entropy' | Float32Array;

export interface RowSummary {
  /** Entropy (nats) of the row's distribution. */
  entropy: number;
  /** The row's most probable tokens, best first. */
  top: { token: number; prob: number }[];
}

export interface RankedRows {
  rows: RowSummary[];
  /** The `count` best rows, best first, with their logits (for sampling on the host). */
  chosen: { row: number; logits: Float32Array }[];
}

/** Everything a step reads, in one flat tensor: [entropy R | top probs R·k | top ids R·k | chosen rows n | chosen logits n·V]. The caller owns it. */
export function rankRowsPacked(logits: tf.Tensor2D, by: RankBy, count: number, topK: number): tf.Tensor1D {
  const [rows, vocab] = logits.shape;
  checkRanking(rows, vocab, by, count, topK);
  return tf.tidy(() => {
    // Four passes over [R, V] (top-k, softmax, a product and its sum); the rest is per row.
    const top = tf.topk(logits, topK); // on the logits: ties are exact ties, as on the host
    const maxLogit = top.values.slice([0, 0], [rows, 1]); // [R, 1]
    const probs = tf.softmax(logits);
    // max p = 1/Z (Z = Σ exp(l - max l)), so with p = exp(l - max l)/Z:
    //   H = -Σ p log p = log Z - Σ p (l - max l) = max l - log(max p) - Σ p l.
    // Masked tokens have p = 0 and a finite logit (the fill bias is finite): they add exactly 0, never NaN.
    const rowStart = tf.tensor2d(Int32Array.from({ length: rows }, (_, r) => r * vocab), [rows, 1], 'int32');
    const topProbs = tf.gather(probs.reshape([-1]), tf.add(top.indices, rowStart)); // [R, k]
    const maxProb = topProbs.slice([0, 0], [rows, 1]).reshape([rows]);
    const entropy = tf.sub(tf.sub(maxLogit.reshape([rows]), tf.log(maxProb)), tf.sum(tf.mul(probs, logits), 1));
    const key = by === 'max-prob' ? maxProb : by === 'neg-entropy' ? tf.neg(entropy) : tf.tensor1d(by);
    const chosen = tf.topk(key, count).indices;
    const chosenLogits = tf.gather(logits, chosen);
    // Token and row indices travel as float32: exact below 2^24.
    return tf.concat([entropy, topProbs.reshape([-1]), top.indices.toFloat().reshape([-1]), chosen.toFloat(), chosenLogits.reshape([-1])]) as tf.Tensor1D;
  });
}

/** The packed tensor read back (one asynchronous read) and unpacked; `logits` stays with the caller. */
export async function rankRows(logits: tf.Tensor2D, by: RankBy, count: number, topK: number): Promise<RankedRows> {
  const packed = rankRowsPacked(logits, by, count, topK);
  let flat: Float32Array;
  try {
    flat = (await packed.data()) as Float32Array;
  } finally {
    packed.dispose();
  }
  return unpackRanked(flat, logits.shape[0], logits.shape[1], count, topK);
}

export function unpackRanked(flat: Float32Array, rows: number, vocab: number, count: number, topK: number): RankedRows {
  const probsAt = rows;
  const idsAt = probsAt + rows * topK;
  const chosenAt = idsAt + rows * topK;
  const logitsAt = chosenAt + count;
  return {
    rows: Array.from({ length: rows }, (_, r) => ({
      entropy: flat[r],
      top: Array.from({ length: topK }, (_, j) => ({ token: flat[idsAt + r * topK + j], prob: flat[probsAt + r * topK + j] })),
    })),
    chosen: Array.from({ length: count }, (_, j) => ({ row: flat[chosenAt + j], logits: flat.subarray(logitsAt + j * vocab, logitsAt + (j + 1) * vocab) })),
  };
}

function checkRanking(rows: number, vocab: number, by: RankBy, count: number, topK: number): void {
  if (!(Number.isInteger(count) && count >= 1 && count <= rows)) throw new Error(`cannot choose ${count} of ${rows} rows`);
  if (!(Number.isInteger(topK) && topK >= 1 && topK <= vocab)) throw new Error(`top-k must be in 1..${vocab}, got ${topK}`);
  if (by instanceof Float32Array && by.length !== rows) throw new Error(`${by.length} ranking keys for ${rows} rows`);
}
