import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useCpu, tiny, randomModel } from '../helpers/tf';
import { arForward, disposeModel, type A3Model, type SequenceBatch } from '@/lib/a3/model';
import { a3Loss, arLoss, scoredPositions, sequenceLogProb } from '@/lib/a3/likelihood';
import { infillPlan, leftToRight, randomSubsets } from '@/lib/a3/groups';

/** All V^n sequences, row-major. */
function allSequences(vocab: number, n: number): number[][] {
  const out: number[][] = [];
  const total = vocab ** n;
  for (let k = 0; k < total; k++) {
    const s: number[] = [];
    let r = k;
    for (let i = 0; i < n; i++) {
      s.push(r % vocab);
      r = Math.floor(r / vocab);
    }
    out.push(s);
  }
  return out;
}

function batchOf(seqs: number[][], gid: ArrayLike<number>): SequenceBatch {
  return {
    batch: seqs.length,
    tokens: Int32Array.from(seqs.flat()),
    groupIds: Int32Array.from(seqs.flatMap(() => Array.from(gid))),
  };
}

/** log Σ exp, in float64. */
function logSumExp(values: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < values.length; i++) m = Math.max(m, values[i]);
  let s = 0;
  for (let i = 0; i < values.length; i++) s += Math.exp(values[i] - m);
  return m + Math.log(s);
}

const small34 = { ...tiny, vocabSize: 3, maxLen: 4 };
const small43 = { ...tiny, vocabSize: 4, maxLen: 3 };
let m34: A3Model;
let m43: A3Model;
let big: A3Model;

beforeAll(async () => {
  await useCpu();
  // Large random weights: sharp, context-dependent conditionals (near-uniform ones would sum to ~1 regardless).
  m34 = randomModel(small34, 3, 0.5);
  m43 = randomModel(small43, 4, 0.5);
  big = randomModel(tiny, 5, 0.3);
});

afterAll(() => {
  [m34, m43, big].forEach(disposeModel);
});

describe('item 4: normalisation by enumeration', () => {
  const partitions: [string, number[]][] = [
    ['left to right', [0, 1, 2, 3]],
    ['right to left', [3, 2, 1, 0]],
    ['one group', [0, 0, 0, 0]],
    ['A3-style mixed', [1, 0, 1, 2]],
    ['random subsets s=2 (seed 1)', Array.from(randomSubsets(4, 2, 1))],
    ['random subsets s=3 (seed 2), sparse ids', Array.from(randomSubsets(4, 3, 2), (g) => 5 * g + 2)],
  ];

  for (const [label, gid] of partitions) {
    it(`Σ_x P(x) = 1 for V=3, N=4: ${label}`, () => {
      const seqs = allSequences(3, 4);
      const logp = sequenceLogProb(m34, batchOf(seqs, gid));
      expect(logp.length).toBe(81);
      expect(Math.abs(Math.exp(logSumExp(logp)) - 1)).toBeLessThan(1e-4);
      // Power: the distribution is far from uniform (1/81).
      expect(Math.max(...Array.from(logp, Math.exp))).toBeGreaterThan(3 / 81);
    });
  }

  it('Σ_x P(x) = 1 for V=4, N=3 under several partitions', () => {
    const seqs = allSequences(4, 3);
    for (const gid of [[0, 1, 2], [2, 1, 0], [0, 0, 1], [1, 0, 1], [0, 0, 0]]) {
      const logp = sequenceLogProb(m43, batchOf(seqs, gid));
      expect(Math.abs(Math.exp(logSumExp(logp)) - 1)).toBeLessThan(1e-4);
    }
  });

  it('conditioned on a given group 0: Σ over the open positions = 1', () => {
    const n = 4;
    const cases: { given: boolean[]; fixed: number[]; gid: number[] }[] = [
      { given: [true, false, true, false], fixed: [2, -1, 0, -1], gid: Array.from(infillPlan([true, false, true, false], 1)) },
      { given: [false, true, false, false], fixed: [-1, 1, -1, -1], gid: Array.from(infillPlan([false, true, false, false], 2, 'random', 3)) },
      { given: [true, false, false, true], fixed: [1, -1, -1, 2], gid: Array.from(infillPlan([true, false, false, true], 1, [2, 1])) },
      { given: [true, true, true, false], fixed: [0, 2, 1, -1], gid: [0, 0, 0, 1] },
    ];
    for (const c of cases) {
      const open = c.given.map((g, i) => (g ? -1 : i)).filter((i) => i >= 0);
      const seqs = allSequences(3, open.length).map((fill) => {
        const s = [...c.fixed];
        open.forEach((pos, k) => (s[pos] = fill[k]));
        return s;
      });
      const givenAll = seqs.flatMap(() => c.given);
      const logp = sequenceLogProb(m34, batchOf(seqs, c.gid), givenAll);
      expect(Math.abs(Math.exp(logSumExp(logp)) - 1), `given ${c.given}`).toBeLessThan(1e-4);
      expect(n).toBe(c.given.length);
    }
  });

  it('a different given prefix gives a different (still normalised) conditional', () => {
    const gid = [0, 1, 1, 2];
    const given = [true, false, false, false];
    const dist = (first: number) => {
      const seqs = allSequences(3, 3).map((rest) => [first, ...rest]);
      return Array.from(sequenceLogProb(m34, batchOf(seqs, gid), seqs.flatMap(() => given)), Math.exp);
    };
    const a = dist(0);
    const b = dist(2);
    expect(Math.abs(a.reduce((s, x) => s + x, 0) - 1)).toBeLessThan(1e-4);
    expect(Math.abs(b.reduce((s, x) => s + x, 0) - 1)).toBeLessThan(1e-4);
    expect(Math.max(...a.map((x, i) => Math.abs(x - b[i])))).toBeGreaterThan(1e-3);
  });
});

