/**
 * One decoding run's state shared by every strategy: which positions are
 * committed (an explicit mask: an open position has no group id), their
 * tokens and group ids, and how a forward is made — cached (content pass over
 * the newly committed tokens + query pass over the targets, with earlier
 * groups' keys from the KV cache) or recomputed in full (the released code's
 * behaviour, and the reference in tests).
 *
 * Every strategy predicts through a session, so the rule about what a fill may
 * contain is applied here, once: special tokens are masked out of every
 * predicted row (see `FillRules`). Three kinds of forward meet the cache and
 * that rule here — two-stream (A3), bidirectional (the diffusion baseline) and
 * causal (AR on the base model) — which is why this file runs past 250 lines.
 */
import * as tf from '@tensorflow/tfjs';
import { KVCache } from '../cache';
import { infillPlan, toGroups, type OpenOrder } from '../groups';
import { bidirectionalLogits, MASK_TOKEN } from '../mdlm';
import { forwardRows, headMatrix, logitsFromStates, sliceKV, type A3Model, type LayerKV, type RowsInput } from '../model';
import { NUM_SPECIAL } from '../tokenizer';

export interface DecodeProblem {
  /** Sequence tokens; open positions may hold anything (they are never read). */
  tokens: ArrayLike<number>;
  /** true = given context (group 0). */
  given: ArrayLike<boolean>;
}

/** What the predicted rows may contain, and how the sequence is laid out. */
export interface FillRules {
  /** Special tokens may be predicted (SamplingOptions.allowSpecial; toy vocabularies only). */
  allowSpecial?: boolean;
  /** One special token allowed anyway: AR's stop token, which ends the decode rather than joining a fill. */
  stopToken?: number;
  /**
   * The base model's causal content stream (AR decoding): every position is its
   * own group (group id = position, prompt included), and the sequence may
   * outgrow the context (the window then slides).
   */
  causal?: boolean;
}

/** Added to the logits of a token a fill must not contain: exp underflows to exactly 0, with no -Infinity to turn p·log p into NaN. */
const EXCLUDED = -1e9;

/** Clear errors before any state exists. */
export function checkProblem(model: A3Model, p: DecodeProblem, rules: FillRules = {}): void {
  const n = p.tokens.length;
  if (p.given.length !== n) throw new Error(`given has length ${p.given.length}, tokens ${n}`);
  if (!rules.causal && n > model.config.maxLen) throw new Error(`prompt plus gaps is ${n} tokens, longer than the model's context of ${model.config.maxLen}`);
  let given = 0;
  for (let i = 0; i < n; i++) given += p.given[i] ? 1 : 0;
  // An empty group 0 is an unconditional decode (a template of gaps only); AR needs a token to continue.
  if (given === 0 && rules.causal) throw new Error('the prompt is empty: give at least one token of context');
  if (given === n) throw new Error('there is no open position to fill');
  for (let i = 0; i < n; i++) {
    const t = p.tokens[i];
    if (p.given[i] && !(Number.isInteger(t) && t >= 0 && t < model.config.vocabSize)) throw new Error(`token ${t} at position ${i} is outside the vocabulary`);
  }
  if (!rules.allowSpecial && model.config.vocabSize <= NUM_SPECIAL) throw new Error(`the vocabulary (${model.config.vocabSize} ids) has no token besides the ${NUM_SPECIAL} special ones a fill may not contain`);
}

export class DecodeSession {
  readonly tokens: Int32Array;
  /** Tokens before decoding: open positions hold the <mask> id. */
  readonly initial: number[];
  readonly given: boolean[];
  private readonly isCommitted: boolean[];
  /** Group ids; an entry means something only where the position is committed. */
  private readonly gids: Int32Array;
  private readonly cache: KVCache | null;
  private readonly causal: boolean;
  /** The LM head, transposed once per run instead of once per forward (tied embeddings). */
  private readonly head: tf.Tensor2D;
  private readonly ownsHead: boolean;
  /** [V]: 0 for tokens a fill may contain, EXCLUDED for the others; null when nothing is excluded. */
  private readonly fillBias: tf.Tensor1D | null;
  /** Positions committed since the last forward: the next cached forward's content rows. */
  private pending: number[] = [];

