/**
 * Every public entry point of lib/a3, called outside any tf.tidy, leaves
 * behind exactly the tensors it returns (none for functions returning plain
 * values): a caller that does not wrap it in a tidy loses nothing to leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { KVCache } from '@/lib/a3/cache';
import { decodeAR } from '@/lib/a3/decode/ar';
import { chooseGapLengths, completionScore } from '@/lib/a3/decode/auto-length';
import { decodeDiffusion } from '@/lib/a3/decode/diffusion';
import { decodeDynamic } from '@/lib/a3/decode/dynamic';
import { decodeGroupwise } from '@/lib/a3/decode/groupwise';
import { parseTemplate } from '@/lib/a3/decode/infill';
import { runDecodeRequest } from '@/lib/a3/decode/run';
import { DecodeSession } from '@/lib/a3/decode/session';
import { decodeSpeculative } from '@/lib/a3/decode/speculative';
import { rankRows, rankRowsPacked } from '@/lib/a3/decode/summaries';
import { a3Loss, arLoss, sequenceLogProb, sequenceLogProbAsync } from '@/lib/a3/likelihood';
import { bidirectionalLogits, corrupt, mdlmLoss } from '@/lib/a3/mdlm';
import { arForward, concatKV, disposeModel, forward, forwardRows, headMatrix, initModel, logitsFromStates, sliceKV, type A3Model } from '@/lib/a3/model';
import { applyRope, batchMatMul, linear, linear2d, rmsNorm, swiglu, weightedCrossEntropySum } from '@/lib/a3/ops';
import { exportSafetensors, importSafetensors } from '@/lib/a3/safetensors';
import { Tokenizer } from '@/lib/a3/tokenizer';
import { bufferSource, loadModel, MANIFEST_FILE, serializeModel } from '@/lib/a3/weights';
import { randomModel, tiny, useCpu } from '../helpers/tf';

/** Tensors inside a returned value (objects, arrays, a model's variables), each counted once. */
function tensorsIn(value: unknown, seen = new Map<number, tf.Tensor>()): Map<number, tf.Tensor> {
  if (value instanceof tf.Tensor) seen.set(value.id, value);
  else if (Array.isArray(value)) value.forEach((v) => tensorsIn(v, seen));
  else if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value) && !(value instanceof ArrayBuffer)) {
    Object.values(value).forEach((v) => tensorsIn(v, seen));
  }
  return seen;
}

/**
 * Run `call` outside any tidy; the tensor count must grow by exactly the new
 * tensors it returned (returned tensors that existed before, like an untied
 * model's own head, are not new). Disposing those brings the count back.
 */
async function expectOwned<T>(name: string, call: () => T | Promise<T>): Promise<T> {
  const marker = tf.scalar(0);
  const firstNewId = marker.id + 1;
  marker.dispose();
  const before = tf.memory().numTensors;
  const result = await call();
  const fresh = [...tensorsIn(result).values()].filter((t) => t.id >= firstNewId);
  expect(tf.memory().numTensors - before, `${name} leaves ${tf.memory().numTensors - before} tensors, returns ${fresh.length}`).toBe(fresh.length);
  fresh.forEach((t) => created.add(t.id));
  return result;
}

/** Tensors that expectOwned saw created by a call (never a model's own variables). */
const created = new Set<number>();
const disposeAll = (value: unknown) => tf.dispose([...tensorsIn(value).values()].filter((t) => created.has(t.id)));

const cfg = { ...tiny, vocabSize: 24, maxLen: 16 };
const T = 6;
const tokens = Int32Array.from({ length: T }, (_, i) => 4 + i);
const groupIds = Int32Array.from([0, 1, 0, 2, 2, 1]);
const seq = { batch: 1, tokens, groupIds };
const given = [true, true, false, false, true, false];
const problem = { tokens: Array.from(tokens), given };