describe('item 5: losses agree with the likelihood scorer', () => {
  it('a3Loss × N = −sequenceLogProb for one sequence', () => {
    const tokens = Int32Array.from([3, 1, 4, 1, 5, 9, 2, 6, 5, 3]);
    for (const gid of [leftToRight(10), randomSubsets(10, 3, 7), new Int32Array(10)]) {
      const seq: SequenceBatch = { batch: 1, tokens, groupIds: gid };
      const loss = a3Loss(big, seq);
      const l = loss.dataSync()[0];
      loss.dispose();
      const lp = sequenceLogProb(big, seq)[0];
      expect(Math.abs(l * 10 + lp)).toBeLessThan(1e-4 * Math.max(1, Math.abs(lp)));
    }
  });

  it('batch with padding and given positions: mean loss × scored positions = −Σ log P', () => {
    const seq: SequenceBatch = {
      batch: 3,
      tokens: Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 12, 13, 14, 15, 0, 0]),
      groupIds: Int32Array.from([0, 1, 1, 2, 3, 3, 2, 0, 1, 0, 1, 4, 5, 4, 3, 2, 9, 9]),
      pad: Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1]),
    };
    const given = [1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
    for (const g of [undefined, given]) {
      const w = scoredPositions(seq, g);
      const count = w.reduce((s, x) => s + x, 0);
      expect(count).toBe(g ? 12 : 15);
      const loss = a3Loss(big, seq, g);
      const l = loss.dataSync()[0];
      loss.dispose();
      const lp = sequenceLogProb(big, seq, g);
      const total = lp.reduce((s, x) => s + x, 0);
      expect(Math.abs(l * count + total)).toBeLessThan(1e-4 * Math.max(1, Math.abs(total)));
    }
  });

  it('a3Loss over nothing scored throws instead of returning NaN', () => {
    const seq: SequenceBatch = { batch: 1, tokens: Int32Array.from([1, 2]), groupIds: Int32Array.from([0, 0]) };
    expect(() => a3Loss(big, seq, [1, 1])).toThrow(/nothing to score/);
  });

  it('arLoss equals the mean next-token NLL computed by hand from arForward logits', () => {
    const V = tiny.vocabSize;
    const cases: Omit<SequenceBatch, 'groupIds'>[] = [
      { batch: 1, tokens: Int32Array.from([3, 1, 4, 1, 5, 9, 2, 6]) },
      { batch: 2, tokens: Int32Array.from([3, 1, 4, 1, 5, 9, 2, 6, 5, 3]) },
      { batch: 2, tokens: Int32Array.from([3, 1, 4, 1, 5, 9, 2, 6, 0, 0]), pad: Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1, 1]) },
    ];
    for (const seq of cases) {
      const T = seq.tokens.length / seq.batch;
      const logits = tf.tidy(() => arForward(big, seq).logits).dataSync();
      let sum = 0;
      let count = 0;
      for (let b = 0; b < seq.batch; b++) {
        for (let t = 0; t + 1 < T; t++) {
          const i = b * T + t;
          if (seq.pad?.[i] || seq.pad?.[i + 1]) continue;
          const rowLogits = logits.subarray(i * V, (i + 1) * V);
          sum += logSumExp(rowLogits) - rowLogits[seq.tokens[i + 1]];
          count++;
        }
      }
      const loss = arLoss(big, seq);
      const l = loss.dataSync()[0];
      loss.dispose();
      expect(Math.abs(l - sum / count)).toBeLessThan(1e-5);
    }
  });
});