  constructor(
    private readonly model: A3Model,
    problem: DecodeProblem,
    cached: boolean,
    rules: FillRules = {},
  ) {
    checkProblem(model, problem, rules);
    const n = problem.tokens.length;
    this.causal = rules.causal ?? false;
    this.given = Array.from(problem.given, Boolean);
    this.tokens = Int32Array.from({ length: n }, (_, i) => (this.given[i] ? problem.tokens[i] : MASK_TOKEN));
    this.initial = Array.from(this.tokens);
    this.isCommitted = [...this.given];
    this.gids = Int32Array.from({ length: n }, (_, i) => (this.causal ? i : 0));
    this.pending = this.given.flatMap((g, i) => (g ? [i] : []));
    this.cache = cached ? new KVCache() : null;
    this.ownsHead = model.lmHead === null;
    this.head = headMatrix(model);
    this.fillBias = rules.allowSpecial ? null : excludedSpecials(model.config.vocabSize, rules.stopToken);
  }

  get cached(): boolean {
    return this.cache !== null;
  }

  get length(): number {
    return this.tokens.length;
  }

  /** true where a position is given or already committed. */
  get committed(): readonly boolean[] {
    return this.isCommitted;
  }

  openPositions(): number[] {
    return this.isCommitted.flatMap((c, i) => (c ? [] : [i]));
  }

  /**
   * The open positions cut into groups of `size` visited in `order` (groups.ts infillPlan), in decoding
   * order, each with its group id 1, 2, ...: the plan a fixed-order decoder walks. Group 0 (the given
   * tokens) is left out.
   */
  openGroups(size: number, order: OpenOrder = 'left-to-right', seed = 0): { id: number; positions: number[] }[] {
    const plan = infillPlan(this.isCommitted, size, order, seed);
    // toGroups lists group 0 first (absent when nothing is given), then the open ones.
    return toGroups(plan)
      .map((positions) => ({ id: plan[positions[0]], positions }))
      .filter((g) => g.id !== 0);
  }

  /** The group id of a committed position (an open one has none). */
  groupId(pos: number): number {
    if (!this.isCommitted[pos]) throw new Error(`position ${pos} is open: it has no group id yet`);
    return this.gids[pos];
  }

  commit(pos: number, token: number, groupId: number): void {
    if (this.isCommitted[pos]) throw new Error(`position ${pos} is already committed`);
    this.tokens[pos] = token;
    this.gids[pos] = groupId;
    this.isCommitted[pos] = true;
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
    return this.readRows(this.forwardLogits(extra, targets, targetGids), targets.length);
  }

  /**
   * The same forward, its logits [targets, V] left on the device (special
   * tokens already masked): the caller owns the tensor. Dynamic decoding
   * summarises these rows there instead of reading them all.
   */
  forwardLogits(extra: { pos: number; token: number; gid: number }[], targets: number[], targetGids: number[]): tf.Tensor2D {
    if (this.causal) throw new Error('a causal (AR) session predicts with predictNext');
    const base = this.cache ? this.pending : this.committedPositions();
    const uncommitted = base.length + extra.length === 0 && !this.cache?.past() ? [this.unseenKey(targets, targetGids)] : extra;
    const input: RowsInput = {
      batch: 1,
      content: {
        tokens: Int32Array.from([...base.map((p) => this.tokens[p]), ...uncommitted.map((e) => e.token)]),
        positions: Int32Array.from([...base, ...uncommitted.map((e) => e.pos)]),
        gids: Int32Array.from([...base.map((p) => this.gids[p]), ...uncommitted.map((e) => e.gid)]),
      },
      query: { positions: Int32Array.from(targets), gids: Int32Array.from(targetGids) },
      past: this.cache?.past(),
    };
    const result = tf.tidy(() => {
      const out = forwardRows(this.model, input);
      // Only the committed rows' keys/values may enter the cache.
      const kv = uncommitted.length > 0 ? out.kv.map((l) => sliceKV(l, base.length)) : out.kv;
      return { logits: this.masked(logitsFromStates(this.model, out.query, this.head)), kv };
    });
    this.keep(result.kv, base);
    return result.logits;
  }

  /**
   * The masked-diffusion baseline's forward: the bidirectional content stream
   * over the whole sequence (open positions hold <mask>), logits at `targets`.
   * Nothing to cache: every state depends on every position.
   */
  async predictBidirectional(targets: number[]): Promise<Float32Array[]> {
    if (this.cache) throw new Error('the bidirectional forward cannot use a KV cache: open the session uncached');
    const logits = tf.tidy(() => this.masked(bidirectionalLogits(this.model, 1, this.tokens, targets, this.head)));
    return this.readRows(logits, targets.length);
  }

