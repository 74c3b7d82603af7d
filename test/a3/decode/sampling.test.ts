import { describe, expect, it } from 'vitest';
import { entropy, sampleToken, softmax, softmaxWithEntropy } from '@/lib/a3/decode/sampling';
import { makeRng } from '@/lib/a3/random';

describe('sampling module', () => {
  it('softmaxWithEntropy equals softmax then entropy (sharp, flat and extreme rows)', () => {
    const rng = makeRng(4);
    const rows = [
      Float32Array.from({ length: 2048 }, () => rng() * 12 - 6),
      new Float32Array(64), // uniform: entropy log 64
      Float32Array.from([80, -80, 0, 3]), // nearly one-hot
    ];
    for (const logits of rows) {
      const { p, entropy: h } = softmaxWithEntropy(logits);
      const reference = softmax(logits);
      for (let i = 0; i < p.length; i++) expect(p[i]).toBeCloseTo(reference[i], 12);
      expect(h).toBeCloseTo(entropy(reference), 10);
    }
    expect(softmaxWithEntropy(new Float32Array(64)).entropy).toBeCloseTo(Math.log(64), 12);
  });

  it('sampleToken reports the model probability and entropy of the plain distribution', () => {
    const logits = Float32Array.from([2, 1, 0, -1]);
    const s = sampleToken(logits, { greedy: true }, makeRng(1), 2);
    const p = softmax(logits);
    expect(s.token).toBe(0);
    expect(s.prob).toBeCloseTo(p[0], 12);
    expect(s.entropy).toBeCloseTo(entropy(p), 12);
    expect(s.top.map((t) => t.token)).toEqual([0, 1]);
  });
});
