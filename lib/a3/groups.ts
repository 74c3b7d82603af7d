/**
 * Group ids: the one definition of an A3 ordered partition.
 *
 * `gid[i]` is the group of position i; lower ids are earlier groups. Ids need
 * not be dense or follow position order. The model's masks, the mask views and
 * the decoder's trace all use these arrays, never a private re-encoding.
 *
 * Longer than most: it is the one definition of groupings (every kind, its spec, validation, labels and
 * span-infill drawing), and keeping it in one file is the point: no private re-encodings elsewhere.
 */
import { makeRng, randomPermutation, type Rng } from './random';

export type GroupIds = Int32Array;

/** Throws a clear error unless `gids` is a valid grouping of `n` positions. */
export function validateGroupIds(gids: ArrayLike<number>, n?: number): void {
  if (n !== undefined && gids.length !== n) {
    throw new Error(`group ids have length ${gids.length}, expected ${n}`);
  }
  for (let i = 0; i < gids.length; i++) {
    const g = gids[i];
    if (!Number.isInteger(g)) throw new Error(`group id at position ${i} is not an integer: ${g}`);
    if (g < 0) throw new Error(`group id at position ${i} is negative: ${g}`);
  }
}

function checkLength(n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`sequence length must be a non-negative integer, got ${n}`);
}

function checkGroupSize(s: number): void {
  if (!Number.isInteger(s) || s < 1) throw new Error(`group size must be an integer >= 1, got ${s}`);
}

/** gid = arange(n): ordinary left-to-right AR. */
export function leftToRight(n: number): GroupIds {
  checkLength(n);
  return Int32Array.from({ length: n }, (_, i) => i);
}

/** Contiguous blocks of size s, left to right: gid[i] = floor(i / s). */
export function contiguous(n: number, s: number): GroupIds {
  checkLength(n);
  checkGroupSize(s);
  return Int32Array.from({ length: n }, (_, i) => Math.floor(i / s));
}

/**
 * Random subsets of size s (the last may be smaller), in random order:
 * the paper's `repeat(arange(ceil(N/s)), s)[randperm(N)]`.
 */
export function randomSubsets(n: number, s: number, rngOrSeed: Rng | number): GroupIds {
  checkLength(n);
  checkGroupSize(s);
  const rng = typeof rngOrSeed === 'number' ? makeRng(rngOrSeed) : rngOrSeed;
  const perm = randomPermutation(n, rng);
  const gids = new Int32Array(n);
  for (let i = 0; i < n; i++) gids[perm[i]] = Math.floor(i / s);
  return gids;
}

/** From an explicit ordered list of groups; every position exactly once. */
export function fromGroups(groups: ArrayLike<number>[], n: number): GroupIds {
  checkLength(n);
  const gids = new Int32Array(n).fill(-1);
  groups.forEach((group, k) => {
    for (let j = 0; j < group.length; j++) {
      const pos = group[j];
      if (!Number.isInteger(pos) || pos < 0 || pos >= n) {
        throw new Error(`group ${k} names position ${pos}, outside 0..${n - 1}`);
      }
      if (gids[pos] !== -1) throw new Error(`position ${pos} is in group ${gids[pos]} and group ${k}`);
      gids[pos] = k;
    }
  });
  const missing = gids.indexOf(-1);
  if (missing !== -1) throw new Error(`position ${missing} is in no group`);
  return gids;
}

/** The inverse of fromGroups: positions of each group, groups in order, positions ascending. */
export function toGroups(gids: GroupIds): number[][] {
  validateGroupIds(gids);
  const byId = new Map<number, number[]>();
  gids.forEach((g, i) => {
    const list = byId.get(g);
    if (list) list.push(i);
    else byId.set(g, [i]);
  });
  return [...byId.keys()].sort((a, b) => a - b).map((g) => byId.get(g)!); // a key of byId
}

/** Relabel to dense ranks 0..K-1 keeping the order (masks and likelihoods are unchanged). */
export function denseRanks(gids: GroupIds): GroupIds {
  const sorted = [...new Set(gids)].sort((a, b) => a - b);
  const rank = new Map(sorted.map((g, r) => [g, r]));
  return Int32Array.from(gids, (g) => rank.get(g)!); // rank holds every gid
}

export type OpenOrder = 'left-to-right' | 'random' | number[];

