/**
 * What a fill may contain, decided once in the decode session for every
 * strategy: never a special token (<pad>, <bos>, <eos>, <mask>), even from a
 * model that prefers them; AR may emit its stop token, and only that one.
 * Plus what the traces record: diffusion's effective steps, speculative drafts.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeAR } from '@/lib/a3/decode/ar';
import { decodeDiffusion, diffusionSchedule } from '@/lib/a3/decode/diffusion';
import { decodeDynamic } from '@/lib/a3/decode/dynamic';
import { decodeGroupwise } from '@/lib/a3/decode/groupwise';
import type { SamplingOptions } from '@/lib/a3/decode/sampling';
import { decodeSpeculative } from '@/lib/a3/decode/speculative';
import type { DecodeTrace } from '@/lib/a3/decode/trace';
import type { A3Model } from '@/lib/a3/model';
import { NUM_SPECIAL, SPECIAL_TOKENS } from '@/lib/a3/tokenizer';
import { randomModel, tiny, useCpu } from '../../helpers/tf';

const V = 20;
const cfg = { ...tiny, vocabSize: V, maxLen: 16 };

/** A model whose head gives every ordinary token logit 0 and the special tokens large random logits: unmasked, they win most draws. */
function specialLovingModel(seed: number): A3Model {
  const model = randomModel(cfg, seed, 0.5);
  const head = model.lmHead!; // tiny is untied: the head is its own variable
  const [d] = head.shape;
  const scaled = tf.tidy(() => tf.concat([tf.mul(tf.randomNormal([d, NUM_SPECIAL], 0, 1, 'float32', seed), 20), tf.zeros([d, V - NUM_SPECIAL])], 1));
  head.assign(scaled as tf.Tensor2D);
  scaled.dispose();
  return model;
}

const given = [true, true, false, false, false, false, false, true, false, false];
const problem = { tokens: given.map((g, i) => (g ? 6 + i : 0)), given };
const filled = (t: DecodeTrace) => t.tokens.filter((_, i) => !t.given[i]);

function everyStrategy(model: A3Model, sampling: SamplingOptions, seed: number): Promise<DecodeTrace>[] {
  return [
    decodeGroupwise(model, problem, { groupSize: 2, seed, sampling }),
    decodeDynamic(model, problem, { perStep: 2, seed, sampling }),
    decodeSpeculative(model, problem, { draft: 3, seed, sampling }),
    decodeDiffusion(model, problem, { steps: 4, seed, sampling }),
    decodeAR(model, [6, 7], { length: 6, seed, sampling }),
  ];
}

describe('fill rules', () => {
  beforeAll(useCpu);

  it('no strategy ever writes a special token into a fill, even when the model prefers them', async () => {
    const model = specialLovingModel(1);
    let specialsWhenAllowed = 0;
    for (const seed of [0, 1, 2]) {
      for (const sampling of [{ temperature: 1 }, { greedy: true }, { temperature: 1.5, topK: 3 }]) {
        for (const trace of await Promise.all(everyStrategy(model, sampling, seed))) {
          expect(filled(trace).every((t) => t >= NUM_SPECIAL), trace.strategy).toBe(true);
          for (const step of trace.steps) step.candidates.forEach((c) => c.top.forEach((x) => x.token < NUM_SPECIAL && expect(x.prob).toBe(0)));
        }
        // The same model with special tokens allowed writes them: the test has power.
        for (const trace of await Promise.all(everyStrategy(model, { ...sampling, allowSpecial: true }, seed))) {
          specialsWhenAllowed += filled(trace).filter((t) => t < NUM_SPECIAL).length;
        }
      }
    }
    expect(specialsWhenAllowed).toBeGreaterThan(20);
  });

  it('AR emits its stop token (and no other special token), then stops', async () => {
    const model = specialLovingModel(2);
    for (const seed of [0, 1, 2, 3]) {
      const trace = await decodeAR(model, [6, 7], { length: 8, seed, stopToken: SPECIAL_TOKENS.eos });
      const out = trace.tokens.slice(2);
      expect(out.slice(0, -1).every((t) => t >= NUM_SPECIAL)).toBe(true);
      if (out.length < 8) expect(out[out.length - 1]).toBe(SPECIAL_TOKENS.eos);
    }
    // With eos the only special token left and large logits behind it, some run stops early.
    const lengths = await Promise.all([0, 1, 2, 3].map(async (seed) => (await decodeAR(model, [6, 7], { length: 8, seed, stopToken: SPECIAL_TOKENS.eos })).generated));
    expect(Math.min(...lengths)).toBeLessThan(8);
  });

  it('refuses a vocabulary with nothing but special tokens, unless they are allowed', async () => {
    const toy = randomModel({ ...cfg, vocabSize: 3 }, 3, 0.5);
    const p = { tokens: [1, 0, 0], given: [true, false, false] };
    await expect(decodeGroupwise(toy, p, { groupSize: 1 })).rejects.toThrow(/no token besides the 4 special ones/);
    expect((await decodeGroupwise(toy, p, { groupSize: 1, sampling: { allowSpecial: true } })).nfe).toBe(2);
  });
});

describe('traces record what ran', () => {
  beforeAll(useCpu);

  it('diffusion never runs more steps than there are open positions, and says so', async () => {
    expect(diffusionSchedule(8, 64, 8)).toEqual([[1, 1, 1, 1, 1, 1, 1, 1]]);
    expect(diffusionSchedule(10, 10, 4)).toEqual([[1, 1, 1, 1], [1, 1, 1, 1], [1, 1]]);
    expect(diffusionSchedule(10, 12, 4).flat().every((n) => n > 0)).toBe(true);
    const model = randomModel(cfg, 4, 0.5);
    const open = given.filter((g) => !g).length;
    const trace = await decodeDiffusion(model, problem, { steps: 64, seed: 1 });
    expect(trace.nfe).toBe(open);
    expect(trace.steps.every((s) => s.committed.length === 1)).toBe(true);
    expect(trace.strategy).toContain(`steps=${open}`);
    expect(trace.notes?.[0]).toMatch(new RegExp(`64 steps asked, ${open} run`));
    expect((await decodeDiffusion(model, problem, { steps: 4, seed: 1 })).notes).toBeUndefined();
  });

  it('speculative draft steps list their drafts and what verification made of them', async () => {
    const model = randomModel(cfg, 5, 0.5);
    for (const seed of [0, 1, 2, 3, 4]) {
      const trace = await decodeSpeculative(model, problem, { draft: 3, seed });
      for (let i = 0; i < trace.steps.length; i += 2) {
        const [draft, verify] = [trace.steps[i], trace.steps[i + 1]];
        expect(draft.committed).toEqual([]);
        expect(verify.drafted).toBeUndefined();
        const drafted = draft.drafted ?? [];
        expect(drafted.map((d) => d.pos)).toEqual(draft.candidates.map((c) => c.pos));
        // accepted*, then at most one rejection, then discarded drafts.
        const outcomes = drafted.map((d) => d.outcome[0]).join('');
        expect(outcomes).toMatch(/^a*(rd*)?$/);
        const accepted = drafted.filter((d) => d.outcome === 'accepted');
        expect(verify.committed.length).toBe(accepted.length + (outcomes.includes('r') ? 1 : 0));
        accepted.forEach((d, j) => expect(verify.committed[j]).toMatchObject({ pos: d.pos, token: d.token }));
        drafted.forEach((d) => expect(d.prob).toBeGreaterThan(0));
      }
    }
  });
});