  /**
   * AR (causal sessions): logits of the first open position from the causal
   * content stream over what precedes it. Cached while the sequence fits the
   * context: one content row per new token against the cached keys. Past the
   * context the window slides and every position moves, so those steps
   * recompute the last maxLen tokens (the uncached path, the reference in tests).
   */
  async predictNext(): Promise<Float32Array> {
    if (!this.causal) throw new Error('predictNext is for causal (AR) sessions');
    const pos = this.isCommitted.indexOf(false);
    if (pos < 0) throw new Error('there is no open position left');
    const max = this.model.config.maxLen;
    const fromCache = this.cache !== null && pos <= max;
    const start = Math.max(0, pos - max); // the window: the last maxLen tokens before pos
    const rows = fromCache ? this.pending : Array.from({ length: pos - start }, (_, i) => start + i);
    // A recomputed window starts at position 0, whatever its place in the sequence.
    const positions = Int32Array.from(rows, (p) => (fromCache ? p : p - start));
    const input: RowsInput = {
      batch: 1,
      content: { tokens: Int32Array.from(rows, (p) => this.tokens[p]), positions, gids: positions },
      query: { positions: new Int32Array(0), gids: new Int32Array(0) },
      past: fromCache ? this.cache?.past() : undefined,
    };
    const result = tf.tidy(() => {
      const out = forwardRows(this.model, input, { contentOutput: true });
      // contentOutput: true always returns the content states; the last row predicts `pos`.
      const last = out.content!.slice([0, rows.length - 1, 0], [1, 1, -1]);
      return { logits: this.masked(logitsFromStates(this.model, last, this.head)), kv: out.kv };
    });
    if (fromCache) this.keep(result.kv, rows);
    else {
      tf.dispose(result.kv.flatMap((l) => [l.k, l.vT]));
      this.pending = [];
    }
    return (await this.readRows(result.logits, 1))[0];
  }

  dispose(): void {
    this.cache?.dispose();
    if (this.ownsHead) this.head.dispose();
    this.fillBias?.dispose();
  }

  /**
   * The first forward of an unconditional decode has no key at all (nothing given, nothing committed), which
   * a forward refuses. The query stream sees only keys of earlier groups, so a content row in the targets'
   * own (latest) group is a key no target can see: the logits are exactly those of "no context" (the first
   * group's logits ignore all tokens, A3.md §6 item 3), and as an extra row it never enters the cache.
   */
  private unseenKey(targets: number[], targetGids: number[]): { pos: number; token: number; gid: number } {
    return { pos: targets[0] ?? 0, token: MASK_TOKEN, gid: Math.max(0, ...targetGids) };
  }

  private committedPositions(): number[] {
    return this.isCommitted.flatMap((c, i) => (c ? [i] : []));
  }

  private masked(logits: tf.Tensor2D): tf.Tensor2D {
    return this.fillBias ? tf.add(logits, this.fillBias) : logits;
  }

  /** Cache this forward's content keys (committed rows `base`) or drop them. */
  private keep(kv: LayerKV[], base: number[]): void {
    if (this.cache) {
      this.cache.append(kv, Int32Array.from(base, (p) => this.gids[p]));
      this.pending = [];
    } else {
      tf.dispose(kv.flatMap((l) => [l.k, l.vT]));
    }
  }

  /** Read logits [rows, V] (and dispose them) as host rows. */
  private async readRows(logits: tf.Tensor2D, rows: number): Promise<Float32Array[]> {
    // An asynchronous read: synchronous reads break on WebGPU (tfjs-webgpu's readSync goes through canvases).
    const flat = (await logits.data()) as Float32Array;
    logits.dispose();
    const v = this.model.config.vocabSize;
    return Array.from({ length: rows }, (_, r) => flat.subarray(r * v, (r + 1) * v));
  }
}

/** The fill bias: every special token excluded but the stop token. */
function excludedSpecials(vocab: number, stopToken?: number): tf.Tensor1D {
  const bias = new Float32Array(vocab);
  for (let id = 0; id < NUM_SPECIAL; id++) if (id !== stopToken) bias[id] = EXCLUDED;
  return tf.tensor1d(bias);
}
