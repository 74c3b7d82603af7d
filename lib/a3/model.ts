/**
 * The A3 two-stream transformer on a LLaMA-style decoder (`../shared/A3.md` §2).
 *
 * One set of weights, two kinds of rows:
 *   content rows  start from token embeddings; row i attends keys with gid <= gid[i]
 *   query rows    start from the learned vector w; row i attends keys with gid < gid[i]
 * Keys and values always come from content rows (of this call, or cached from
 * earlier calls). Both kinds of rows are stacked into one [B, R, d] tensor so
 * every layer runs each weight matrix once over all rows:
 *
 *   rows = [ content rows (Tc) | query rows (Tq) ],  keys = [ past (Tp) | content rows (Tc) ]
 *
 * Layout: weight matrices are stored [in, out] so the forward pass is a plain
 * matMul on every backend; `weights.ts` converts to Hugging Face's [out, in].
 *
 * Longer than most: the whole forward pass (parameters, masks, attention,
 * blocks, both streams, KV cache) reads top to bottom in one place, like
 * nanoGPT's model.py.
 */
import * as tf from '@tensorflow/tfjs';
import { headDim, validateConfig, type ModelConfig } from './config';
import { leftToRight, validateGroupIds } from './groups';
import { writeAttentionBias } from './masks';
import { applyRope, batchMatMul, linear, linear2d, registerWasmKernels, rmsNorm, ropeTables, swiglu } from './ops';
import { gaussian, makeRng } from './random';

registerWasmKernels();

export interface LayerParams {
  attnNorm: tf.Variable<tf.Rank.R1>;
  q: tf.Variable<tf.Rank.R2>; // [d, d]
  k: tf.Variable<tf.Rank.R2>; // [d, d]
  v: tf.Variable<tf.Rank.R2>; // [d, d]
  o: tf.Variable<tf.Rank.R2>; // [d, d]
  mlpNorm: tf.Variable<tf.Rank.R1>;
  gate: tf.Variable<tf.Rank.R2>; // [d, ffn]
  up: tf.Variable<tf.Rank.R2>; // [d, ffn]
  down: tf.Variable<tf.Rank.R2>; // [ffn, d]
}

export interface A3Model {
  config: ModelConfig;
  embed: tf.Variable<tf.Rank.R2>; // [V, d]
  layers: LayerParams[];
  finalNorm: tf.Variable<tf.Rank.R1>;
  lmHead: tf.Variable<tf.Rank.R2> | null; // [d, V]; null when tied to embed
  queryEmbed: tf.Variable<tf.Rank.R1>; // w, [d]
  rope: { cos: tf.Tensor2D; sin: tf.Tensor2D }; // [maxLen, hd], constants
}

// ---------------------------------------------------------------------------
// Parameters

/** Every parameter with its Hugging Face LLaMA name; `transposed` = stored [in, out], HF wants [out, in]. */
export interface NamedParam {
  name: string;
  variable: tf.Variable;
  transposed: boolean;
}

export function namedParams(model: A3Model): NamedParam[] {
  const byName = new Map<string, tf.Variable>([
    ['model.embed_tokens.weight', model.embed],
    ['model.norm.weight', model.finalNorm],
    ['query_embed', model.queryEmbed],
  ]);
  if (model.lmHead) byName.set('lm_head.weight', model.lmHead);
  model.layers.forEach((l, i) => {
    const p = `model.layers.${i}`;
    byName.set(`${p}.input_layernorm.weight`, l.attnNorm);
    byName.set(`${p}.self_attn.q_proj.weight`, l.q);
    byName.set(`${p}.self_attn.k_proj.weight`, l.k);
    byName.set(`${p}.self_attn.v_proj.weight`, l.v);
    byName.set(`${p}.self_attn.o_proj.weight`, l.o);
    byName.set(`${p}.post_attention_layernorm.weight`, l.mlpNorm);
    byName.set(`${p}.mlp.gate_proj.weight`, l.gate);
    byName.set(`${p}.mlp.up_proj.weight`, l.up);
    byName.set(`${p}.mlp.down_proj.weight`, l.down);
  });
  return parameterSpecs(model.config).map((s) => ({ name: s.name, variable: byName.get(s.name)!, transposed: s.transposed }));
}

