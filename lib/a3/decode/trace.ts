/**
 * DecodeTrace: what a decoder did, forward by forward. Every view and every
 * benchmark reads this; none recomputes what the decoder already knew.
 * Group ids here are the ones the model's masks used (given context = 0),
 * except for AR decoding on the base model's causal stream, where every
 * position is its own group: group id = position, prompt included.
 * Probabilities and entropies are those of the distribution a fill is drawn
 * from at temperature 1: the model's, with special tokens masked out.
 */
export interface CommittedToken {
  pos: number;
  token: number;
  /** The model's probability of the chosen token (temperature 1, before top-k/top-p). */
  prob: number;
  /** Entropy (nats) of the model's distribution at this position. */
  entropy: number;
}

export interface Candidate {
  pos: number;
  top: { token: number; prob: number }[];
}

/** A token drafted by speculative decoding, and what verification made of it. */
export interface DraftedToken {
  pos: number;
  token: number;
  /** The model's probability of the drafted token in the draft forward (temperature 1). */
  prob: number;
  /** accepted: committed as drafted; rejected: replaced by a resample; discarded: after a rejection, never judged. */
  outcome: 'accepted' | 'rejected' | 'discarded';
}

export interface DecodeStep {
  groupId: number;
  committed: CommittedToken[];
  /** Top-k of every position predicted in this forward (committed or not). */
  candidates: Candidate[];
  /** Speculative draft steps only: the tokens drafted in parallel, in draft order (the next step verifies them). */
  drafted?: DraftedToken[];
  cached: boolean;
  ms: number;
}

export interface DecodeTrace {
  strategy: string;
  /** Tokens before decoding; open positions hold the <mask> id. */
  initial: number[];
  given: boolean[];
  tokens: number[];
  /** Final group id of every position: 0 for given, the committing step's group otherwise. */
  groupIds: number[];
  steps: DecodeStep[];
  nfe: number;
  generated: number;
  totalMs: number;
  tokensPerSec: number;
  /** What the decoder ran differently from what it was asked, in words (e.g. diffusion steps capped to the open positions). */
  notes?: string[];
}

/** Traces are plain JSON already; this checks one read back from a file or a message. */
export function traceFromJSON(json: unknown): DecodeTrace {
  const t = json as Partial<DecodeTrace>;
  const arrays: (keyof DecodeTrace)[] = ['initial', 'given', 'tokens', 'groupIds', 'steps'];
  if (typeof t !== 'object' || t === null) throw new Error('a decode trace must be a JSON object');
  for (const key of arrays) if (!Array.isArray(t[key])) throw new Error(`decode trace: "${key}" must be an array`);
  // Non-null below: the loop above has checked that every one of these is an array.
  const n = t.tokens!.length;
  if (t.initial!.length !== n || t.given!.length !== n || t.groupIds!.length !== n) {
    throw new Error('decode trace: initial, given, tokens and groupIds must have the same length');
  }
  for (const [i, s] of t.steps!.entries()) {
    if (!Array.isArray(s?.committed)) throw new Error(`decode trace: step ${i} has no committed list`);
    for (const c of s.committed) if (!(c.pos >= 0 && c.pos < n)) throw new Error(`decode trace: step ${i} commits position ${c.pos} outside 0..${n - 1}`);
  }
  return t as DecodeTrace;
}
