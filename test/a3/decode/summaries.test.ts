/**
 * Device-side row summaries (dynamic decoding) equal the host computation:
 * entropy, top-k, the rows chosen by each ranking key (ties to the lower row,
 * as the host's stable sort), and what is then sampled under temperature,
 * top-k and top-p; and a whole dynamic decode equals a host-ranked reference.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeDynamic } from '@/lib/a3/decode/dynamic';
import { sampleToken, softmaxWithEntropy, topTokens, type SamplingOptions } from '@/lib/a3/decode/sampling';
import { DecodeSession } from '@/lib/a3/decode/session';
import { rankRows, type RankBy } from '@/lib/a3/decode/summaries';
import { makeRng, type Rng } from '@/lib/a3/random';
import { randomModel, tiny, useCpu } from '../../helpers/tf';

const V = 40;
const TOP = 4;

/** Random rows with the awkward cases: a duplicated row (a tie between rows), tied top logits within a row, masked tokens. */
function awkwardLogits(rows: number, seed: number): Float32Array[] {
  const rng = makeRng(seed);
  const out = Array.from({ length: rows }, () => Float32Array.from({ length: V }, () => rng() * 8 - 4));
  out[3] = Float32Array.from(out[1]); // rows 1 and 3 tie on every key
  out[2][5] = out[2][9] = 7; // two equal best tokens: the lower id first
  for (const r of out) r[0] = r[2] = -1e9; // masked like the session's fill bias
  return out;
}

/** The host computation the device replaces: softmax, entropy and top-k per row, then a stable sort by key. */
function hostRanking(rows: Float32Array[], by: 'max-prob' | 'neg-entropy' | Float32Array, count: number) {
  const summaries = rows.map((l) => {
    const { p, entropy } = softmaxWithEntropy(l);
    return { entropy, top: topTokens(p, TOP) };
  });
  const key = (r: number) => (by === 'max-prob' ? summaries[r].top[0].prob : by === 'neg-entropy' ? -summaries[r].entropy : by[r]);
  const order = rows.map((_, r) => r).sort((a, b) => key(b) - key(a));
  return { summaries, chosen: order.slice(0, count) };
}

async function deviceRanking(rows: Float32Array[], by: RankBy, count: number) {
  const logits = tf.tensor2d(rows.flatMap((r) => Array.from(r)), [rows.length, V]);
  const ranked = await rankRows(logits, by, count, TOP);
  logits.dispose();
  return ranked;
}

describe('device-side row summaries', () => {
  beforeAll(useCpu);

  it('equal the host entropy and top-k on random logits, ties and masked tokens included', async () => {
    const rows = awkwardLogits(6, 1);
    const host = hostRanking(rows, 'max-prob', 1);
    const before = tf.memory().numTensors;
    const device = await deviceRanking(rows, 'max-prob', 1);
    expect(tf.memory().numTensors).toBe(before);
    device.rows.forEach((d, r) => {
      expect(d.entropy).toBeCloseTo(host.summaries[r].entropy, 4);
      expect(d.top.map((t) => t.token)).toEqual(host.summaries[r].top.map((t) => t.token));
      d.top.forEach((t, j) => expect(t.prob).toBeCloseTo(host.summaries[r].top[j].prob, 6));
    });
    expect(device.rows[2].top.slice(0, 2).map((t) => t.token)).toEqual([5, 9]);
  });

  it('choose the rows the host sort chooses, for every key, ties to the lower row', async () => {
    const rows = awkwardLogits(7, 2);
    const ties = Float32Array.from([0.5, 0.9, 0.1, 0.9, 0.3, 0.9, 0.2]);
    for (const by of ['max-prob', 'neg-entropy', ties] as const) {
      for (const count of [1, 2, 4, 7]) {
        const device = await deviceRanking(rows, by, count);
        expect(device.chosen.map((c) => c.row)).toEqual(hostRanking(rows, by, count).chosen);
        // The chosen rows' logits come back exactly, so host sampling sees what it always saw.
        device.chosen.forEach((c) => expect(Array.from(c.logits)).toEqual(Array.from(rows[c.row])));
      }
    }
    // Rows 1 and 3 are identical: by either model key they tie, and row 1 wins.
    for (const by of ['max-prob', 'neg-entropy'] as const) {
      const order = (await deviceRanking(rows, by, 7)).chosen.map((c) => c.row);
      expect(order.indexOf(1)).toBe(order.indexOf(3) - 1);
    }
  });

  it('lead to the same samples as the host path under temperature, top-k and top-p', async () => {
    const rows = awkwardLogits(8, 3);
    const settings: SamplingOptions[] = [{ temperature: 0.7 }, { temperature: 1.3, topK: 3 }, { topP: 0.8 }, { greedy: true }];
    for (const sampling of settings) {
      const sample = (chosen: { row: number; logits: ArrayLike<number> }[], rng: Rng) => chosen.map((c) => ({ row: c.row, ...sampleToken(c.logits, sampling, rng, TOP) }));
      const host = hostRanking(rows, 'neg-entropy', 3);
      const expected = sample(host.chosen.map((row) => ({ row, logits: rows[row] })), makeRng(9));
      const got = sample((await deviceRanking(rows, 'neg-entropy', 3)).chosen, makeRng(9));
      expect(got.map((g) => [g.row, g.token])).toEqual(expected.map((e) => [e.row, e.token]));
      got.forEach((g, i) => expect(g.prob).toBeCloseTo(expected[i].prob, 12));
    }
  });

  it('give clear errors for impossible requests', async () => {
    const rows = awkwardLogits(4, 4);
    await expect(deviceRanking(rows, 'max-prob', 5)).rejects.toThrow(/choose 5 of 4/);
    await expect(deviceRanking(rows, Float32Array.from([1, 2]), 1)).rejects.toThrow(/2 ranking keys for 4 rows/);
  });
});