export function trainableVariables(model: A3Model): tf.Variable[] {
  return namedParams(model).map((p) => p.variable);
}

/** Name, shape as stored here ([in, out] for matrices) and layout flag of every parameter a config implies. */
export interface ParamSpec {
  name: string;
  shape: number[];
  transposed: boolean;
}

export function parameterSpecs(config: ModelConfig): ParamSpec[] {
  const d = config.dModel;
  const f = config.ffnDim;
  const specs: ParamSpec[] = [{ name: 'model.embed_tokens.weight', shape: [config.vocabSize, d], transposed: false }];
  for (let i = 0; i < config.nLayers; i++) {
    const p = `model.layers.${i}`;
    specs.push(
      { name: `${p}.input_layernorm.weight`, shape: [d], transposed: false },
      { name: `${p}.self_attn.q_proj.weight`, shape: [d, d], transposed: true },
      { name: `${p}.self_attn.k_proj.weight`, shape: [d, d], transposed: true },
      { name: `${p}.self_attn.v_proj.weight`, shape: [d, d], transposed: true },
      { name: `${p}.self_attn.o_proj.weight`, shape: [d, d], transposed: true },
      { name: `${p}.post_attention_layernorm.weight`, shape: [d], transposed: false },
      { name: `${p}.mlp.gate_proj.weight`, shape: [d, f], transposed: true },
      { name: `${p}.mlp.up_proj.weight`, shape: [d, f], transposed: true },
      { name: `${p}.mlp.down_proj.weight`, shape: [f, d], transposed: true },
    );
  }
  specs.push({ name: 'model.norm.weight', shape: [d], transposed: false });
  if (!config.tieEmbeddings) specs.push({ name: 'lm_head.weight', shape: [d, config.vocabSize], transposed: true });
  specs.push({ name: 'query_embed', shape: [d], transposed: false });
  return specs;
}

let modelCounter = 0;

/** Build a model around given initial values (shape [in, out] for matrices). */
export function createModel(config: ModelConfig, values: (name: string, shape: number[]) => Float32Array): A3Model {
  validateConfig(config);
  const id = modelCounter++;
  const specs = new Map(parameterSpecs(config).map((s) => [s.name, s]));
  const created: tf.Variable[] = [];
  const variable = <R extends tf.Rank>(name: string) => {
    const spec = specs.get(name);
    if (!spec) throw new Error(`createModel: no parameter named ${name} in this config`);
    const shape = spec.shape;
    const init = tf.tensor(values(name, shape), shape);
    const v = tf.variable(init, true, `a3_${id}/${name}`);
    init.dispose();
    created.push(v);
    return v as unknown as tf.Variable<R>;
  };
  try {
    const layers = Array.from({ length: config.nLayers }, (_, i): LayerParams => {
      const p = `model.layers.${i}`;
      return {
        attnNorm: variable(`${p}.input_layernorm.weight`),
        q: variable(`${p}.self_attn.q_proj.weight`),
        k: variable(`${p}.self_attn.k_proj.weight`),
        v: variable(`${p}.self_attn.v_proj.weight`),
        o: variable(`${p}.self_attn.o_proj.weight`),
        mlpNorm: variable(`${p}.post_attention_layernorm.weight`),
        gate: variable(`${p}.mlp.gate_proj.weight`),
        up: variable(`${p}.mlp.up_proj.weight`),
        down: variable(`${p}.mlp.down_proj.weight`),
      };
    });
    const tables = ropeTables(config.maxLen, headDim(config), config.ropeBase);
    return {
      config,
      embed: variable('model.embed_tokens.weight'),
      layers,
      finalNorm: variable('model.norm.weight'),
      lmHead: config.tieEmbeddings ? null : variable('lm_head.weight'),
      queryEmbed: variable('query_embed'),
      rope: {
        cos: tf.tensor2d(tables.cos, [config.maxLen, headDim(config)]),
        sin: tf.tensor2d(tables.sin, [config.maxLen, headDim(config)]),
      },
    };
  } catch (e) {
    // A bad value for one tensor must not leak the ones already made.
    created.forEach((v) => v.dispose());
    throw e;
  }
}

