import { describe, it, expect } from 'vitest';
import { canAttend, contentMask, MASKED, queryMask, writeAttentionBias, type Mask } from '@/lib/a3/masks';
import { contiguous, leftToRight, randomSubsets } from '@/lib/a3/groups';

const ids = (a: number[]) => Int32Array.from(a);

const ones = (n: number): Mask => Array.from({ length: n }, () => new Array(n).fill(1));
const zeros = (n: number): Mask => Array.from({ length: n }, () => new Array(n).fill(0));
const lowerTri = (n: number, strict: boolean): Mask =>
  Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (strict ? j < i : j <= i) ? 1 : 0));

function reverseMatrix(m: Mask): Mask {
  return [...m].reverse().map((r) => [...r].reverse());
}

describe('A3.md §2 worked example (N=6, gid=[1,0,2,2,0,2])', () => {
  const gid = ids([1, 0, 2, 2, 0, 2]);

  it('content mask byte for byte', () => {
    expect(contentMask(gid)).toEqual([
      [1, 1, 0, 0, 1, 0],
      [0, 1, 0, 0, 1, 0],
      [1, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, 1, 1],
      [0, 1, 0, 0, 1, 0],
      [1, 1, 1, 1, 1, 1],
    ]);
  });

  it('query mask byte for byte', () => {
    expect(queryMask(gid)).toEqual([
      [0, 1, 0, 0, 1, 0],
      [0, 0, 0, 0, 0, 0],
      [1, 1, 0, 0, 1, 0],
      [1, 1, 0, 0, 1, 0],
      [0, 0, 0, 0, 0, 0],
      [1, 1, 0, 0, 1, 0],
    ]);
  });

  it('mirror: reversing the positions reverses both masks', () => {
    const rev = ids([...gid].reverse());
    expect(contentMask(rev)).toEqual(reverseMatrix(contentMask(gid)));
    expect(queryMask(rev)).toEqual(reverseMatrix(queryMask(gid)));
  });
});

describe('mirror and limit cases', () => {
  it('one group: content all ones, query all zeros', () => {
    expect(contentMask(ids([0, 0, 0, 0, 0]))).toEqual(ones(5));
    expect(queryMask(ids([0, 0, 0, 0, 0]))).toEqual(zeros(5));
    expect(queryMask(ids([3, 3, 3]))).toEqual(zeros(3));
  });

  it('singletons left to right: content causal incl. diagonal, query strictly causal', () => {
    for (const n of [1, 2, 5, 8]) {
      expect(contentMask(leftToRight(n))).toEqual(lowerTri(n, false));
      expect(queryMask(leftToRight(n))).toEqual(lowerTri(n, true));
    }
  });

  it('singletons right to left: content and query are the transposes (upper triangular)', () => {
    const n = 6;
    const rtl = ids(Array.from({ length: n }, (_, i) => n - 1 - i));
    const transpose = (m: Mask) => m.map((r, i) => r.map((_, j) => m[j][i]));
    expect(contentMask(rtl)).toEqual(transpose(lowerTri(n, false)));
    expect(queryMask(rtl)).toEqual(transpose(lowerTri(n, true)));
  });

  it('contiguous blocks: block-causal content, block-strictly-causal query', () => {
    const g = contiguous(6, 2);
    const c = contentMask(g);
    const q = queryMask(g);
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 6; j++) {
        expect(c[i][j]).toBe(Math.floor(j / 2) <= Math.floor(i / 2) ? 1 : 0);
        expect(q[i][j]).toBe(Math.floor(j / 2) < Math.floor(i / 2) ? 1 : 0);
      }
    }
  });

  it('canAttend is the rule', () => {
    expect(canAttend('content', 2, 2)).toBe(true);
    expect(canAttend('content', 2, 1)).toBe(true);
    expect(canAttend('content', 1, 2)).toBe(false);
    expect(canAttend('query', 2, 2)).toBe(false);
    expect(canAttend('query', 2, 1)).toBe(true);
    expect(canAttend('query', 1, 2)).toBe(false);
  });
});

describe('structural invariants on random groupings', () => {
  const cases: Int32Array[] = [];
  for (let seed = 0; seed < 12; seed++) cases.push(randomSubsets(3 + (seed % 9), 1 + (seed % 4), seed));

  it('diag(content) = 1, diag(query) = 0, query ⊂ content, and content \\ query is exactly the own group', () => {
    for (const g of cases) {
      const c = contentMask(g);
      const q = queryMask(g);
      for (let i = 0; i < g.length; i++) {
        expect(c[i][i]).toBe(1);
        expect(q[i][i]).toBe(0);
        for (let j = 0; j < g.length; j++) {
          if (q[i][j]) expect(c[i][j]).toBe(1);
          expect(c[i][j] - q[i][j]).toBe(g[i] === g[j] ? 1 : 0);
        }
      }
    }
  });

  it('monotone relabelling of gids (g -> 3g+7, dense ranks of sparse ids) changes nothing', () => {
    for (const g of cases) {
      const relabelled = Int32Array.from(g, (x) => 3 * x + 7);
      expect(contentMask(relabelled)).toEqual(contentMask(g));
      expect(queryMask(relabelled)).toEqual(queryMask(g));
      const squared = Int32Array.from(g, (x) => x * x + 2 * x); // strictly increasing on x >= 0
      expect(contentMask(squared)).toEqual(contentMask(g));
      expect(queryMask(squared)).toEqual(queryMask(g));
    }
  });
});