/**
 * Decoding plan: given positions form group 0; the open positions are cut into
 * groups of size s (groups 1, 2, ...) visiting them left to right, at random,
 * or in an explicit order (a permutation of the open positions).
 */
export function infillPlan(given: ArrayLike<boolean>, s: number, order: OpenOrder = 'left-to-right', seed = 0): GroupIds {
  checkGroupSize(s);
  const open: number[] = [];
  for (let i = 0; i < given.length; i++) if (!given[i]) open.push(i);
  let visit: number[];
  if (order === 'left-to-right') visit = open;
  else if (order === 'random') visit = Array.from(randomPermutation(open.length, makeRng(seed)), (k) => open[k]);
  else {
    const expected = [...open].sort((a, b) => a - b).join(',');
    if ([...order].sort((a, b) => a - b).join(',') !== expected) {
      throw new Error('explicit order must be a permutation of the open positions');
    }
    visit = order;
  }
  const gids = new Int32Array(given.length);
  visit.forEach((pos, k) => {
    gids[pos] = 1 + Math.floor(k / s);
  });
  return gids;
}

// ---------------------------------------------------------------------------
// GroupingSpec: how a grouping is drawn, as plain data. The curriculum, the
// Inspect cell's plan and the evaluation all hold specs and call groupIdsFor.

/** A run of open positions [start, start + length). */
export interface SpanRange {
  start: number;
  length: number;
}

/** Order in which open positions are visited before they are cut into groups of `size`. */
export type VisitOrder = 'left-to-right' | 'random';

/**
 * Span infilling, the way the playground is used: the context is group 0 and
 * one to `maxSpans` contiguous spans are the later groups, visited in `order`
 * and cut into groups of `size` (1 = singletons left to right: exact AR over
 * the gap; size >= the spans' total = the gap as one group).
 *
 * Drawn spans (no `spans` given): with probability `sentence` and sentence
 * starts supplied, one whole sentence; otherwise k ~ U{1..maxSpans} spans whose
 * lengths follow SPAN_LENGTHS, placed uniformly at random, never touching each
 * other, always leaving at least one context token.
 */
export interface SpanInfillSpec {
  kind: 'span-infill';
  size: number;
  order: VisitOrder;
  /** Fixed spans (sorted, disjoint); drawn when absent. */
  spans?: SpanRange[];
  /** At most this many drawn spans (default 3). */
  maxSpans?: number;
  /** Longest drawn span in tokens (default 32). */
  maxSpanLength?: number;
  /** Probability that the draw is one whole sentence, when sentence starts are supplied (default 0.5). */
  sentence?: number;
  seed?: number;
}

export type GroupingSpec =
  | { kind: 'left-to-right' }
  | { kind: 'contiguous'; size: number }
  | { kind: 'random'; size: number; seed?: number }
  | SpanInfillSpec
  /** Ids as written (e.g. clicked in the Inspect cell); positions past the list are group 0. */
  | { kind: 'explicit'; gids: number[] };

export type GroupingKind = GroupingSpec['kind'];

/** Each grouping kind in words: what the pickers that offer kinds show (Inspect's plan, the fine-tune stages' grouping). */
export const GROUPING_KIND_LABEL: Record<GroupingKind, string> = {
  'left-to-right': 'left to right',
  contiguous: 'contiguous blocks',
  random: 'random subsets',
  'span-infill': 'span infilling',
  explicit: 'custom groups',
};

/** `kinds` with their labels, in the order given: a picker's options. */
export function groupingKindOptions<K extends GroupingKind>(kinds: readonly K[]): { value: K; label: string }[] {
  return kinds.map((value) => ({ value, label: GROUPING_KIND_LABEL[value] }));
}

/** Per-draw inputs a spec does not hold itself. */
export interface DrawOptions {
  /** Overrides spec.seed: the curriculum draws a fresh grouping per batch. */
  seed?: number;
  /** Ascending sentence boundaries: sentence k runs from entry k to entry k+1 (end with n if the text ends a sentence). */
  sentenceStarts?: ArrayLike<number>;
}

/**
 * Span lengths: log-uniform over 1..max, L = floor((max + 1)^u), u ~ U[0, 1):
 * P(L = l) = ln((l + 1) / l) / ln(max + 1), so every octave (1, 2-3, 4-7,
 * 8-15, 16-32) is about equally likely: single words as often as phrases and
 * sentence-long gaps (our sentences are ~20 tokens). For max = 32 the mean is 8.7 tokens.
 */