/**
 * Seeded initialisation: N(0, 0.02) matrices, residual-output projections
 * scaled by 1/sqrt(2·layers) (GPT-2), norms at 1, w at N(0, 0.02).
 */
export function initModel(config: ModelConfig, seed = 0): A3Model {
  const rng = makeRng(seed);
  const residualScale = 1 / Math.sqrt(2 * config.nLayers);
  return createModel(config, (name, shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    if (name.endsWith('layernorm.weight') || name === 'model.norm.weight') return new Float32Array(size).fill(1);
    const std = name.endsWith('o_proj.weight') || name.endsWith('down_proj.weight') ? 0.02 * residualScale : 0.02;
    return Float32Array.from({ length: size }, () => std * gaussian(rng));
  });
}

export function disposeModel(model: A3Model): void {
  for (const p of namedParams(model)) p.variable.dispose();
  model.rope.cos.dispose();
  model.rope.sin.dispose();
}

// ---------------------------------------------------------------------------
// The general forward over content rows, query rows and cached keys.

/**
 * Keys/values of one layer, in the layouts one-sequence attention multiplies
 * without copying: keys as rows [B, Tk, d] (RoPE applied), values transposed
 * [B, d, Tk]; d = heads · head size, head-major. Append and slice with
 * `concatKV` / `sliceKV`, never by axis numbers elsewhere.
 */
// A type alias, not an interface: it then fits tfjs's TensorContainer, so tf.tidy can return it.
export type LayerKV = {
  k: tf.Tensor3D;
  vT: tf.Tensor3D;
};

/** Keys of `a` followed by those of `b` (the caller disposes the inputs). */
export function concatKV(a: LayerKV, b: LayerKV): LayerKV {
  return { k: tf.concat([a.k, b.k], 1), vT: tf.concat([a.vT, b.vT], 2) };
}

/** The first `count` keys; the input tensors themselves when `count` covers them all (nothing new to own). */
export function sliceKV(kv: LayerKV, count: number): LayerKV {
  return { k: sliceAxis(kv.k, 1, 0, count), vT: sliceAxis(kv.vT, 2, 0, count) };
}

/** Keys already computed by earlier calls (the KV cache's view of itself). */
export interface PastKeys {
  /** [B * Tp] group ids of the cached keys. */
  gids: Int32Array;
  /** [B * Tp] 1 where a cached key is padding. */
  pad?: Uint8Array;
  layers: LayerKV[];
}

/** Host-side description of one call; all arrays are row-major [B, T*]. */
export interface RowsInput {
  batch: number;
  content: { tokens: Int32Array; positions: Int32Array; gids: Int32Array; pad?: Uint8Array };
  query: { positions: Int32Array; gids: Int32Array };
  past?: PastKeys;
}

export interface RowsOptions {
  /** Run the last layer's content rows to the end (AR logits, hidden states). Off = skip that work. */
  contentOutput?: boolean;
  /** Keep every layer's attention weights [B, H, R, Tk]. */
  collectAttention?: boolean;
  /** Keep the content rows' states after every layer [B, Tc, d]. */
  collectHidden?: boolean;
}

// A type alias, not an interface, so that tf.tidy can return it (as LayerKV).
export type RowsOutput = {
  content: tf.Tensor3D | undefined; // [B, Tc, d] last-layer states (before the final norm); undefined unless asked for
  query: tf.Tensor3D; // [B, Tq, d]
  kv: LayerKV[]; // this call's content keys/values, per layer
  attention: tf.Tensor4D[]; // per layer, rows = [content | query], keys = [past | content]
  hidden: tf.Tensor3D[]; // per layer content states
};

interface LayerContext {
  model: A3Model;
  batch: number;
  tc: number;
  tq: number;
  bias: tf.Tensor4D; // [B, 1, Tc+Tq, Tk]
  rowHasKey: tf.Tensor4D; // [B, 1, Tc+Tq, 1]
  cosRows: tf.Tensor4D; // [B, Tc+Tq, 1, hd]
  sinRows: tf.Tensor4D;
  /** [H, 1, H, 1], 1 where two head indices agree: the block-diagonal selector of one-sequence attention. */
  sameHead: tf.Tensor4D | null;
}

