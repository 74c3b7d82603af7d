/**
 * The strategy registry (tf-free): one definition per knob, defaults inside their own ranges, requests built
 * and read back through the same entries, and phrases for the result line and Compare.
 */
import { describe, expect, it } from 'vitest';
import { diffusionSchedule } from '@/lib/a3/decode/diffusion';
import {
  ALL_KNOBS,
  AR_PRESET,
  A3_LEFT_TO_RIGHT,
  COMMON_KNOBS,
  STRATEGY,
  STRATEGY_IDS,
  minDiffusionSteps,
  describeRequest,
  fieldOf,
  knobProblem,
  requestKnobs,
  resolveKnobs,
  strategySpec,
  type KnobSpec,
} from '@/lib/a3/decode/strategies';
import { DEFAULT_PLAYGROUND, playgroundRequest } from '@/lib/store';

describe('strategy registry', () => {
  it('lists every strategy once, each entry under its own id, with a label, a note and a model', () => {
    expect(STRATEGY_IDS).toEqual(['groupwise', 'dynamic', 'speculative', 'diffusion', 'ar']);
    for (const id of STRATEGY_IDS) {
      const s = strategySpec(id);
      expect(s.id).toBe(id);
      expect(s.label.length * s.note.length * s.short.length).toBeGreaterThan(0);
    }
    expect(STRATEGY.diffusion.model).toBe('mdlm');
    // The AR baseline is the base model's own causal stream, and its note says it never sees the suffix.
    expect(STRATEGY.ar.model).toBe('base');
    expect(STRATEGY.ar.note).toMatch(/without seeing the text after it/);
    expect(STRATEGY_IDS.filter((id) => STRATEGY[id].model === 'a3')).toEqual(['groupwise', 'dynamic', 'speculative']);
  });

  it('one spec per knob: a key shared by two strategies is the same knob; URL keys never collide', () => {
    const byKey = new Map<string, KnobSpec>();
    for (const id of STRATEGY_IDS) {
      for (const knob of strategySpec(id).knobs) {
        expect(byKey.get(knob.key) ?? knob).toBe(knob);
        byKey.set(knob.key, knob);
      }
    }
    expect(STRATEGY.groupwise.knobs[1]).toBe(STRATEGY.speculative.knobs[1]); // order
    const urls = ALL_KNOBS.map((k) => k.url);
    expect(new Set(urls).size).toBe(urls.length);
    expect(ALL_KNOBS.length).toBe(byKey.size + COMMON_KNOBS.length);
  });

  it('every default is inside its own range (a form can start from it), and the checks say what is wrong', () => {
    for (const knob of ALL_KNOBS) {
      expect(knobProblem(knob, knob.default)).toBeNull();
      if (knob.kind !== 'select') {
        expect(knob.min).toBeLessThanOrEqual(knob.max);
        expect(knobProblem(knob, knob.max + 1)).toMatch(new RegExp(`^${knob.label} must be`));
        if (knob.kind === 'int') expect(knobProblem(knob, knob.min + 0.5)).toMatch(/an integer/);
      } else {
        expect(knobProblem(knob, 'nonsense')).toMatch(/must be one of/);
      }
    }
  });

  it('the diffusion knobs live in the registry: request fields, defaults, "off" value and a phrase', () => {
    const diffusion = STRATEGY.diffusion;
    expect(diffusion.knobs.map((k) => [k.key, k.url, k.default])).toEqual([
      ['steps', 'steps', 8],
      ['blockLength', 'block', 0],
      ['remasking', 'remask', 'low_confidence'],
    ]);
    expect(resolveKnobs(diffusion, {})).toEqual({ steps: 8, blockLength: undefined, remasking: 'low_confidence' });
    expect(resolveKnobs(diffusion, { steps: 4, blockLength: 2, remasking: 'random' })).toEqual({ steps: 4, blockLength: 2, remasking: 'random' });
    expect(() => resolveKnobs(diffusion, { steps: 0 })).toThrow('MDLM diffusion: steps must be an integer from 1 to 1024, got 0');
    expect(diffusion.describe({ steps: 4, blockLength: 2, remasking: 'random' })).toBe('4 steps, blocks of 2, random remasking');
    expect(diffusion.options({ steps: 4, blockLength: undefined, remasking: 'random' }, { seed: 3, cached: true })).toEqual({
      seed: 3,
      sampling: undefined,
      steps: 4,
      blockLength: undefined,
      remasking: 'random',
    });
  });

  it('a request carries exactly its strategy’s knobs, by request field, and reads back to the same values', () => {
    for (const id of STRATEGY_IDS) {
      const spec = strategySpec(id);
      const req = playgroundRequest({ ...DEFAULT_PLAYGROUND, strategy: id });
      const own = spec.knobs.filter((k) => k.kind === 'select' || DEFAULT_PLAYGROUND[k.key as keyof typeof DEFAULT_PLAYGROUND] !== k.off).map(fieldOf);
      expect(Object.keys(requestKnobs(id, DEFAULT_PLAYGROUND)).sort()).toEqual(own.sort());
      for (const knob of ALL_KNOBS.filter((k) => !spec.knobs.includes(k) && !COMMON_KNOBS.includes(k as never))) expect(req).not.toHaveProperty(fieldOf(knob));
      const back = resolveKnobs(spec, req);
      for (const knob of spec.knobs) {
        const value = DEFAULT_PLAYGROUND[knob.key as keyof typeof DEFAULT_PLAYGROUND];
        expect(back[fieldOf(knob) as keyof typeof back]).toBe(knob.kind !== 'select' && value === knob.off ? undefined : value);
      }
    }
    // The dynamic strategy's k is the request's perStep.
    expect(requestKnobs('dynamic', { ...DEFAULT_PLAYGROUND, k: 5 })).toEqual({ perStep: 5, score: 'confidence' });
  });

  it('says what a request does, in the words of its entry', () => {
    expect(describeRequest(playgroundRequest(DEFAULT_PLAYGROUND))).toBe('group-wise s = 2, left-to-right, T = 1');
    expect(describeRequest(playgroundRequest(DEFAULT_PLAYGROUND, AR_PRESET))).toBe('AR left to right, T = 1');
    expect(describeRequest(playgroundRequest(DEFAULT_PLAYGROUND, A3_LEFT_TO_RIGHT))).toBe('group-wise s = 1, left-to-right, T = 1');
    expect(describeRequest({ text: '', strategy: 'dynamic', perStep: 3, score: 'entropy', sampling: { greedy: true } })).toBe('dynamic k = 3, entropy, greedy');
    expect(describeRequest({ text: '', strategy: 'speculative', draft: 3 })).toBe('speculative D = 3, left-to-right, T = 1');
    expect(describeRequest({ text: '', strategy: 'diffusion', steps: 6 })).toBe('diffusion 6 steps, T = 1');
  });

  it('minDiffusionSteps is the fewest steps the diffusion schedule accepts (one per block; block length 0 = one block)', () => {
    for (const [open, block] of [[4, 1], [4, 2], [9, 4], [1, 8]]) {
      const least = minDiffusionSteps(open, block);
      expect(() => diffusionSchedule(open, least, block)).not.toThrow();
      if (least > 1) expect(() => diffusionSchedule(open, least - 1, block)).toThrow(/at least one step per block/);
    }
    expect(minDiffusionSteps(12, 0)).toBe(1);
    expect(() => diffusionSchedule(12, 1, 12)).not.toThrow();
  });
});
