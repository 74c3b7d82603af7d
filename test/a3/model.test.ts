import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useCpu, tiny, maxAbsDiff, randomModel } from '../helpers/tf';
import {
  arForward,
  disposeModel,
  forward,
  initModel,
  namedParams,
  trainableVariables,
  type A3Model,
  type SequenceBatch,
} from '@/lib/a3/model';
import { a3Loss } from '@/lib/a3/likelihood';
import { leftToRight, randomSubsets } from '@/lib/a3/groups';
import { AdamW } from '@/lib/train/optim';

let model: A3Model; // sharp random weights: outputs depend strongly on inputs
let tied: A3Model;

beforeAll(async () => {
  await useCpu();
  model = randomModel(tiny, 1, 0.3);
  tied = randomModel({ ...tiny, tieEmbeddings: true }, 2, 0.3);
});

afterAll(() => {
  disposeModel(model);
  disposeModel(tied);
});

const i32 = (a: ArrayLike<number>) => Int32Array.from(a);
const one = (tokens: number[], gids: ArrayLike<number>, pad?: number[]): SequenceBatch => ({
  batch: 1,
  tokens: i32(tokens),
  groupIds: i32(gids),
  pad: pad ? Uint8Array.from(pad) : undefined,
});

function logitsOf(m: A3Model, seq: SequenceBatch): Float32Array {
  return tf.tidy(() => forward(m, seq).logits).dataSync() as Float32Array;
}

/** Values of row i (length width) of a flat row-major array. */
const row = (a: Float32Array, i: number, width: number) => a.subarray(i * width, (i + 1) * width);

const V = tiny.vocabSize;
const D = tiny.dModel;

describe('item 2: with gid = arange(N) the content stream is the base AR model', () => {
  it('hidden states equal arForward layer by layer (within 1e-5), untied and tied', () => {
    for (const m of [model, tied]) {
      const tokens = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3];
      const n = tokens.length;
      tf.tidy(() => {
        const a3 = forward(m, one(tokens, leftToRight(n)), { collectHidden: true }).hidden;
        const ar = arForward(m, { batch: 1, tokens: i32(tokens) }, { collectHidden: true }).hidden;
        expect(a3.length).toBe(tiny.nLayers);
        expect(ar.length).toBe(tiny.nLayers);
        for (let l = 0; l < tiny.nLayers; l++) {
          expect(a3[l].shape).toEqual([1, n, D]);
          expect(maxAbsDiff(a3[l].dataSync(), ar[l].dataSync())).toBeLessThan(1e-5);
        }
      });
    }
  });

  it('query logits are not the AR logits (w is a new input)', () => {
    const tokens = [3, 1, 4, 1, 5];
    tf.tidy(() => {
      const q = forward(model, one(tokens, leftToRight(5))).logits.dataSync();
      const ar = arForward(model, { batch: 1, tokens: i32(tokens) }).logits.dataSync();
      expect(maxAbsDiff(q, ar)).toBeGreaterThan(1e-3);
    });
  });
});