function checkRows(model: A3Model, input: RowsInput): { tc: number; tq: number; tp: number } {
  const { batch, content, query, past } = input;
  const cfg = model.config;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch must be a positive integer, got ${batch}`);
  const per = (len: number, what: string) => {
    if (len % batch !== 0) throw new Error(`${what} has ${len} entries, not a multiple of batch ${batch}`);
    return len / batch;
  };
  const tc = per(content.tokens.length, 'content.tokens');
  const tq = per(query.positions.length, 'query.positions');
  const tp = past ? per(past.gids.length, 'past.gids') : 0;
  if (content.positions.length !== content.tokens.length || content.gids.length !== content.tokens.length) {
    throw new Error('content tokens, positions and gids must have the same length');
  }
  if (query.gids.length !== query.positions.length) throw new Error('query positions and gids must have the same length');
  if (tc + tp === 0) throw new Error('a forward needs at least one key: no content rows and no cached keys');
  validateGroupIds(content.gids);
  validateGroupIds(query.gids);
  for (const p of [content.positions, query.positions]) {
    for (const pos of p) {
      if (!Number.isInteger(pos) || pos < 0 || pos >= cfg.maxLen) {
        throw new Error(`position ${pos} is outside the model's context 0..${cfg.maxLen - 1}`);
      }
    }
  }
  for (const t of content.tokens) {
    if (!Number.isInteger(t) || t < 0 || t >= cfg.vocabSize) {
      throw new Error(`token id ${t} is outside the vocabulary 0..${cfg.vocabSize - 1}`);
    }
  }
  return { tc, tq, tp };
}

/** Masks and RoPE angles for every row, built on the host from the one rule in masks.ts. */
function rowContext(model: A3Model, input: RowsInput, tc: number, tq: number, tp: number): LayerContext {
  const { batch, content, query, past } = input;
  const rows = tc + tq;
  const tk = tp + tc;
  const bias = new Float32Array(batch * rows * tk);
  const rowHasKey = new Float32Array(batch * rows);
  const rowPositions = new Int32Array(batch * rows);
  for (let b = 0; b < batch; b++) {
    const keyGids = new Int32Array(tk);
    const keyPad = new Uint8Array(tk);
    if (past) {
      keyGids.set(past.gids.subarray(b * tp, (b + 1) * tp));
      if (past.pad) keyPad.set(past.pad.subarray(b * tp, (b + 1) * tp));
    }
    keyGids.set(content.gids.subarray(b * tc, (b + 1) * tc), tp);
    if (content.pad) keyPad.set(content.pad.subarray(b * tc, (b + 1) * tc), tp);
    writeAttentionBias(
      {
        contentGids: content.gids.subarray(b * tc, (b + 1) * tc),
        queryGids: query.gids.subarray(b * tq, (b + 1) * tq),
        keyGids,
        keyPad,
      },
      bias,
      rowHasKey,
      b * rows * tk,
      b * rows,
    );
    rowPositions.set(content.positions.subarray(b * tc, (b + 1) * tc), b * rows);
    rowPositions.set(query.positions.subarray(b * tq, (b + 1) * tq), b * rows + tc);
  }
  const hd = headDim(model.config);
  const positions = tf.tensor1d(rowPositions, 'int32');
  const heads = model.config.nHeads;
  return {
    model,
    batch,
    tc,
    tq,
    bias: tf.tensor4d(bias, [batch, 1, rows, tk]),
    rowHasKey: tf.tensor4d(rowHasKey, [batch, 1, rows, 1]),
    cosRows: tf.gather(model.rope.cos, positions).reshape([batch, rows, 1, hd]),
    sinRows: tf.gather(model.rope.sin, positions).reshape([batch, rows, 1, hd]),
    sameHead: batch === 1 ? tf.tensor4d(headSelector(heads), [heads, 1, heads, 1]) : null,
  };
}

