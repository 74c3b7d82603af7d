import { describe, it, expect } from 'vitest';
import { lcsLength, meanRouge, rouge, rougeL, rougeN, rougeTokens } from '@/lib/eval/rouge';

describe('ROUGE (Lin 2004)', () => {
  it('tokenises lowercased on non-alphanumerics', () => {
    expect(rougeTokens("It's the CAT, sat-down! 42x")).toEqual(['it', 's', 'the', 'cat', 'sat', 'down', '42x']);
    expect(rougeTokens('  ...  ')).toEqual([]);
  });

  it('ROUGE-1 with clipped counts', () => {
    // ref  = the cat sat on the mat   (6 unigrams: the x2, cat, sat, on, mat)
    // cand = the cat the the          (4 unigrams: the x3, cat)
    // matches = min(3,2) [the] + min(1,1) [cat] = 3
    // R = 3/6 = 0.5, P = 3/4 = 0.75, F1 = 2*0.5*0.75/(0.5+0.75) = 0.75/1.25 = 0.6
    const s = rougeN('the cat the the', 'The cat sat on the mat.', 1);
    expect(s.recall).toBeCloseTo(0.5, 12);
    expect(s.precision).toBeCloseTo(0.75, 12);
    expect(s.f1).toBeCloseTo(0.6, 12);
  });

  it('ROUGE-2', () => {
    // ref  bigrams: the cat | cat sat | sat on | on the | the mat        (5)
    // cand = the cat sat down: the cat | cat sat | sat down              (3)
    // matches = 2 (the cat, cat sat); R = 2/5 = 0.4, P = 2/3, F1 = 2*0.4*(2/3)/(0.4+2/3) = (16/30)/(16/15) = 0.5
    const s = rougeN('the cat sat down', 'the cat sat on the mat', 2);
    expect(s.recall).toBeCloseTo(0.4, 12);
    expect(s.precision).toBeCloseTo(2 / 3, 12);
    expect(s.f1).toBeCloseTo(0.5, 12);
  });

  it('ROUGE-L (LCS, beta = 1)', () => {
    // Lin's example: ref "police killed the gunman", cand "police kill the gunman"
    // LCS = police, the, gunman = 3; R = 3/4, P = 3/4, F = 0.75
    const a = rougeL('police kill the gunman', 'police killed the gunman');
    expect(a.f1).toBeCloseTo(0.75, 12);
    // cand "the gunman kill police": LCS = the gunman = 2; R = P = F = 2/4 = 0.5
    const b = rougeL('the gunman kill police', 'police killed the gunman');
    expect(b.f1).toBeCloseTo(0.5, 12);
    // unequal lengths: ref "a b c d e f", cand "a x c e": LCS = a c e = 3; R = 3/6 = 0.5, P = 3/4,
    // F = 2*0.5*0.75/1.25 = 0.6
    const c = rougeL('a x c e', 'a b c d e f');
    expect(c.recall).toBeCloseTo(0.5, 12);
    expect(c.precision).toBeCloseTo(0.75, 12);
    expect(c.f1).toBeCloseTo(0.6, 12);
    expect(lcsLength(['a', 'b', 'c', 'b', 'd', 'a', 'b'], ['b', 'd', 'c', 'a', 'b', 'a'])).toBe(4); // CLRS: "bcba"
  });

  it('identical, disjoint and empty texts', () => {
    const same = rouge('One two three.', 'one two three');
    expect([same.rouge1.f1, same.rouge2.f1, same.rougeL.f1]).toEqual([1, 1, 1]);
    const none = rouge('alpha beta', 'gamma delta');
    expect([none.rouge1.f1, none.rouge2.f1, none.rougeL.f1]).toEqual([0, 0, 0]);
    // a one-word candidate has no bigram: precision 0 by convention, no NaN
    const short = rouge('gamma', 'gamma delta');
    expect(short.rouge2).toEqual({ recall: 0, precision: 0, f1: 0 });
    expect(short.rouge1.f1).toBeCloseTo((2 * 0.5 * 1) / 1.5, 12); // R = 1/2, P = 1/1
    expect(rouge('', '').rouge1.f1).toBe(0);
  });

  it('macro mean', () => {
    const m = meanRouge([rouge('a b', 'a b'), rouge('x', 'a b')]);
    expect(m.rouge1.f1).toBeCloseTo(0.5, 12); // (1 + 0) / 2
  });
});