describe('item 3: no leakage', () => {
  const groupings: [string, Int32Array][] = [
    ['A3.md example', i32([1, 0, 2, 2, 0, 2])],
    ['left to right', leftToRight(7)],
    ['right to left', i32([6, 5, 4, 3, 2, 1, 0])],
    ['random subsets s=2', randomSubsets(8, 2, 5)],
    ['random subsets s=3, sparse ids', Int32Array.from(randomSubsets(7, 3, 9), (g) => 4 * g + 1)],
  ];

  for (const [label, gid] of groupings) {
    it(`query logits at i ignore x_j with gid[j] >= gid[i]; content states at i ignore x_j with gid[j] > gid[i] (${label})`, () => {
      const n = gid.length;
      const base = Array.from({ length: n }, (_, i) => (3 * i + 2) % V);
      const run = (tokens: number[]) =>
        tf.tidy(() => {
          const out = forward(model, one(tokens, gid), { collectHidden: true });
          return { logits: out.logits.dataSync() as Float32Array, hidden: out.hidden.map((h) => h.dataSync() as Float32Array) };
        });
      const ref = run(base);
      let changedSomewhere = 0;
      for (let j = 0; j < n; j++) {
        const tokens = [...base];
        tokens[j] = (tokens[j] + 5) % V;
        const out = run(tokens);
        for (let i = 0; i < n; i++) {
          const dq = maxAbsDiff(row(out.logits, i, V), row(ref.logits, i, V));
          if (gid[j] >= gid[i]) expect(dq, `query logits at ${i} changed with x_${j}`).toBeLessThan(1e-6);
          else if (dq > 1e-4) changedSomewhere++;
          for (let l = 0; l < tiny.nLayers; l++) {
            const dc = maxAbsDiff(row(out.hidden[l], i, D), row(ref.hidden[l], i, D));
            if (gid[j] > gid[i]) expect(dc, `content state at ${i} layer ${l} changed with x_${j}`).toBeLessThan(1e-6);
          }
        }
        // Own position's content state must change (sanity: the perturbation is real).
        expect(maxAbsDiff(row(out.hidden[0], j, D), row(ref.hidden[0], j, D))).toBeGreaterThan(1e-4);
      }
      // The test has power: allowed dependencies are actually there.
      expect(changedSomewhere).toBeGreaterThan(0);
    });
  }

  it('first-group logits ignore all tokens (equal across completely different sequences)', () => {
    const gid = i32([1, 0, 2, 2, 0, 2]);
    const a = logitsOf(model, one([0, 1, 2, 3, 4, 5], gid));
    const b = logitsOf(model, one([15, 14, 13, 12, 11, 10], gid));
    for (const i of [1, 4]) expect(maxAbsDiff(row(a, i, V), row(b, i, V))).toBeLessThan(1e-6);
    // ... and equal to each other: their attention output is zero, so they are a function of w alone
    // (RoPE only enters through attention scores).
    expect(maxAbsDiff(row(a, 1, V), row(a, 4, V))).toBeLessThan(1e-6);
    for (const i of [0, 2, 3, 5]) expect(maxAbsDiff(row(a, i, V), row(b, i, V))).toBeGreaterThan(1e-4);
  });

  it('first-group query rows give finite logits and exactly zero attention weights', () => {
    const gid = i32([1, 0, 2, 2, 0, 2]);
    const n = 6;
    tf.tidy(() => {
      const out = forward(model, one([1, 2, 3, 4, 5, 6], gid), { collectAttention: true });
      const logits = out.logits.dataSync();
      expect(logits.every((x) => Number.isFinite(x))).toBe(true);
      expect(out.attention.length).toBe(tiny.nLayers);
      for (const att of out.attention) {
        expect(att.shape).toEqual([1, tiny.nHeads, 2 * n, n]);
        const a = att.arraySync()[0];
        for (let h = 0; h < tiny.nHeads; h++) {
          for (let r = 0; r < 2 * n; r++) {
            const i = r % n;
            const isQuery = r >= n;
            const weights = a[h][r];
            if (isQuery && gid[i] === 0) {
              expect(weights.every((w) => w === 0)).toBe(true);
            } else {
              // Other rows are a distribution over exactly the allowed keys.
              expect(Math.abs(weights.reduce((s, w) => s + w, 0) - 1)).toBeLessThan(1e-5);
              weights.forEach((w, j) => {
                const allowed = isQuery ? gid[j] < gid[i] : gid[j] <= gid[i];
                if (!allowed) expect(w).toBe(0);
              });
            }
          }
        }
      }
    });
  });
});