/** Entries [from, from+count) along one axis. */
function sliceAxis<T extends tf.Tensor>(x: T, axis: number, from: number, count: number): T {
  if (from === 0 && count === x.shape[axis]) return x;
  const begin = x.shape.map((_, i) => (i === axis ? from : 0));
  const size = x.shape.map((s, i) => (i === axis ? count : s));
  return tf.slice(x, begin, size) as T;
}

/** Keys (RoPE applied) and values of the content rows, in LayerKV's layouts. */
function contentKeysValues(lp: LayerParams, contentNormed: tf.Tensor3D, ctx: LayerContext): LayerKV {
  const { batch, tc } = ctx;
  const H = ctx.model.config.nHeads;
  const hd = headDim(ctx.model.config);
  const d = H * hd;
  if (tc === 0) return { k: tf.zeros([batch, 0, d]), vT: tf.zeros([batch, d, 0]) };
  const k = linear(contentNormed, lp.k).reshape([batch, tc, H, hd]) as tf.Tensor4D;
  const kRot = applyRope(k, sliceAxis(ctx.cosRows, 1, 0, tc), sliceAxis(ctx.sinRows, 1, 0, tc));
  const v = linear(contentNormed, lp.v).reshape([batch, tc, H, hd]);
  return {
    k: kRot.reshape([batch, tc, d]) as tf.Tensor3D,
    vT: tf.transpose(v, [0, 2, 3, 1]).reshape([batch, d, tc]) as tf.Tensor3D, // [B, H, hd, Tc] = [B, d, Tc]
  };
}

interface AttentionMasks {
  bias: tf.Tensor4D; // [B, 1, R, Tk]
  rowHasKey: tf.Tensor4D; // [B, 1, R, 1]
  sameHead: tf.Tensor4D | null; // LayerContext.sameHead
}

interface Attended {
  merged: tf.Tensor3D; // [B, R, d] heads concatenated
  probs: tf.Tensor4D; // [B, H, R, Tk]
}

/** Masked softmax; rows with no visible key (first-group query rows) output exactly zero, not a uniform average. */
function attentionProbs(scores: tf.Tensor4D, hd: number, masks: AttentionMasks): tf.Tensor4D {
  const biased = scores.mul(1 / Math.sqrt(hd)).add(masks.bias);
  return tf.mul(tf.softmax(biased), masks.rowHasKey) as tf.Tensor4D;
}

/** Attention for a batch of sequences: one batched matmul per product, batch = B·H. */
function attendBatched(qRot: tf.Tensor4D, keys: tf.Tensor3D, valuesT: tf.Tensor3D, masks: AttentionMasks): Attended {
  const [batch, rows, H, hd] = qRot.shape;
  const tk = keys.shape[1];
  const qh = tf.transpose(qRot, [0, 2, 1, 3]).reshape([batch * H, rows, hd]) as tf.Tensor3D;
  const kT = tf.transpose(keys.reshape([batch, tk, H, hd]), [0, 2, 3, 1]).reshape([batch * H, hd, tk]) as tf.Tensor3D;
  const v = tf.transpose(valuesT.reshape([batch, H, hd, tk]), [0, 1, 3, 2]).reshape([batch * H, tk, hd]) as tf.Tensor3D;
  const scores = batchMatMul(qh, kT).reshape([batch, H, rows, tk]) as tf.Tensor4D;
  const probs = attentionProbs(scores, hd, masks); // [B, H, R, Tk]
  const attended = batchMatMul(probs.reshape([batch * H, rows, tk]) as tf.Tensor3D, v); // [B*H, R, hd]
  const merged = tf.transpose(attended.reshape([batch, H, rows, hd]), [0, 2, 1, 3]).reshape([batch, rows, H * hd]) as tf.Tensor3D;
  return { merged, probs };
}

/**
 * Rows from which one-sequence attention runs one matmul per head instead of
 * the block-diagonal form. Measured on wasm, base config, 130-250 keys (best of
 * 30 batches), per-head time over block-diagonal time: 2.2 at 8 rows (its 4H
 * extra slices are strided copies), 1.0 at 16, 0.72 at 32, 0.55 at 64-128.
 */
const PER_HEAD_MIN_ROWS = 24;