export const SPAN_LENGTHS = { min: 1, max: 32, law: 'log-uniform: floor((max + 1)^u), u ~ U[0,1)' } as const;

export function drawSpanLength(rng: Rng, max: number = SPAN_LENGTHS.max): number {
  return Math.min(max, Math.max(1, Math.floor(Math.pow(max + 1, rng()))));
}

function checkOptionalCount(what: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new Error(`${what} must be an integer >= 1, got ${v}`);
}

function checkSpans(spans: SpanRange[], n: number): void {
  let end = 0;
  spans.forEach((s, k) => {
    if (!Number.isInteger(s.start) || !Number.isInteger(s.length) || s.length < 1) throw new Error(`span ${k} must have an integer start and a length >= 1`);
    if (s.start < end) throw new Error(`span ${k} starts at ${s.start}, inside or before the previous span: spans must be sorted and disjoint`);
    if (s.start + s.length > n) throw new Error(`span ${k} (${s.start}..${s.start + s.length - 1}) runs past the sequence of ${n}`);
    end = s.start + s.length;
  });
}

/** One whole sentence as the span, or null when none fits (it must leave a context token). */
function sentenceSpan(n: number, starts: ArrayLike<number>, rng: Rng): SpanRange | null {
  const sentences: SpanRange[] = [];
  for (let k = 0; k + 1 < starts.length; k++) {
    const from = starts[k];
    const to = starts[k + 1];
    if (from >= 0 && to > from && to <= n && to - from < n) sentences.push({ start: from, length: to - from });
  }
  return sentences.length === 0 ? null : sentences[Math.floor(rng() * sentences.length)];
}

/** k random spans, sorted, disjoint and not adjacent, leaving at least one context position. */
function randomSpans(n: number, spec: SpanInfillSpec, rng: Rng): SpanRange[] {
  checkOptionalCount('maxSpans', spec.maxSpans);
  checkOptionalCount('maxSpanLength', spec.maxSpanLength);
  const maxSpans = spec.maxSpans ?? 3;
  const maxLength = spec.maxSpanLength ?? SPAN_LENGTHS.max;
  let k = 1 + Math.floor(rng() * maxSpans);
  const lengths = Array.from({ length: k }, () => drawSpanLength(rng, maxLength));
  // Too long for this sequence: drop spans, then shorten the last, until k spans + k-1 separators + 1 context fit.
  const total = () => lengths.reduce((a, b) => a + b, 0);
  while (k > 1 && total() + k > n) {
    lengths.pop();
    k--;
  }
  if (total() + k > n) lengths[0] = n - 1;
  // Free positions: k-1 mandatory separators, the rest (>= 1) spread over the k+1 slots (stars and bars).
  const extra = n - total() - (k - 1);
  const cuts = Array.from(randomPermutation(extra + k, rng).subarray(0, k)).sort((a, b) => a - b);
  const spans: SpanRange[] = [];
  let at = 0;
  let prevCut = -1;
  cuts.forEach((c, j) => {
    at += c - prevCut - 1 + (j > 0 ? 1 : 0); // slot j's share of `extra`, plus the separator after span j-1
    spans.push({ start: at, length: lengths[j] });
    at += lengths[j];
    prevCut = c;
  });
  return spans;
}

/** The spans of a span-infill spec for a sequence of n (fixed, or drawn with the seed). */
export function spanInfillSpans(spec: SpanInfillSpec, n: number, options: DrawOptions = {}): SpanRange[] {
  checkLength(n);
  if (spec.spans) {
    checkSpans(spec.spans, n);
    return spec.spans.map((s) => ({ ...s }));
  }
  if (n < 2) throw new Error(`span infilling needs at least 2 positions (one context, one span), got ${n}`);
  const rng = makeRng(options.seed ?? spec.seed ?? 0);
  const sentenceProb = spec.sentence ?? 0.5;
  if (options.sentenceStarts && rng() < sentenceProb) {
    const s = sentenceSpan(n, options.sentenceStarts, rng);
    if (s) return [s];
  }
  return randomSpans(n, spec, rng);
}

/** 1 at every position inside a span. */
export function spanMask(spans: SpanRange[], n: number): Uint8Array {
  const open = new Uint8Array(n);
  for (const s of spans) open.fill(1, s.start, s.start + s.length);
  return open;
}