describe('batching and padding', () => {
  it('a batched forward equals per-sequence forwards (different groupings per row)', () => {
    const seqs = [
      { tokens: [1, 2, 3, 4, 5, 6], gids: [1, 0, 2, 2, 0, 2] },
      { tokens: [7, 7, 0, 15, 8, 3], gids: [0, 1, 2, 3, 4, 5] },
      { tokens: [9, 4, 4, 2, 11, 12], gids: Array.from(randomSubsets(6, 3, 4)) },
    ];
    const batched = logitsOf(model, {
      batch: 3,
      tokens: i32(seqs.flatMap((s) => s.tokens)),
      groupIds: i32(seqs.flatMap((s) => s.gids)),
    });
    seqs.forEach((s, b) => {
      const single = logitsOf(model, one(s.tokens, s.gids));
      expect(maxAbsDiff(batched.subarray(b * 6 * V, (b + 1) * 6 * V), single)).toBeLessThan(1e-5);
    });
  });

  it('one sequence runs the same attention as a batch, in its short (block-diagonal) and long (per-head) forms', () => {
    // Batch 1 takes 2-D matmul paths (block-diagonal under 64 rows, per head from 64 rows); batch > 1 the batched one.
    const long = randomModel({ ...tiny, maxLen: 64 }, 5, 0.3);
    for (const length of [5, 40]) {
      const tokens = Array.from({ length }, (_, i) => (i * 7 + 3) % V);
      const gids = Array.from(randomSubsets(length, 4, length));
      const other = { tokens: tokens.map((t) => (t + 5) % V), gids: Array.from(leftToRight(length)) };
      const run = (seq: SequenceBatch) =>
        tf.tidy(() => {
          const out = forward(long, seq, { collectAttention: true });
          return [out.logits, ...out.attention];
        });
      const single = run(one(tokens, gids));
      const batched = run({ batch: 2, tokens: i32([...tokens, ...other.tokens]), groupIds: i32([...gids, ...other.gids]) });
      const logitsSingle = single[0].dataSync() as Float32Array;
      expect(maxAbsDiff(batched[0].dataSync().subarray(0, length * V) as Float32Array, logitsSingle)).toBeLessThan(1e-5);
      for (let l = 1; l < single.length; l++) {
        const first = batched[l].slice([0, 0, 0, 0], [1, -1, -1, -1]);
        expect(maxAbsDiff(first.dataSync() as Float32Array, single[l].dataSync() as Float32Array)).toBeLessThan(1e-6);
        first.dispose();
      }
      tf.dispose([...single, ...batched]);
    }
    disposeModel(long);
  });

  it('padding positions do not change other positions’ logits', () => {
    const tokens = [4, 9, 1, 13, 2];
    const gid = [1, 0, 2, 1, 3];
    const unpadded = logitsOf(model, one(tokens, gid));
    // Pads appended with various tokens / gids (including gids earlier than real ones): same logits for the real positions.
    for (const [padTokens, padGids] of [
      [[0, 0, 0], [4, 4, 4]],
      [[15, 3, 7], [0, 0, 0]],
      [[5, 6, 8], [2, 9, 1]],
    ]) {
      const padded = logitsOf(model, one([...tokens, ...padTokens], [...gid, ...padGids], [0, 0, 0, 0, 0, 1, 1, 1]));
      expect(maxAbsDiff(padded.subarray(0, 5 * V), unpadded)).toBeLessThan(1e-5);
    }
    // A pad in the middle: changing its token or gid changes nothing elsewhere.
    const midPad = [0, 0, 1, 0, 0];
    const a = logitsOf(model, one([4, 9, 1, 13, 2], [1, 0, 0, 1, 3], midPad));
    const b = logitsOf(model, one([4, 9, 14, 13, 2], [1, 0, 7, 1, 3], midPad));
    for (const i of [0, 1, 3, 4]) expect(maxAbsDiff(row(a, i, V), row(b, i, V))).toBeLessThan(1e-6);
  });

  it('a batch mixing padded and unpadded rows matches the rows run alone', () => {
    const a = { tokens: [1, 2, 3, 4], gids: [0, 1, 2, 3], pad: [0, 0, 0, 0] };
    const b = { tokens: [5, 6, 0, 0], gids: [1, 0, 2, 2], pad: [0, 0, 1, 1] };
    const batched = logitsOf(model, {
      batch: 2,
      tokens: i32([...a.tokens, ...b.tokens]),
      groupIds: i32([...a.gids, ...b.gids]),
      pad: Uint8Array.from([...a.pad, ...b.pad]),
    });
    expect(maxAbsDiff(batched.subarray(0, 4 * V), logitsOf(model, one(a.tokens, a.gids)))).toBeLessThan(1e-5);
    expect(maxAbsDiff(batched.subarray(4 * V, 6 * V), logitsOf(model, one([5, 6], [1, 0])))).toBeLessThan(1e-5);
  });
});