describe('dynamic decoding ranked on the device', () => {
  beforeAll(useCpu);

  it('commits what host-side ranking of the same forwards commits', async () => {
    const cfg = { ...tiny, vocabSize: V, maxLen: 16 };
    const model = randomModel(cfg, 7, 0.4);
    const given = [true, true, false, false, false, false, true, false, false, false, false];
    const problem = { tokens: given.map((g, i) => (g ? 6 + i : 0)), given };
    for (const score of ['confidence', 'entropy', 'random'] as const) {
      const sampling = { temperature: 0.8, topK: 12 };
      const trace = await decodeDynamic(model, problem, { perStep: 2, score, seed: 5, sampling, topK: TOP });
      // The reference: every open row read back and ranked on the host, with the same random-number order.
      const session = new DecodeSession(model, problem, true);
      const rng = makeRng(5);
      const committed: number[][] = [];
      for (let t = 1; session.openPositions().length > 0; t++) {
        const open = session.openPositions();
        const by = score === 'confidence' ? 'max-prob' : score === 'entropy' ? 'neg-entropy' : Float32Array.from(open, () => rng());
        const rows = await session.predict(open, t);
        const host = hostRanking(rows, by, Math.min(2, open.length));
        const candidates = host.summaries.map((s) => s.top.map((x) => x.token));
        expect(trace.steps[t - 1].candidates.map((c) => c.top.map((x) => x.token))).toEqual(candidates);
        for (const row of host.chosen) {
          const token = sampleToken(rows[row], sampling, rng, TOP).token;
          session.commit(open[row], token, t);
          committed.push([open[row], token]);
        }
      }
      session.dispose();
      expect(trace.steps.flatMap((s) => s.committed.map((c) => [c.pos, c.token]))).toEqual(committed);
    }
  });

  it('with a window predicts only the first open positions each step', async () => {
    const cfg = { ...tiny, vocabSize: V, maxLen: 16 };
    const model = randomModel(cfg, 8, 0.4);
    const given = [true, false, false, false, false, false, false, false, false];
    const trace = await decodeDynamic(model, { tokens: given.map(() => 6), given }, { perStep: 2, window: 3, seed: 1 });
    expect(trace.nfe).toBe(4);
    expect(trace.steps[0].candidates.map((c) => c.pos)).toEqual([1, 2, 3]);
    trace.steps.forEach((s) => expect(s.candidates.length).toBeLessThanOrEqual(3));
    await expect(decodeDynamic(model, { tokens: given.map(() => 6), given }, { perStep: 2, window: 1 })).rejects.toThrow(/window must be an integer >= k/);
  });
});