/** Group ids of n positions under a spec. */
export function groupIdsFor(spec: GroupingSpec, n: number, options: DrawOptions = {}): GroupIds {
  switch (spec.kind) {
    case 'left-to-right':
      return leftToRight(n);
    case 'contiguous':
      return contiguous(n, spec.size);
    case 'random':
      return randomSubsets(n, spec.size, options.seed ?? spec.seed ?? 0);
    case 'span-infill': {
      checkGroupSize(spec.size);
      const open = spanMask(spanInfillSpans(spec, n, options), n);
      // The visiting order's own seed, decorrelated from the span draw's.
      const orderSeed = ((options.seed ?? spec.seed ?? 0) ^ 0x5bd1e995) >>> 0;
      return infillPlan(Array.from(open, (o) => o === 0), spec.size, spec.order, orderSeed);
    }
    case 'explicit':
      checkLength(n);
      return Int32Array.from({ length: n }, (_, i) => {
        const g = spec.gids[i];
        return Number.isInteger(g) && g >= 0 ? g : 0;
      });
  }
}

/** Throws a clear error unless the spec can be drawn (sizes, order, fixed spans' shape, probabilities). */
export function validateGroupingSpec(spec: GroupingSpec): GroupingSpec {
  switch (spec.kind) {
    case 'left-to-right':
      return spec;
    case 'contiguous':
    case 'random':
      checkGroupSize(spec.size);
      return spec;
    case 'span-infill':
      checkGroupSize(spec.size);
      if (spec.order !== 'left-to-right' && spec.order !== 'random') throw new Error(`span order must be left-to-right or random, got ${String(spec.order)}`);
      checkOptionalCount('maxSpans', spec.maxSpans);
      checkOptionalCount('maxSpanLength', spec.maxSpanLength);
      if (spec.sentence !== undefined && !(spec.sentence >= 0 && spec.sentence <= 1)) throw new Error(`sentence probability must be in [0, 1], got ${spec.sentence}`);
      if (spec.spans) checkSpans(spec.spans, Infinity);
      return spec;
    case 'explicit':
      validateGroupIds(spec.gids);
      return spec;
    default:
      throw new Error(`unknown grouping kind ${String((spec as { kind: unknown }).kind)}`);
  }
}

/** The group size s a spec names (1 for left to right and explicit ids). */
export function groupSize(spec: GroupingSpec): number {
  return spec.kind === 'left-to-right' || spec.kind === 'explicit' ? 1 : spec.size;
}

/** True when group 0 is given context rather than a target (span infilling): losses should not score it. */
export function groupZeroIsContext(spec: GroupingSpec): boolean {
  return spec.kind === 'span-infill';
}

/** Short stable label, used as a key in results files: "left-to-right s=1", "random s=4", "span-infill s=1". */
export function groupingLabel(spec: GroupingSpec): string {
  switch (spec.kind) {
    case 'left-to-right':
      return 'left-to-right s=1';
    case 'contiguous':
    case 'random':
      return `${spec.kind} s=${spec.size}`;
    case 'span-infill':
      return `span-infill s=${spec.size}${spec.order === 'random' ? ' random order' : ''}`;
    case 'explicit':
      return 'explicit';
  }
}

/** A sentence for people, e.g. "random subsets of 4 (seed 7)". */
export function describeGrouping(spec: GroupingSpec): string {
  switch (spec.kind) {
    case 'left-to-right':
      return 'left-to-right, one token per group (ordinary autoregression)';
    case 'contiguous':
      return `contiguous blocks of ${spec.size}, left to right`;
    case 'random':
      return `random subsets of ${spec.size}${spec.seed === undefined ? '' : ` (seed ${spec.seed})`}`;
    case 'span-infill': {
      const spans = spec.spans ? `${spec.spans.length} fixed span${spec.spans.length === 1 ? '' : 's'}` : `1-${spec.maxSpans ?? 3} spans of 1-${spec.maxSpanLength ?? SPAN_LENGTHS.max} tokens`;
      const groups = spec.size === 1 ? 'one token per group' : `groups of ${spec.size}`;
      return `span infilling: context is group 0, ${spans} filled ${spec.order === 'random' ? 'in random order' : 'left to right'}, ${groups}`;
    }
    case 'explicit':
      return 'custom groups';
  }
}