describe('tensor ownership of lib/a3', () => {
  let model: A3Model;
  beforeAll(async () => {
    await useCpu();
    model = randomModel(cfg, 1, 0.3);
  });

  it('model: forward, arForward, forwardRows, logits, head, KV slices', async () => {
    // The case that used to leave ~350 tensors per call.
    disposeAll(await expectOwned('forward', () => forward(model, seq)));
    disposeAll(await expectOwned('forward with attention and hidden', () => forward(model, seq, { collectAttention: true, collectHidden: true })));
    disposeAll(await expectOwned('arForward', () => arForward(model, { batch: 1, tokens })));
    disposeAll(await expectOwned('arForward with hidden', () => arForward(model, { batch: 1, tokens }, { collectHidden: true })));
    const positions = Int32Array.from({ length: T }, (_, i) => i);
    const rows = { batch: 1, content: { tokens, positions, gids: groupIds }, query: { positions, gids: groupIds } };
    const out = await expectOwned('forwardRows', () => forwardRows(model, rows, { contentOutput: true }));
    const states = await expectOwned('logitsFromStates', () => logitsFromStates(model, out.query));
    disposeAll(states);
    const half = await expectOwned('sliceKV', () => sliceKV(out.kv[0], 3));
    disposeAll(await expectOwned('sliceKV (all keys: the inputs themselves)', () => sliceKV(out.kv[0], T)));
    disposeAll(await expectOwned('concatKV', () => concatKV(half, out.kv[1])));
    disposeAll([half, out]);
    disposeAll(await expectOwned('headMatrix (untied: the model’s own head)', () => headMatrix(model)));
    const tied = randomModel({ ...cfg, tieEmbeddings: true }, 2, 0.3);
    disposeAll(await expectOwned('headMatrix (tied: a new transpose)', () => headMatrix(tied)));
    disposeModel(tied);
  });

  it('ops', async () => {
    const x = tf.randomNormal([2, 3, 2, 4]) as tf.Tensor4D;
    const w = tf.randomNormal([4, 5]) as tf.Tensor2D;
    const cos = tf.randomNormal([2, 3, 1, 4]);
    const sin = tf.randomNormal([2, 3, 1, 4]);
    disposeAll(await expectOwned('linear', () => linear(x, w)));
    const x2 = x.reshape([12, 4]) as tf.Tensor2D;
    const [a3, b3] = [x.reshape([4, 3, 4]) as tf.Tensor3D, x.reshape([4, 4, 3]) as tf.Tensor3D];
    disposeAll(await expectOwned('linear2d', () => linear2d(x2, w)));
    disposeAll(await expectOwned('batchMatMul', () => batchMatMul(a3, b3)));
    const ones = tf.ones([4]) as tf.Tensor1D;
    disposeAll(await expectOwned('rmsNorm', () => rmsNorm(x, ones, 1e-5)));
    disposeAll(await expectOwned('swiglu', () => swiglu(x, x)));
    disposeAll(await expectOwned('applyRope', () => applyRope(x, cos, sin)));
    const logits = tf.randomNormal([3, 5]) as tf.Tensor2D;
    const idx = tf.tensor1d([1, 6, 14], 'int32');
    const weights = tf.ones([3]) as tf.Tensor1D;
    disposeAll(await expectOwned('weightedCrossEntropySum', () => weightedCrossEntropySum(logits, idx, weights)));
    tf.dispose([x, x2, a3, b3, ones, w, cos, sin, logits, idx, weights]);
  });

  it('likelihoods and losses, mdlm', async () => {
    disposeAll(await expectOwned('a3Loss', () => a3Loss(model, seq)));
    disposeAll(await expectOwned('arLoss', () => arLoss(model, { batch: 1, tokens })));
    await expectOwned('sequenceLogProb', () => sequenceLogProb(model, seq, given));
    await expectOwned('sequenceLogProbAsync', () => sequenceLogProbAsync(model, seq, given));
    disposeAll(await expectOwned('bidirectionalLogits', () => bidirectionalLogits(model, 1, tokens)));
    disposeAll(await expectOwned('bidirectionalLogits (rows)', () => bidirectionalLogits(model, 1, tokens, [1, 3])));
    disposeAll(await expectOwned('mdlmLoss', () => mdlmLoss(model, 1, tokens, corrupt(tokens, 1, 3))));
  });

  it('decoders, the decode session, device summaries and the request entry point', async () => {
    await expectOwned('decodeGroupwise', () => decodeGroupwise(model, problem, { groupSize: 2 }));
    await expectOwned('decodeDynamic', () => decodeDynamic(model, problem, { perStep: 2 }));
    await expectOwned('decodeDynamic uncached', () => decodeDynamic(model, problem, { perStep: 1, cached: false }));
    await expectOwned('decodeSpeculative', () => decodeSpeculative(model, problem, { draft: 2 }));
    await expectOwned('decodeDiffusion', () => decodeDiffusion(model, problem, { steps: 3 }));
    await expectOwned('decodeAR', () => decodeAR(model, [4, 5], { length: 20 })); // slides past the context of 16
    const trace = await expectOwned('decodeGroupwise', () => decodeGroupwise(model, problem, { groupSize: 1 }));
    await expectOwned('completionScore', () => completionScore(model, trace));

    const session = await expectOwned('new DecodeSession (its own head and fill mask)', () => new DecodeSession(model, problem, true));
    const before = tf.memory().numTensors;
    await session.predict([2, 3], 1);
    // The session owns its KV cache: one key and one value block per layer, concatenated in place afterwards.
    expect(tf.memory().numTensors - before).toBe(2 * cfg.nLayers);
    await expectOwned('session.predict', () => session.predict([2, 3], 1));
    disposeAll(await expectOwned('session.forwardLogits', () => session.forwardLogits([], [5], [1])));
    session.commit(2, 7, 1);
    await expectOwned('session.forward with drafts', () => session.forward([{ pos: 3, token: 8, gid: 2 }], [3, 5], [2, 3]));
    const sessionTensors = tf.memory().numTensors;
    session.dispose();
    // The cache, the transposed head (none: untied) and the fill mask go with it.
    expect(sessionTensors - tf.memory().numTensors).toBe(2 * cfg.nLayers + 1);

    const logits = tf.randomNormal([4, 24]) as tf.Tensor2D;
    disposeAll(await expectOwned('rankRowsPacked', () => rankRowsPacked(logits, 'max-prob', 2, 3)));
    await expectOwned('rankRows', () => rankRows(logits, 'neg-entropy', 2, 3));
    logits.dispose();

    const tok = Tokenizer.train('the cat sat on the mat. the dog ran to the cat.', 8);
    const big = randomModel({ ...cfg, vocabSize: tok.vocabSize, maxLen: 32 }, 3, 0.3);
    await expectOwned('runDecodeRequest', () => runDecodeRequest(big, tok, { text: 'the cat [__3__] the mat', strategy: 'dynamic', perStep: 2 }));
    const infill = parseTemplate('the cat [__2__] the mat', tok);
    await expectOwned('chooseGapLengths', () => chooseGapLengths(big, { ...infill, spans: [{ ...infill.spans[0], auto: true }] }, [0], [1, 2], (p) => decodeGroupwise(big, p, { groupSize: 1 })));
    disposeModel(big);
  });

  it('the KV cache', async () => {
    const positions = Int32Array.from({ length: T }, (_, i) => i);
    const rows = { batch: 1, content: { tokens, positions, gids: positions }, query: { positions: new Int32Array(0), gids: new Int32Array(0) } };
    const cache = new KVCache();
    const before = tf.memory().numTensors;
    const out = forwardRows(model, rows);
    tf.dispose(out.query);
    await expectOwned('KVCache.append (takes the keys it is given)', () => cache.append(out.kv, positions));
    expect(tf.memory().numTensors - before).toBe(2 * cfg.nLayers);
    await expectOwned('KVCache.past (its own tensors, nothing new)', () => cache.past());
    const more = forwardRows(model, { ...rows, past: cache.past() });
    tf.dispose(more.query);
    cache.append(more.kv, positions); // old and new blocks are concatenated, both inputs disposed
    expect(tf.memory().numTensors - before).toBe(2 * cfg.nLayers);
    cache.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('models: init, load, import, export, dispose', async () => {
    const made = await expectOwned('initModel', () => initModel(cfg, 4));
    const { manifest, shards } = await expectOwned('serializeModel', () => serializeModel(made));
    const loaded = await expectOwned('loadModel', () => loadModel(bufferSource({ [MANIFEST_FILE]: JSON.stringify(manifest), ...shards })));
    const files = await expectOwned('exportSafetensors', () => exportSafetensors(made));
    const imported = await expectOwned('importSafetensors', () => importSafetensors(files['model.safetensors'], files['config.json']));
    const before = tf.memory().numTensors;
    for (const m of [made, loaded.model, imported]) disposeModel(m);
    expect(before - tf.memory().numTensors).toBe(3 * tensorsIn(made).size);
  });
});
