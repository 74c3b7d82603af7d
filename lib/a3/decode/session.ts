/**
 * One decoding run's state shared by every strategy: which positions are
 * committed, their group ids, and how a forward is made — cached (content
 * pass over the newly committed tokens + query pass over the targets, with
 * earlier groups' keys from the KV cache) or recomputed in full (the released
 * code's behaviour, and the reference in tests).
 */
import * as tf from '@tensorflow/tfjs';
import { KVCache } from '../cache';
import { forwardRows, headMatrix, logitsFromStates, sliceKV, type A3Model } from '../model';
import { MASK_TOKEN } from '../mdlm';

export interface DecodeProblem {
  /** Sequence tokens; open positions may hold anything (they are never read). */
  tokens: ArrayLike<number>;
  /** true = given context (group 0). */
  given: ArrayLike<boolean>;
}

/** Clear errors before any state exists. */
export function checkProblem(model: A3Model, p: DecodeProblem): void {
  const n = p.tokens.length;
  if (p.given.length !== n) throw new Error(`given has length ${p.given.length}, tokens ${n}`);
  if (n > model.config.maxLen) throw new Error(`prompt plus gaps is ${n} tokens, longer than the model's context of ${model.config.maxLen}`);
  let given = 0;
  for (let i = 0; i < n; i++) given += p.given[i] ? 1 : 0;
  if (given === 0) throw new Error('the prompt is empty: give at least one token of context');
  if (given === n) throw new Error('there is no open position to fill');
  for (let i = 0; i < n; i++) {
    const t = p.tokens[i];
    if (p.given[i] && !(Number.isInteger(t) && t >= 0 && t < model.config.vocabSize)) throw new Error(`token ${t} at position ${i} is outside the vocabulary`);
  }
}

export class DecodeSession {
  readonly tokens: Int32Array;
  readonly gids: Int32Array;
  readonly committed: boolean[];
  private readonly cache: KVCache | null;
  /** The LM head, transposed once per run instead of once per forward (tied embeddings). */
  private readonly head: tf.Tensor2D;
  private readonly ownsHead: boolean;
  /** Positions committed since the last forward: the next cached forward's content rows. */
  private pending: number[] = [];

  constructor(private readonly model: A3Model, problem: DecodeProblem, cached: boolean) {
    checkProblem(model, problem);
    const n = problem.tokens.length;
    this.tokens = Int32Array.from({ length: n }, (_, i) => (problem.given[i] ? problem.tokens[i] : MASK_TOKEN));
    this.gids = Int32Array.from({ length: n }, (_, i) => (problem.given[i] ? 0 : -1));
    this.committed = Array.from({ length: n }, (_, i) => Boolean(problem.given[i]));
    this.pending = this.committed.flatMap((c, i) => (c ? [i] : []));
    this.cache = cached ? new KVCache() : null;
    this.ownsHead = model.lmHead === null;
    this.head = headMatrix(model);
  }

  get cached(): boolean {
    return this.cache !== null;
  }

  openPositions(): number[] {
    return this.committed.flatMap((c, i) => (c ? [] : [i]));
  }

  commit(pos: number, token: number, groupId: number): void {
    if (this.committed[pos]) throw new Error(`position ${pos} is already committed`);
    this.tokens[pos] = token;
    this.gids[pos] = groupId;
    this.committed[pos] = true;
    this.pending.push(pos);
  }

  /** One forward: logits (host rows) of `targets`, predicted as group `queryGroup`. */
  predict(targets: number[], queryGroup: number): Promise<Float32Array[]> {
    return this.forward([], targets, targets.map(() => queryGroup));
  }

  /**
   * A forward with extra, not-yet-committed content rows (drafts being
   * verified): they are seen as keys by this forward only, never cached.
   */
  async forward(extra: { pos: number; token: number; gid: number }[], targets: number[], targetGids: number[]): Promise<Float32Array[]> {
    const base = this.cache ? this.pending : this.committed.flatMap((c, i) => (c ? [i] : []));
    const past = this.cache?.past();
    const result = tf.tidy(() => {
      const out = forwardRows(this.model, {
        batch: 1,
        content: {
          tokens: Int32Array.from([...base.map((p) => this.tokens[p]), ...extra.map((e) => e.token)]),
          positions: Int32Array.from([...base, ...extra.map((e) => e.pos)]),
          gids: Int32Array.from([...base.map((p) => this.gids[p]), ...extra.map((e) => e.gid)]),
        },
        query: { positions: Int32Array.from(targets), gids: Int32Array.from(targetGids) },
        past,
      });
      // Only the committed rows' keys/values may enter the cache.
      const kv = extra.length > 0 ? out.kv.map((l) => sliceKV(l, base.length)) : out.kv;
      return { logits: logitsFromStates(this.model, out.query, this.head), kv };
    });
    // An asynchronous read: synchronous reads break on WebGPU (tfjs-webgpu's readSync goes through canvases).
    const flat = (await result.logits.data()) as Float32Array;
    result.logits.dispose();
    if (this.cache) {
      this.cache.append(result.kv, Int32Array.from(base, (p) => this.gids[p]));
      this.pending = [];
    } else {
      tf.dispose(result.kv.flatMap((l) => [l.k, l.vT]));
    }
    const v = this.model.config.vocabSize;
    return targets.map((_, r) => flat.subarray(r * v, (r + 1) * v));
  }

  dispose(): void {
    this.cache?.dispose();
    if (this.ownsHead) this.head.dispose();
  }
}