describe('bad inputs throw clear errors', () => {
  it('token id out of vocab, sequence longer than the context, wrong group-id length, bad gids', () => {
    const before = tf.memory().numTensors;
    expect(() => forward(model, one([1, V, 2], [0, 1, 2]))).toThrow(/token id 16 is outside the vocabulary 0\.\.15/);
    expect(() => forward(model, one([1, -1, 2], [0, 1, 2]))).toThrow(/token id -1 is outside the vocabulary/);
    const long = Array.from({ length: tiny.maxLen + 1 }, (_, i) => i % V);
    expect(() => forward(model, one(long, leftToRight(long.length)))).toThrow(/position 16 is outside the model's context 0\.\.15/);
    expect(() => arForward(model, { batch: 1, tokens: i32(long) })).toThrow(/outside the model's context/);
    expect(() => forward(model, one([1, 2, 3], [0, 1]))).toThrow(/group ids have length 2, tokens have length 3/);
    expect(() => forward(model, one([1, 2, 3], [0, -1, 2]))).toThrow(/negative/);
    expect(() => forward(model, { batch: 2, tokens: i32([1, 2, 3]), groupIds: i32([0, 1, 2]) })).toThrow(/do not split into 2 sequences/);
    expect(() => forward(model, { ...one([1, 2, 3], [0, 1, 2]), pad: Uint8Array.from([0, 1]) })).toThrow(/pad has length 2, expected 3/);
    expect(() => forward(model, one([], []))).toThrow(/empty/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('item 8: gradients, NaN-freedom, memory, training', () => {
  function gradsOf(m: A3Model, seq: SequenceBatch) {
    const vars = trainableVariables(m);
    const { value, grads } = tf.variableGrads(() => a3Loss(m, seq), vars);
    const loss = value.dataSync()[0];
    const stats = namedParams(m).map((p) => {
      const g = grads[p.variable.name];
      const data = g ? (g.dataSync() as Float32Array) : null;
      return {
        name: p.name,
        present: g != null,
        finite: data ? data.every((x) => Number.isFinite(x)) : false,
        maxAbs: data ? data.reduce((s, x) => Math.max(s, Math.abs(x)), 0) : 0,
      };
    });
    value.dispose();
    tf.dispose(Object.values(grads));
    return { loss, stats };
  }

  it('gradients reach w and every weight (non-zero, finite), untied and tied', () => {
    for (const m of [model, tied]) {
      const seq = one([3, 1, 4, 1, 5, 9, 2, 6], randomSubsets(8, 2, 3));
      const { loss, stats } = gradsOf(m, seq);
      expect(Number.isFinite(loss)).toBe(true);
      expect(stats.map((s) => s.name)).toContain('query_embed');
      expect(stats.length).toBe(trainableVariables(m).length);
      for (const s of stats) {
        expect(s.present, `${s.name} has no gradient`).toBe(true);
        expect(s.finite, `${s.name} gradient not finite`).toBe(true);
        expect(s.maxAbs, `${s.name} gradient is zero`).toBeGreaterThan(0);
      }
    }
  });

  it('no NaN loss or gradient for all-context, all-target and padded batches', () => {
    const cases: [string, SequenceBatch][] = [
      // All positions in group 0: every query row is a first-group row and attends nothing.
      ['all-context', one([1, 2, 3, 4, 5], [0, 0, 0, 0, 0])],
      ['all-target (singletons, left to right)', one([1, 2, 3, 4, 5], leftToRight(5))],
      ['all-target (singletons, shuffled)', one([1, 2, 3, 4, 5], randomSubsets(5, 1, 8))],
      [
        'padded batch',
        { batch: 2, tokens: i32([1, 2, 3, 4, 5, 6, 0, 0]), groupIds: i32([0, 1, 1, 2, 1, 0, 2, 2]), pad: Uint8Array.from([0, 0, 0, 0, 0, 0, 1, 1]) },
      ],
      // A row whose group-0 position is padding: its group-1 query rows see nothing.
      ['padded first group', { batch: 1, tokens: i32([0, 7, 8]), groupIds: i32([0, 1, 1]), pad: Uint8Array.from([1, 0, 0]) }],
    ];
    for (const m of [model, tied]) {
      for (const [label, seq] of cases) {
        const before = tf.memory().numTensors;
        const { loss, stats } = gradsOf(m, seq);
        expect(Number.isFinite(loss), `${label}: loss ${loss}`).toBe(true);
        for (const s of stats) if (s.present) expect(s.finite, `${label}: ${s.name}`).toBe(true);
        // w always gets a gradient (every query row starts from w).
        expect(stats.find((s) => s.name === 'query_embed')!.maxAbs).toBeGreaterThan(0);
        expect(tf.memory().numTensors, `${label}: tensors leaked`).toBe(before);
      }
    }
  });

  it('tensor counts do not grow across 5 forwards (in tf.tidy) and 5 AdamW steps', async () => {
    const seq = one([3, 1, 4, 1, 5, 9], randomSubsets(6, 2, 1));
    const counts: number[] = [];
    for (let k = 0; k < 5; k++) {
      tf.tidy(() => {
        forward(model, seq, { collectAttention: true, collectHidden: true });
        arForward(model, { batch: 1, tokens: seq.tokens });
      });
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);

    const m = initModel(tiny, 11);
    const opt = new AdamW(trainableVariables(m));
    const stepCounts: number[] = [];
    for (let k = 0; k < 5; k++) {
      const r = await opt.minimize(() => a3Loss(m, seq), 1e-3);
      expect(r.applied).toBe(true);
      stepCounts.push(tf.memory().numTensors);
    }
    expect(new Set(stepCounts).size).toBe(1);
    opt.dispose();
    disposeModel(m);
  });

  it('AdamW lowers the A3 loss over 30 steps on a fixed tiny batch', async () => {
    const m = initModel(tiny, 5);
    const opt = new AdamW(trainableVariables(m));
    const seq: SequenceBatch = {
      batch: 2,
      tokens: i32([1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1]),
      groupIds: i32([...contiguousIds(8, 2), ...contiguousIds(8, 2)]),
    };
    const losses: number[] = [];
    for (let k = 0; k < 30; k++) losses.push((await opt.minimize(() => a3Loss(m, seq), 1e-2)).loss);
    expect(losses.every((l) => Number.isFinite(l))).toBe(true);
    expect(losses[0]).toBeGreaterThan(Math.log(V) - 0.1); // starts near uniform
    expect(losses[29]).toBeLessThan(losses[0] - 0.5);
    opt.dispose();
    disposeModel(m);
  });

  it('initModel with the same seed gives identical weights; a different seed differs', () => {
    const a = initModel(tiny, 3);
    const b = initModel(tiny, 3);
    const c = initModel(tiny, 4);
    const pa = namedParams(a);
    const pb = namedParams(b);
    const pc = namedParams(c);
    let differs = false;
    pa.forEach((p, k) => {
      expect(pb[k].name).toBe(p.name);
      expect(Array.from(pb[k].variable.dataSync())).toEqual(Array.from(p.variable.dataSync()));
      if (maxAbsDiff(pc[k].variable.dataSync(), p.variable.dataSync()) > 0) differs = true;
    });
    expect(differs).toBe(true);
    [a, b, c].forEach(disposeModel);
  });
});

function contiguousIds(n: number, s: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.floor(i / s));
}
