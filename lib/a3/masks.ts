/**
 * Attention masks from group ids: the single rule both the model and the mask
 * views use (`../shared/A3.md` §2).
 *
 *   content row i may attend key j  iff  gid[j] <= gid[i]  (own and earlier groups)
 *   query   row i may attend key j  iff  gid[j] <  gid[i]  (strictly earlier groups)
 *
 * Padding positions are never attended to by anyone.
 */
import { validateGroupIds, type GroupIds } from './groups';

export type Stream = 'content' | 'query';

/** The rule itself. Everything else in this file is bookkeeping around it. */
export function canAttend(stream: Stream, rowGid: number, keyGid: number): boolean {
  return stream === 'content' ? keyGid <= rowGid : keyGid < rowGid;
}

/** A square 0/1 matrix, rows = attending positions, columns = attended positions. */
export type Mask = number[][];

function streamMask(stream: Stream, gids: GroupIds, pad?: ArrayLike<boolean | number>): Mask {
  validateGroupIds(gids);
  if (pad && pad.length !== gids.length) {
    throw new Error(`pad has length ${pad.length}, group ids have length ${gids.length}`);
  }
  const n = gids.length;
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => (!pad?.[j] && canAttend(stream, gids[i], gids[j]) ? 1 : 0)),
  );
}

export function contentMask(gids: GroupIds, pad?: ArrayLike<boolean | number>): Mask {
  return streamMask('content', gids, pad);
}

export function queryMask(gids: GroupIds, pad?: ArrayLike<boolean | number>): Mask {
  return streamMask('query', gids, pad);
}

/** Additive bias for a disallowed score: large enough to vanish after softmax, finite to keep gradients clean. */
export const MASKED = -1e9;

/**
 * Additive attention bias for one sequence, rows laid out as the model lays
 * them out: first the content rows, then the query rows, against `keyGids`.
 * `rowHasKey[r]` is 0 for rows that may attend nothing (first-group query
 * rows): the model multiplies their attention weights by it so their output
 * is exactly zero instead of a uniform average over masked keys.
 */
export interface RowSpec {
  contentGids: ArrayLike<number>;
  queryGids: ArrayLike<number>;
  keyGids: ArrayLike<number>;
  keyPad?: ArrayLike<boolean | number>;
}

export function writeAttentionBias(spec: RowSpec, bias: Float32Array, rowHasKey: Float32Array, offset = 0, rowOffset = 0): void {
  const { contentGids, queryGids, keyGids, keyPad } = spec;
  const nKeys = keyGids.length;
  const fillRow = (stream: Stream, rowGid: number, r: number) => {
    let any = 0;
    const base = offset + r * nKeys;
    for (let j = 0; j < nKeys; j++) {
      const ok = !keyPad?.[j] && canAttend(stream, rowGid, keyGids[j]);
      bias[base + j] = ok ? 0 : MASKED;
      any |= ok ? 1 : 0;
    }
    rowHasKey[rowOffset + r] = any;
  };
  for (let r = 0; r < contentGids.length; r++) fillRow('content', contentGids[r], r);
  for (let r = 0; r < queryGids.length; r++) fillRow('query', queryGids[r], contentGids.length + r);
}
