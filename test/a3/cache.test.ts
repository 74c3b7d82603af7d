/**
 * The KV cache is exact (A3.md §4, §6 item 6): feeding groups one at a time
 * through forwardRows with `past` gives the logits of one full forward, for
 * partitions whose groups are not contiguous and whose positions (RoPE) come
 * out of order; and the decoders agree cached vs uncached for every order.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KVCache } from '@/lib/a3/cache';
import { decodeDynamic } from '@/lib/a3/decode/dynamic';
import { decodeGroupwise } from '@/lib/a3/decode/groupwise';
import { decodeSpeculative } from '@/lib/a3/decode/speculative';
import type { DecodeTrace } from '@/lib/a3/decode/trace';
import { randomSubsets, toGroups } from '@/lib/a3/groups';
import { disposeModel, forward, forwardRows, logitsFromStates, type A3Model } from '@/lib/a3/model';
import { makeRng } from '@/lib/a3/random';
import { maxAbsDiff, randomModel, tiny, useCpu } from '../helpers/tf';

const V = 20;
const N = 14;
const cfg = { ...tiny, vocabSize: V, maxLen: 16 };
let model: A3Model;

beforeAll(async () => {
  await useCpu();
  model = randomModel(cfg, 31, 0.4);
});

afterAll(() => disposeModel(model));

/** Logits [N, V] of one full two-stream forward (the reference). */
function fullLogits(tokens: Int32Array, gids: Int32Array): Float32Array {
  return tf.tidy(() => forward(model, { batch: 1, tokens, groupIds: gids }).logits.dataSync() as Float32Array);
}

/**
 * Group by group: content rows = the previous group (their keys join the
 * cache), query rows = this group. Returns each group's logits rows.
 */
function cachedLogits(tokens: Int32Array, gids: Int32Array, cache: KVCache): Map<number, Float32Array> {
  const groups = toGroups(gids);
  const out = new Map<number, Float32Array>();
  for (let k = 1; k < groups.length; k++) {
    const content = groups[k - 1];
    const targets = groups[k];
    const gid = gids[targets[0]];
    const result = tf.tidy(() => {
      const rows = forwardRows(model, {
        batch: 1,
        content: { tokens: Int32Array.from(content, (p) => tokens[p]), positions: Int32Array.from(content), gids: Int32Array.from(content, (p) => gids[p]) },
        query: { positions: Int32Array.from(targets), gids: new Int32Array(targets.length).fill(gid) },
        past: cache.past(),
      });
      // Flattened: tidy keeps tensors inside arrays and plain objects, not interface types.
      return { logits: logitsFromStates(model, rows.query), kv: rows.kv.flatMap((l) => [l.k, l.vT]) };
    });
    const kv = model.layers.map((_, l) => ({ k: result.kv[2 * l] as tf.Tensor3D, vT: result.kv[2 * l + 1] as tf.Tensor3D }));
    cache.append(kv, Int32Array.from(content, (p) => gids[p]));
    const flat = result.logits.dataSync() as Float32Array;
    result.logits.dispose();
    targets.forEach((pos, r) => out.set(pos, flat.slice(r * V, (r + 1) * V)));
  }
  return out;
}

describe('KVCache', () => {
  it('group-by-group cached forwards equal one full forward (random non-contiguous groups)', async () => {
    const rng = makeRng(7);
    for (const s of [1, 2, 3, 5]) {
      const tokens = Int32Array.from({ length: N }, () => Math.floor(rng() * V));
      const gids = randomSubsets(N, s, rng);
      const full = fullLogits(tokens, gids);
      const cache = new KVCache();
      const cached = cachedLogits(tokens, gids, cache);
      expect(cache.size).toBe(N - toGroups(gids).at(-1)!.length);
      for (const [pos, row] of cached) expect(maxAbsDiff(row, full.subarray(pos * V, (pos + 1) * V))).toBeLessThan(1e-4);
      cache.dispose();
    }
  });

  it('owns what it is given: append disposes the old tensors, dispose frees everything', async () => {
    const before = tf.memory().numTensors;
    const cache = new KVCache();
    const tokens = Int32Array.from({ length: N }, (_, i) => i % V);
    cachedLogits(tokens, randomSubsets(N, 2, 3), cache);
    // One kT and one v per layer, whatever the number of appends.
    expect(tf.memory().numTensors - before).toBe(2 * cfg.nLayers);
    cache.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(cache.past()).toBeUndefined();
  });
});

/** Same tokens, and the same recorded probabilities within float tolerance. */
function expectSameTrace(a: DecodeTrace, b: DecodeTrace): void {
  expect(a.tokens).toEqual(b.tokens);
  expect(a.groupIds).toEqual(b.groupIds);
  expect(a.nfe).toBe(b.nfe);
  a.steps.forEach((step, t) =>
    step.committed.forEach((c, j) => {
      expect(c.pos).toBe(b.steps[t].committed[j].pos);
      expect(Math.abs(c.prob - b.steps[t].committed[j].prob)).toBeLessThan(1e-4);
    }),
  );
}

describe('decoders agree cached vs uncached for every order', () => {
  // Given: a prefix, a token in the middle and a suffix; the open positions are scattered.
  const given = Array.from({ length: N }, (_, i) => i < 3 || i === 7 || i >= 12);
  const problem = { tokens: given.map((g, i) => (g ? 4 + i : 0)), given };
  const open = given.flatMap((g, i) => (g ? [] : [i]));

  it('group-wise: random and explicit orders', async () => {
    const explicit = [...open].reverse();
    for (const order of ['random', explicit] as const) {
      for (const s of [1, 3]) {
        const opts = { groupSize: s, order, seed: 12, sampling: { temperature: 1.2 } };
        expectSameTrace(await decodeGroupwise(model, problem, { ...opts, cached: true }), await decodeGroupwise(model, problem, { ...opts, cached: false }));
      }
    }
  });

  it('dynamic: every score', async () => {
    for (const score of ['confidence', 'entropy', 'random'] as const) {
      const opts = { perStep: 2, score, seed: 13 };
      expectSameTrace(await decodeDynamic(model, problem, { ...opts, cached: true }), await decodeDynamic(model, problem, { ...opts, cached: false }));
    }
  });

  it('speculative: random order', async () => {
    const opts = { draft: 3, order: 'random' as const, seed: 14 };
    expectSameTrace(await decodeSpeculative(model, problem, { ...opts, cached: true }), await decodeSpeculative(model, problem, { ...opts, cached: false }));
  });
});