/**
 * Attention for one sequence (decoding) as plain 2-D matmuls whose packed
 * operand is the small per-call one. On wasm a matmul packs its right operand
 * on every call (~70 us for a [d, Tk] key block) and small batched matmuls run
 * far below the plain rate (ENVIRONMENT.md), so both products are written with
 * the cached keys/values on the left. Two layouts of the right operand:
 * - few rows (group-wise, AR): one block-diagonal query/probability matrix for
 *   all heads, two matmuls per layer. H times the multiply-adds, but the zero
 *   blocks add exact zeros, so the result is the per-head attention; with a
 *   handful of rows the op count, not the arithmetic, is the cost.
 *     scoresT [Tk, H·R] = keys [Tk, d] · Qblocks [d, H·R],  Qblocks[(h', j), (h, r)] = q[r, h, j] if h' = h
 *     outT    [d, H·R]  = valuesT [d, Tk] · probsT [Tk, H·R], then keep the h' = h blocks
 * - many rows (dynamic decoding predicts every open position each step): the
 *   H-fold waste grows with the rows and dominates, so one matmul per head on
 *   that head's slices: 2H small matmuls, no wasted multiply-adds.
 */
function attendOneSequence(qRot: tf.Tensor4D, keys: tf.Tensor3D, valuesT: tf.Tensor3D, masks: AttentionMasks): Attended {
  const [, rows, H, hd] = qRot.shape;
  const d = H * hd;
  const tk = keys.shape[1];
  const perHead = rows >= PER_HEAD_MIN_ROWS;
  const keys2 = keys.reshape([tk, d]) as tf.Tensor2D;
  const values2 = valuesT.reshape([d, tk]) as tf.Tensor2D;
  const heads = Array.from({ length: H }, (_, h) => h);
  // scoresT [Tk, H·R], columns (h, r).
  let scoresT: tf.Tensor2D;
  const sameHead = masks.sameHead!; // built for every one-sequence call (rowContext, batch 1)
  if (perHead) {
    const qT = tf.transpose(qRot.reshape([rows, d])) as tf.Tensor2D; // [d, R], rows (h, j)
    scoresT = tf.concat(heads.map((h) => linear2d(sliceAxis(keys2, 1, h * hd, hd), sliceAxis(qT, 0, h * hd, hd))), 1) as tf.Tensor2D;
  } else {
    const qT = tf.transpose(qRot.reshape([rows, H, hd]), [1, 2, 0]).reshape([H, hd, 1, rows]); // [h', j, 1, r]
    const qBlocks = tf.mul(qT, sameHead).reshape([d, H * rows]) as tf.Tensor2D;
    scoresT = linear2d(keys2, qBlocks);
  }
  const scores = tf.transpose(scoresT).reshape([1, H, rows, tk]) as tf.Tensor4D;
  const probs = attentionProbs(scores, hd, masks); // [1, H, R, Tk]
  const probsT = tf.transpose(probs.reshape([H * rows, tk])) as tf.Tensor2D; // [Tk, H*R]
  let out: tf.Tensor2D; // [d, R], rows (h, j)
  if (perHead) {
    out = tf.concat(heads.map((h) => linear2d(sliceAxis(values2, 0, h * hd, hd), sliceAxis(probsT, 1, h * rows, rows))), 0) as tf.Tensor2D;
  } else {
    const outT = linear2d(values2, probsT); // [d, H*R]: rows (h', j), columns (h, r)
    out = tf.sum(tf.mul(outT.reshape([H, hd, H, rows]), sameHead), 2).reshape([d, rows]) as tf.Tensor2D; // keep h' = h
  }
  const merged = tf.transpose(out).reshape([1, rows, d]) as tf.Tensor3D;
  return { merged, probs };
}

function headSelector(heads: number): Float32Array {
  const eye = new Float32Array(heads * heads);
  for (let h = 0; h < heads; h++) eye[h * heads + h] = 1;
  return eye;
}

/**
 * One pre-norm block. x is the full row layout [B, Tc+Tq, d]; the block
 * computes outputs for rows [firstRow, Tc+Tq): all rows, or (firstRow = Tc)
 * just the query rows when nobody needs the content outputs.
 */
