import type { DecodeRequest, DecodeResult } from '@/lib/a3/decode/request';
import type { DecodeStep } from '@/lib/a3/decode/trace';

/**
 * A made-up but well-formed DecodeResult for a request: 4 given tokens, 4 open ones, 1 given token; the open
 * positions are committed s (group-wise) or k (dynamic, right to left) per step, as the real decoders would.
 */
export function fakeDecodeResult(req: Partial<DecodeRequest> = {}): DecodeResult {
  if (req.strategy === 'speculative') return fakeSpeculativeResult(req);
  const labels = ['Once', ' upon', ' a', ' time', ' there', ' was', ' a', ' cat', '.'];
  const given = labels.map((_, i) => i < 4 || i === 8);
  const open = [4, 5, 6, 7];
  const per = req.strategy === 'dynamic' ? (req.perStep ?? 1) : (req.groupSize ?? 1);
  const order = req.strategy === 'dynamic' ? [...open].reverse() : open;
  const steps: DecodeStep[] = [];
  const groupIds = labels.map(() => 0);
  for (let i = 0; i < order.length; i += per) {
    const chunk = order.slice(i, i + per);
    const groupId = steps.length + 1;
    const remaining = order.slice(i);
    for (const p of chunk) groupIds[p] = groupId;
    steps.push({
      groupId,
      committed: chunk.map((pos) => ({ pos, token: 100 + pos, prob: 0.5 + pos / 20, entropy: 1.25 })),
      candidates: remaining.map((pos) => ({ pos, top: [{ token: 100 + pos, prob: 0.5 }, { token: 7, prob: 0.1 }] })),
      cached: true,
      ms: 3,
    });
  }
  return {
    trace: {
      strategy: req.strategy ?? 'groupwise',
      initial: labels.map((_, i) => (given[i] ? 100 + i : 3)),
      given,
      tokens: labels.map((_, i) => 100 + i),
      groupIds,
      steps,
      nfe: steps.length,
      generated: open.length,
      totalMs: 3 * steps.length,
      tokensPerSec: open.length / (0.003 * steps.length),
    },
    spans: [{ start: 4, length: 4 }],
    labels,
    initialLabels: labels.map((l, i) => (given[i] ? l : '')),
    text: labels.join(''),
  };
}

/**
 * Speculative sampling's shape: rounds of a draft forward (commits nothing, candidates for the drafted block) and
 * a verify forward (commits the accepted drafts, no candidates). Draft D = req.draft (default 4); over the 4 open
 * positions the first round keeps 3 of min(D, 4) (a rejection), the second the rest.
 */
export function fakeSpeculativeResult(req: Partial<DecodeRequest> = {}): DecodeResult {
  const base = fakeDecodeResult({ ...req, strategy: 'groupwise', groupSize: 1 });
  const open = [4, 5, 6, 7];
  const D = req.draft ?? 4;
  const steps: DecodeStep[] = [];
  const rounds: { drafted: number; accepted: number }[] = [];
  const groupIds = base.trace.groupIds.map(() => 0);
  let next = 0;
  while (next < open.length) {
    const block = open.slice(next, next + D);
    const keep = rounds.length === 0 && block.length > 1 ? block.length - 1 : block.length;
    const group = next + 1;
    // A kept block shorter than the draft ends in a rejection (resampled, committed), the drafts after it discarded.
    const rejected = keep < block.length ? keep - 1 : -1;
    const drafted = block.map((pos, r) => ({ pos, token: 100 + pos, prob: 0.6, outcome: r === rejected ? 'rejected' : r > rejected && rejected >= 0 ? 'discarded' : 'accepted' }) as const);
    steps.push({ groupId: group, committed: [], candidates: block.map((pos) => ({ pos, top: [{ token: 100 + pos, prob: 0.6 }, { token: 7, prob: 0.1 }] })), drafted, cached: true, ms: 2 });
    steps.push({ groupId: group, committed: block.slice(0, keep).map((pos) => ({ pos, token: 100 + pos, prob: 0.6, entropy: 1.5 })), candidates: [], cached: true, ms: 3 });
    block.slice(0, keep).forEach((pos, r) => (groupIds[pos] = group + r));
    rounds.push({ drafted: block.length, accepted: keep });
    next += keep;
  }
  const totalMs = steps.reduce((a, s) => a + s.ms, 0);
  const trace = {
    ...base.trace,
    strategy: `speculative draft=${D}`,
    groupIds,
    steps,
    nfe: steps.length,
    totalMs,
    tokensPerSec: open.length / (totalMs / 1000),
    acceptedPerForward: open.length / steps.length,
    rounds,
  };
  return { ...base, trace };
}