describe('padding', () => {
  it('padding columns are zero in both masks; other entries as without padding', () => {
    const g = ids([1, 0, 2, 2, 0, 2, 3, 3]);
    const pad = [0, 0, 0, 0, 0, 0, 1, 1];
    const c = contentMask(g, pad);
    const q = queryMask(g, pad);
    const c0 = contentMask(g);
    const q0 = queryMask(g);
    for (let i = 0; i < g.length; i++) {
      for (let j = 0; j < g.length; j++) {
        if (pad[j]) {
          expect(c[i][j]).toBe(0);
          expect(q[i][j]).toBe(0);
        } else {
          expect(c[i][j]).toBe(c0[i][j]);
          expect(q[i][j]).toBe(q0[i][j]);
        }
      }
    }
    // A padding position in the middle (booleans accepted too).
    const padMid = [false, true, false, false, false, false, false, false];
    expect(contentMask(g, padMid).map((r) => r[1])).toEqual(new Array(8).fill(0));
    expect(queryMask(g, padMid).map((r) => r[1])).toEqual(new Array(8).fill(0));
  });

  it('pad of the wrong length throws', () => {
    expect(() => contentMask(ids([0, 1, 2]), [0, 0])).toThrow(/pad has length 2, group ids have length 3/);
  });

  it('invalid group ids throw', () => {
    expect(() => contentMask(ids([0, -1]))).toThrow(/negative/);
    expect(() => queryMask(Float64Array.from([0, 0.5]) as unknown as Int32Array)).toThrow(/not an integer/);
  });
});

describe('writeAttentionBias', () => {
  function check(gids: Int32Array, pad?: number[]) {
    const n = gids.length;
    const bias = new Float32Array(2 * n * n).fill(123);
    const rowHasKey = new Float32Array(2 * n).fill(123);
    writeAttentionBias({ contentGids: gids, queryGids: gids, keyGids: gids, keyPad: pad }, bias, rowHasKey);
    const masks = [contentMask(gids, pad), queryMask(gids, pad)];
    masks.forEach((m, s) => {
      for (let i = 0; i < n; i++) {
        const r = s * n + i;
        for (let j = 0; j < n; j++) expect(bias[r * n + j]).toBe(m[i][j] ? 0 : MASKED);
        expect(rowHasKey[r]).toBe(m[i].some((x) => x === 1) ? 1 : 0);
      }
    });
  }

  it('agrees with contentMask / queryMask (0 where allowed, MASKED elsewhere; rowHasKey = any allowed)', () => {
    check(ids([1, 0, 2, 2, 0, 2]));
    check(leftToRight(5));
    check(ids([0, 0, 0, 0]));
    for (let seed = 0; seed < 6; seed++) check(randomSubsets(7, 1 + (seed % 3), seed));
    check(ids([1, 0, 2, 2, 0, 2, 3, 3]), [0, 0, 0, 0, 0, 0, 1, 1]);
    check(ids([0, 1, 1, 2]), [1, 0, 0, 0]); // the only group-0 key is padding: group-1 query rows see nothing
  });

  it('first-group query rows have rowHasKey 0 in the §2 example', () => {
    const g = ids([1, 0, 2, 2, 0, 2]);
    const bias = new Float32Array(12 * 6);
    const rowHasKey = new Float32Array(12);
    writeAttentionBias({ contentGids: g, queryGids: g, keyGids: g }, bias, rowHasKey);
    expect(Array.from(rowHasKey)).toEqual([1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 1]);
    expect(MASKED).toBeLessThan(-1e6);
    expect(Number.isFinite(MASKED)).toBe(true);
  });

  it('honours offset / rowOffset and distinct row and key sets (cached keys)', () => {
    // Rows: 1 content row (gid 2) + 2 query rows (gids 2, 3) against 3 keys (gids 0, 1, 2).
    const bias = new Float32Array(5 + 3 * 3).fill(7);
    const rowHasKey = new Float32Array(2 + 3).fill(7);
    writeAttentionBias({ contentGids: [2], queryGids: [2, 3], keyGids: [0, 1, 2] }, bias, rowHasKey, 5, 2);
    expect(Array.from(bias.subarray(0, 5))).toEqual([7, 7, 7, 7, 7]);
    expect(Array.from(bias.subarray(5))).toEqual([0, 0, 0, 0, 0, MASKED, 0, 0, 0]);
    expect(Array.from(rowHasKey)).toEqual([7, 7, 1, 1, 1]);
  });
});
