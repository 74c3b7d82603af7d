/**
 * Decoders (A3.md §6 items 6-7): cached = recomputed, NFE, given tokens kept,
 * s=1 left-to-right = AR sampling, bad input, no tensor growth, traces as JSON.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeDynamic } from '@/lib/a3/decode/dynamic';
import { decodeGroupwise } from '@/lib/a3/decode/groupwise';
import { parseTemplate } from '@/lib/a3/decode/infill';
import { runDecodeRequest } from '@/lib/a3/decode/run';
import { sampleToken } from '@/lib/a3/decode/sampling';
import { DecodeSession } from '@/lib/a3/decode/session';
import { traceFromJSON } from '@/lib/a3/decode/trace';
import { forward } from '@/lib/a3/model';
import { makeRng } from '@/lib/a3/random';
import { NUM_SPECIAL, Tokenizer } from '@/lib/a3/tokenizer';
import { maxAbsDiff, randomModel, tiny, useCpu } from '../../helpers/tf';

const V = 24;
const cfg = { ...tiny, vocabSize: V, maxLen: 16 };
// Positions 0-2 given, 3-8 open, 9-10 given (a suffix), 11-12 open.
const given = [true, true, true, false, false, false, false, false, false, true, true, false, false];
const tokens = given.map((g, i) => (g ? 5 + i : 0));
const problem = { tokens, given };
const open = given.filter((g) => !g).length;

describe('decoding', () => {
  beforeAll(useCpu);

  it('cached forwards give the same logits as full recomputation', async () => {
    const model = randomModel(cfg, 1, 0.3);
    const cached = new DecodeSession(model, problem, true);
    const full = new DecodeSession(model, problem, false);
    const steps: [number[], number][] = [[[3, 4], 1], [[5, 11], 2], [[6, 7, 8, 12], 3]];
    for (const [targets, g] of steps) {
      const a = await cached.predict(targets, g);
      const b = await full.predict(targets, g);
      a.forEach((row, r) => expect(maxAbsDiff(row, b[r])).toBeLessThan(1e-4));
      targets.forEach((pos, r) => {
        const token = r % V;
        cached.commit(pos, token, g);
        full.commit(pos, token, g);
      });
    }
    cached.dispose();
    full.dispose();
  });

  it('group-wise and dynamic traces agree cached vs uncached and make ceil(M/s), ceil(M/k) forwards', async () => {
    const model = randomModel(cfg, 2, 0.3);
    for (const s of [1, 2, 4]) {
      const a = await decodeGroupwise(model, problem, { groupSize: s, seed: 3, cached: true });
      const b = await decodeGroupwise(model, problem, { groupSize: s, seed: 3, cached: false });
      expect(a.nfe).toBe(Math.ceil(open / s));
      expect(a.tokens).toEqual(b.tokens);
      a.steps.forEach((st, i) => st.committed.forEach((c, j) => expect(c.prob).toBeCloseTo(b.steps[i].committed[j].prob, 5)));
    }
    for (const k of [1, 3]) {
      for (const score of ['confidence', 'entropy', 'random'] as const) {
        const a = await decodeDynamic(model, problem, { perStep: k, score, seed: 4, cached: true });
        const b = await decodeDynamic(model, problem, { perStep: k, score, seed: 4, cached: false });
        expect(a.nfe).toBe(Math.ceil(open / k));
        expect(a.tokens).toEqual(b.tokens);
        // Tokens committed at step t carry group id t.
        a.steps.forEach((st, t) => st.committed.forEach((c) => expect(a.groupIds[c.pos]).toBe(t + 1)));
      }
    }
  });

  it('never changes given tokens and commits every open position exactly once', async () => {
    const model = randomModel(cfg, 5, 0.3);
    const trace = await decodeGroupwise(model, problem, { groupSize: 3, order: 'random', seed: 9 });
    given.forEach((g, i) => g && expect(trace.tokens[i]).toBe(tokens[i]));
    const committed = trace.steps.flatMap((s) => s.committed.map((c) => c.pos)).sort((a, b) => a - b);
    expect(committed).toEqual(given.flatMap((g, i) => (g ? [] : [i])));
  });

  it('s = 1 left to right equals token-by-token AR sampling with the same seed', async () => {
    const model = randomModel(cfg, 6, 0.5);
    const prefix = { tokens: [7, 3, 9, 0, 0, 0, 0, 0], given: [true, true, true, false, false, false, false, false] };
    // The reference samples the raw distribution: special tokens allowed in both.
    const sampling = { temperature: 0.9, topK: 10, allowSpecial: true };
    const trace = await decodeGroupwise(model, prefix, { groupSize: 1, seed: 11, sampling });
    // Reference: the plain two-stream forward with singleton groups after a given prefix.
    const rng = makeRng(11);
    const seq = [...prefix.tokens];
    for (let pos = 3; pos < 8; pos++) {
      const gids = Int32Array.from(seq, (_, i) => (i < 3 ? 0 : i - 2));
      const logits = tf.tidy(() => forward(model, { batch: 1, tokens: Int32Array.from(seq), groupIds: gids }).logits.arraySync()) as number[][];
      seq[pos] = sampleToken(logits[pos], sampling, rng).token;
    }
    expect(trace.tokens).toEqual(seq);
  });

  it('decodes a problem with nothing given (an empty group 0): the first group sees no key', async () => {
    const model = randomModel(cfg, 3, 0.3);
    const blank = { tokens: new Array<number>(5).fill(0), given: new Array<boolean>(5).fill(false) };
    const before = tf.memory().numTensors;
    for (const cached of [true, false]) {
      const session = new DecodeSession(model, blank, cached);
      const first = await session.predict([0, 1], 1);
      // The reference: one full forward in which every position is a target of group >= 1, so group 1's queries see nothing.
      const reference = tf.tidy(() => forward(model, { batch: 1, tokens: Int32Array.from([7, 8, 9, 10, 11]), groupIds: Int32Array.from([1, 1, 2, 2, 2]) }).logits.arraySync()) as number[][];
      // Special tokens are masked out of a fill's rows: compare the others.
      first.forEach((row, r) => expect(maxAbsDiff(row.slice(NUM_SPECIAL), reference[r].slice(NUM_SPECIAL))).toBeLessThan(1e-4));
      session.dispose();
    }
    const trace = await decodeGroupwise(model, blank, { groupSize: 2, seed: 1 });
    expect(trace.given.every((g) => !g)).toBe(true);
    expect(trace.generated).toBe(5);
    expect(trace.nfe).toBe(3);
    const dynamic = await decodeDynamic(model, blank, { perStep: 2, seed: 1 });
    expect(dynamic.generated).toBe(5);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives clear errors for bad input and creates no state', async () => {
    const model = randomModel(cfg, 7, 0.3);
    const before = tf.memory().numTensors;
    const n = cfg.maxLen + 1;
    await expect(decodeGroupwise(model, { tokens: new Array(n).fill(1), given: new Array(n).fill(false).map((_, i) => i < 2) }, { groupSize: 1 })).rejects.toThrow(/longer than the model's context/);
    await expect(decodeGroupwise(model, { tokens: [1, 2], given: [true, true] }, { groupSize: 1 })).rejects.toThrow(/no open position/);
    await expect(decodeGroupwise(model, problem, { groupSize: 0 })).rejects.toThrow(/s must be an integer >= 1/);
    await expect(decodeDynamic(model, problem, { perStep: 0 })).rejects.toThrow(/k .* >= 1/);
    await expect(decodeGroupwise(model, problem, { groupSize: 1, sampling: { topP: 1.5 } })).rejects.toThrow(/top-p/);
    await expect(decodeGroupwise(model, problem, { groupSize: 1, sampling: { topP: 0 } })).rejects.toThrow(/top-p/);
    await expect(decodeGroupwise(model, problem, { groupSize: 1, sampling: { temperature: -1 } })).rejects.toThrow(/temperature/);
    const tok = Tokenizer.train('hello world hello there', 4);
    await expect(runDecodeRequest(model, tok, { text: 'hi [____]', strategy: 'speculate' as 'groupwise' })).rejects.toThrow(/unknown strategy/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps the tensor count flat over 1,000 decode steps', async () => {
    const model = randomModel(cfg, 8, 0.3);
    const before = tf.memory().numTensors;
    let steps = 0;
    for (let seed = 0; steps < 1000; seed++) {
      steps += (await decodeGroupwise(model, problem, { groupSize: 1, seed })).nfe;
      steps += (await decodeDynamic(model, problem, { perStep: 1, seed, cached: seed % 2 === 0 })).nfe;
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('parses gap templates and round-trips traces through JSON', async () => {
    const tok = Tokenizer.train('the cat sat on the mat. the dog ran.', 10);
    const p = parseTemplate('the cat [__3__] the mat[____]', tok, 4);
    expect(p.spans.map((s) => s.length)).toEqual([3, 4]);
    expect(Array.from(p.given).filter((g) => !g).length).toBe(7);
    expect(() => parseTemplate('a [__0__] b', tok)).toThrow(/at least one/);
    const model = randomModel({ ...cfg, vocabSize: tok.vocabSize, maxLen: 64 }, 9, 0.3);
    const result = await runDecodeRequest(model, tok, { text: 'the cat [__3__] the mat', strategy: 'dynamic', perStep: 2 });
    expect(result.trace.nfe).toBe(2);
    const back = traceFromJSON(JSON.parse(JSON.stringify(result.trace)));
    expect(back).toEqual(result.trace);
    expect(() => traceFromJSON({ tokens: [] })).toThrow(/must be an array/);
    const auto = await runDecodeRequest(model, tok, { text: 'the cat [__?__] the mat', strategy: 'groupwise', groupSize: 2, autoLengths: [2, 3] });
    expect([2, 3]).toContain(auto.spans[0].length);
    expect(auto.trace.given.filter((g) => !g).length).toBe(auto.spans[0].length);
  });
});