function block(lp: LayerParams, x: tf.Tensor3D, ctx: LayerContext, past: LayerKV | undefined, firstRow: number) {
  const { model, batch, tc, tq } = ctx;
  const cfg = model.config;
  const H = cfg.nHeads;
  const hd = headDim(cfg);
  const rows = tc + tq - firstRow;
  const normed = rmsNorm(x, lp.attnNorm, cfg.normEps) as tf.Tensor3D;

  const kv = contentKeysValues(lp, sliceAxis(normed, 1, 0, tc), ctx);
  const keys = past ? concatKV(past, kv) : kv; // [past | content]

  const rowsNormed = sliceAxis(normed, 1, firstRow, rows);
  const q = linear(rowsNormed, lp.q).reshape([batch, rows, H, hd]) as tf.Tensor4D;
  const qRot = applyRope(q, sliceAxis(ctx.cosRows, 1, firstRow, rows), sliceAxis(ctx.sinRows, 1, firstRow, rows));
  const attend = batch > 1 ? attendBatched : attendOneSequence;
  const { merged, probs } = attend(qRot, keys.k, keys.vT, {
    bias: sliceAxis(ctx.bias, 2, firstRow, rows),
    rowHasKey: sliceAxis(ctx.rowHasKey, 2, firstRow, rows),
    sameHead: ctx.sameHead,
  });
  const u = tf.add(sliceAxis(x, 1, firstRow, rows), linear(merged, lp.o)); // standard pre-norm residual

  const un = rmsNorm(u, lp.mlpNorm, cfg.normEps);
  const out = tf.add(u, linear(swiglu(linear(un, lp.gate), linear(un, lp.up)), lp.down)) as tf.Tensor3D;
  return { out, kv, probs };
}

/**
 * Run content rows, query rows and cached keys through every layer. Returns
 * only the tensors of RowsOutput (the caller owns them); every intermediate is
 * disposed here, so a call outside tf.tidy leaves nothing else behind.
 */
export function forwardRows(model: A3Model, input: RowsInput, options: RowsOptions = {}): RowsOutput {
  const sizes = checkRows(model, input);
  return tf.tidy(() => forwardRowsUntidied(model, input, options, sizes));
}

function forwardRowsUntidied(model: A3Model, input: RowsInput, options: RowsOptions, { tc, tq, tp }: { tc: number; tq: number; tp: number }): RowsOutput {
  const { batch } = input;
  const d = model.config.dModel;
  const ctx = rowContext(model, input, tc, tq, tp);

  const contentX = tf.gather(model.embed, tf.tensor1d(input.content.tokens, 'int32')).reshape([batch, tc, d]);
  let x = contentX as tf.Tensor3D; // [B, Tc+Tq, d]
  if (tq > 0) {
    // w at every query row. An add, not broadcastTo/tile: their gradients run one slice per row on wasm.
    const queryX = tf.add(tf.zeros([batch, tq, d]), model.queryEmbed.reshape([1, 1, d]));
    x = tf.concat([contentX, queryX], 1) as tf.Tensor3D;
  }

  const kv: LayerKV[] = [];
  const attention: tf.Tensor4D[] = [];
  const hidden: tf.Tensor3D[] = [];
  const last = model.layers.length - 1;
  const needContent = options.contentOutput || options.collectHidden || options.collectAttention;
  let firstRow = 0;
  model.layers.forEach((lp, l) => {
    // The last layer's content outputs feed nothing unless asked for: skip that work.
    firstRow = l === last && !needContent ? tc : 0;
    const step = block(lp, x, ctx, input.past?.layers[l], firstRow);
    x = step.out;
    kv.push(step.kv);
    if (options.collectAttention) attention.push(step.probs);
    if (options.collectHidden) hidden.push(sliceAxis(x, 1, 0, tc));
  });
  return {
    content: firstRow === 0 ? sliceAxis(x, 1, 0, tc) : undefined,
    query: sliceAxis(x, 1, tc - firstRow, tq),
    kv,
    attention,
    hidden,
  };
}

// ---------------------------------------------------------------------------
// Entry points

