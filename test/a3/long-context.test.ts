/**
 * The invariants of A3.md §6 at a 256-token context (issue 13, item 4): the
 * cheap ones re-run at maxLen 256 on a tiny-width model, with positions past
 * 128 (where a model trained at 128 has never been) in every check: content
 * stream = AR (2), no leakage (3), normalisation given a long group 0 (4),
 * loss × N = −log P (5), cached = recomputed decoding (6), finite gradients on
 * padded batches (8), and the joint loss and gap scorer identities.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { maxAbsDiff, randomModel, tiny, useCpu } from '../helpers/tf';
import { arForward, disposeModel, forward, trainableVariables, type A3Model, type SequenceBatch } from '@/lib/a3/model';
import { a3Loss, arLoss, jointLoss, sequenceLogProb } from '@/lib/a3/likelihood';
import { groupIdsFor, leftToRight, randomSubsets } from '@/lib/a3/groups';
import { decodeGroupwise } from '@/lib/a3/decode/groupwise';
import { makeRng } from '@/lib/a3/random';
import { gapLogProbs } from '@/lib/eval/gap-nll';

const T = 256;
const cfg = { ...tiny, maxLen: T };
const small = { ...tiny, vocabSize: 4, maxLen: T };
let model: A3Model;
let four: A3Model;

beforeAll(async () => {
  await useCpu();
  model = randomModel(cfg, 41, 0.3);
  four = randomModel(small, 42, 0.5);
});
afterAll(() => [model, four].forEach(disposeModel));

const rng = makeRng(256);
const tokens = Int32Array.from({ length: T }, () => 4 + Math.floor(rng() * 12));
const read = (t: tf.Scalar) => {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
};

describe('A3.md §6 at maxLen 256', () => {
  it('2: with gid = arange(256) the content stream equals arForward layer by layer', () => {
    tf.tidy(() => {
      const a3 = forward(model, { batch: 1, tokens, groupIds: leftToRight(T) }, { collectHidden: true }).hidden;
      const ar = arForward(model, { batch: 1, tokens }, { collectHidden: true }).hidden;
      for (let l = 0; l < cfg.nLayers; l++) expect(maxAbsDiff(a3[l].dataSync(), ar[l].dataSync())).toBeLessThan(1e-5);
    });
  });

  it('3: no leakage at positions past 128 (random subsets of 16 over 256)', () => {
    const gid = randomSubsets(T, 16, 3);
    const run = (t: Int32Array) =>
      tf.tidy(() => {
        const out = forward(model, { batch: 1, tokens: t, groupIds: gid }, { collectHidden: true });
        return { logits: out.logits.dataSync() as Float32Array, hidden: out.hidden[cfg.nLayers - 1].dataSync() as Float32Array };
      });
    const ref = run(tokens);
    const V = cfg.vocabSize;
    const D = cfg.dModel;
    let changed = 0;
    for (const j of [0, 128, 200, 255]) {
      const t = Int32Array.from(tokens);
      t[j] = ((t[j] - 4 + 5) % 12) + 4;
      const out = run(t);
      for (let i = 0; i < T; i++) {
        const dq = maxAbsDiff(out.logits.subarray(i * V, (i + 1) * V), ref.logits.subarray(i * V, (i + 1) * V));
        if (gid[j] >= gid[i]) expect(dq, `query logits at ${i} changed with x_${j}`).toBeLessThan(1e-6);
        else if (dq > 1e-4) changed++;
        if (gid[j] > gid[i]) expect(maxAbsDiff(out.hidden.subarray(i * D, (i + 1) * D), ref.hidden.subarray(i * D, (i + 1) * D))).toBeLessThan(1e-6);
      }
    }
    expect(changed).toBeGreaterThan(0);
  });

  it('4: given a 254-token group 0, the two open positions (130 and 255, singletons) are normalised', () => {
    const base = Int32Array.from({ length: T }, (_, i) => i % 4);
    const open = [130, 255];
    const given = Array.from({ length: T }, (_, i) => !open.includes(i));
    const gids = groupIdsFor({ kind: 'span-infill', size: 1, order: 'left-to-right', spans: [{ start: 130, length: 1 }, { start: 255, length: 1 }] }, T);
    const seqs = Array.from({ length: 16 }, (_, k) => {
      const s = Int32Array.from(base);
      s[130] = k % 4;
      s[255] = Math.floor(k / 4);
      return s;
    });
    const batch: SequenceBatch = { batch: 16, tokens: Int32Array.from(seqs.flatMap((s) => Array.from(s))), groupIds: Int32Array.from(seqs.flatMap(() => Array.from(gids))) };
    const lp = sequenceLogProb(four, batch, seqs.flatMap(() => given));
    expect(Math.abs(lp.reduce((a, x) => a + Math.exp(x), 0) - 1)).toBeLessThan(1e-4);
  });

  it('5: loss × scored positions = −log P (span infilling with the context given)', () => {
    const gids = groupIdsFor({ kind: 'span-infill', size: 1, order: 'random' }, T, { seed: 5 });
    const given = Array.from(gids, (g) => (g === 0 ? 1 : 0));
    const scored = given.filter((g) => g === 0).length;
    const seq: SequenceBatch = { batch: 1, tokens, groupIds: gids };
    const loss = read(a3Loss(model, seq, given));
    const lp = sequenceLogProb(model, seq, given)[0];
    expect(Math.abs(loss * scored + lp)).toBeLessThan(1e-4 * Math.abs(lp));
  });

  it('6: cached decoding gives the uncached result with gaps past 128', async () => {
    const given = Array.from({ length: T }, (_, i) => !(i >= 125 && i < 131) && !(i >= 250));
    const problem = { tokens: Array.from(tokens, (t, i) => (given[i] ? t : 0)), given };
    for (const order of ['left-to-right', 'random'] as const) {
      const opts = { groupSize: 3, order, seed: 7, sampling: { temperature: 1.1 } };
      const a = await decodeGroupwise(model, problem, { ...opts, cached: true });
      const b = await decodeGroupwise(model, problem, { ...opts, cached: false });
      expect(a.tokens).toEqual(b.tokens);
      expect(a.nfe).toBe(Math.ceil(12 / 3));
      a.steps.forEach((s, t) => s.committed.forEach((c, j) => expect(Math.abs(c.prob - b.steps[t].committed[j].prob)).toBeLessThan(1e-4)));
    }
  });

  it('8: finite loss and gradients for a padded 256-token batch; the joint loss is AR + A3', () => {
    const pad = new Uint8Array(2 * T);
    pad.fill(1, T + 200); // the second row ends at 200
    const seq: SequenceBatch = { batch: 2, tokens: Int32Array.from([...tokens, ...tokens]), groupIds: Int32Array.from([...randomSubsets(T, 8, 1), ...randomSubsets(T, 8, 2)]), pad };
    const vars = trainableVariables(model);
    const { value, grads } = tf.variableGrads(() => a3Loss(model, seq), vars);
    expect(Number.isFinite(read(value))).toBe(true);
    for (const v of vars) {
      const g = grads[v.name].dataSync();
      expect(g.every(Number.isFinite), v.name).toBe(true);
    }
    Object.values(grads).forEach((g) => g.dispose());
    const joint = read(jointLoss(model, seq));
    expect(Math.abs(joint - (read(arLoss(model, seq)) + read(a3Loss(model, seq))))).toBeLessThan(1e-5 * joint);
  });

  it('the gap scorer at 256: a gap at 200-209 equals sequenceLogProb with the group ids written out', () => {
    const problem = { id: 'long', prefix: Array.from(tokens.subarray(0, 200)), gap: Array.from(tokens.subarray(200, 210)), suffix: Array.from(tokens.subarray(210)) };
    const got = gapLogProbs({ a3: model }, problem)['a3-both-s1'];
    const gids = Int32Array.from({ length: T }, (_, i) => (i >= 200 && i < 210 ? i - 199 : 0));
    const given = Array.from(gids, (g) => g === 0);
    expect(Math.abs((got ?? NaN) - sequenceLogProb(model, { batch: 1, tokens, groupIds: gids }, given)[0])).toBeLessThan(1e-4);
  });
});