/** A batch of equal-length sequences, row-major [B, T]. */
export interface SequenceBatch {
  batch: number;
  tokens: Int32Array;
  /** [B, T] group ids; ignored by the AR forward. */
  groupIds: Int32Array;
  /** [B, T] 1 at padding positions (never attended to, never scored). */
  pad?: Uint8Array;
}

/**
 * The LM head as [d, V]: an untied model's own lmHead variable (do not dispose
 * it), or for tied models a new transpose of the embedding that the caller owns
 * (a decoder computes it once per run).
 */
export function headMatrix(model: A3Model): tf.Tensor2D {
  return model.lmHead ?? (tf.transpose(model.embed) as tf.Tensor2D);
}

/** Final norm and LM head: states [..., d] -> logits [N, V]. `head` = a precomputed headMatrix. */
export function logitsFromStates(model: A3Model, states: tf.Tensor, head?: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const d = model.config.dModel;
    const normed = rmsNorm(states.reshape([-1, d]), model.finalNorm, model.config.normEps) as tf.Tensor2D;
    return linear(normed, head ?? headMatrix(model)) as tf.Tensor2D;
  });
}

function positionsFor(batch: number, length: number): Int32Array {
  const positions = new Int32Array(batch * length);
  for (let b = 0; b < batch; b++) positions.set(leftToRight(length), b * length);
  return positions;
}

function sequenceLength(seq: SequenceBatch): number {
  if (seq.tokens.length % seq.batch !== 0) throw new Error(`tokens (${seq.tokens.length}) do not split into ${seq.batch} sequences`);
  const length = seq.tokens.length / seq.batch;
  if (length === 0) throw new Error('sequences are empty');
  if (seq.groupIds.length !== seq.tokens.length) {
    throw new Error(`group ids have length ${seq.groupIds.length}, tokens have length ${seq.tokens.length}`);
  }
  if (seq.pad && seq.pad.length !== seq.tokens.length) throw new Error(`pad has length ${seq.pad.length}, expected ${seq.tokens.length}`);
  return length;
}

/** The two-stream layout of whole sequences: every position is a content row and a query row. */
export function twoStreamRows(seq: SequenceBatch): RowsInput {
  const length = sequenceLength(seq);
  const positions = positionsFor(seq.batch, length);
  return {
    batch: seq.batch,
    content: { tokens: seq.tokens, positions, gids: seq.groupIds, pad: seq.pad },
    query: { positions, gids: seq.groupIds },
  };
}

// A type alias so that tf.tidy can return it. The caller owns these tensors and nothing else.
export type ForwardResult = {
  logits: tf.Tensor2D; // [B*T, V]
  attention: tf.Tensor4D[]; // per layer [B, H, 2T, T]: rows 0..T-1 content, T..2T-1 query
  hidden: tf.Tensor3D[]; // per layer content states [B, T, d]
};

/**
 * A3 forward: logits at every position from the query stream, i.e.
 * p(x_i | x_{G<k}) for i in G_k (no shift: position i predicts token i).
 */
export function forward(model: A3Model, seq: SequenceBatch, options: Omit<RowsOptions, 'contentOutput'> = {}): ForwardResult {
  const rows = twoStreamRows(seq);
  return tf.tidy(() => {
    const out = forwardRows(model, rows, options);
    return { logits: logitsFromStates(model, out.query), attention: out.attention, hidden: out.hidden };
  });
}

/**
 * The base model: causal AR over the content stream alone (gid = arange(T)).
 * Logits at position i predict token i+1.
 */
export function arForward(model: A3Model, seq: Omit<SequenceBatch, 'groupIds'>, options: { collectHidden?: boolean } = {}): ForwardResult {
  const length = sequenceLength({ ...seq, groupIds: seq.tokens });
  const positions = positionsFor(seq.batch, length);
  const rows: RowsInput = {
    batch: seq.batch,
    content: { tokens: seq.tokens, positions, gids: positions, pad: seq.pad },
    query: { positions: new Int32Array(0), gids: new Int32Array(0) },
  };
  return tf.tidy(() => {
    const out = forwardRows(model, rows, { contentOutput: true, collectHidden: options.collectHidden });
    // contentOutput: true always returns the content states.
    return { logits: logitsFromStates(model, out.content!), attention: [], hidden: out.hidden };
  });
}
