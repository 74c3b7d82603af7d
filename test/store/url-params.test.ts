import { describe, expect, it } from 'vitest';
import { DEFAULT_INSPECT, DEFAULT_PLAYGROUND, INSPECT_PLAN_KINDS, decodePlan, encodePlan, parseUrlState, writeUrlState, type UrlState } from '@/lib/store';
import { bindUrl, createStudioStore } from '@/lib/store';
import { STRATEGY_IDS } from '@/lib/a3/decode/strategies';
import { groupIdsFor } from '@/lib/a3/groups';

describe('URL state', () => {
  it('defaults give an empty query and round-trip', () => {
    const s: UrlState = { playground: DEFAULT_PLAYGROUND, inspect: DEFAULT_INSPECT };
    expect(writeUrlState('', s)).toBe('');
    expect(parseUrlState('')).toEqual(s);
  });

  it('round-trips every field and keeps foreign keys', () => {
    const s: UrlState = {
      playground: {
        text: 'Once upon a [ ] there was & a ? cat',
        strategy: 'dynamic',
        groupSize: 4,
        order: 'random',
        k: 3,
        score: 'entropy',
        draft: 6,
        steps: 12,
        blockLength: 4,
        remasking: 'random',
        temperature: 0.7,
        topK: 40,
        topP: 0.9,
        greedy: true,
        seed: 123,
      },
      inspect: { text: 'Hello, world!', plan: { kind: 'random', size: 3, seed: 9 } },
    };
    const q = writeUrlState('?backend=wasm&plan=ltr', s);
    expect(q).toContain('backend=wasm');
    expect(new URLSearchParams(q).getAll('plan')).toEqual(['random:3:9']);
    expect(parseUrlState(q)).toEqual(s);
  });

  it('every strategy round-trips; the new knobs have short keys, defaults and validation', () => {
    for (const strategy of STRATEGY_IDS) {
      const s: UrlState = { playground: { ...DEFAULT_PLAYGROUND, strategy }, inspect: DEFAULT_INSPECT };
      expect(parseUrlState(writeUrlState('', s)).playground.strategy).toBe(strategy);
    }
    expect(STRATEGY_IDS).toEqual(['groupwise', 'dynamic', 'speculative', 'diffusion', 'ar']);
    expect(DEFAULT_PLAYGROUND).toMatchObject({ draft: 4, steps: 8, blockLength: 0, remasking: 'low_confidence' });
    const q = writeUrlState('', { playground: { ...DEFAULT_PLAYGROUND, strategy: 'diffusion', steps: 16, blockLength: 8, remasking: 'random' }, inspect: DEFAULT_INSPECT });
    expect(Object.fromEntries(new URLSearchParams(q))).toEqual({ strategy: 'diffusion', steps: '16', block: '8', remask: 'random' });
    expect(parseUrlState('?strategy=speculative&draft=2').playground).toMatchObject({ strategy: 'speculative', draft: 2 });
    // Out of range, not an integer, unknown: the defaults.
    const bad = parseUrlState('?draft=0&steps=1.5&block=-1&remask=high_confidence').playground;
    expect([bad.draft, bad.steps, bad.blockLength, bad.remasking]).toEqual([4, 8, 0, 'low_confidence']);
    expect(parseUrlState('?draft=65&steps=0&block=x').playground).toMatchObject({ draft: 4, steps: 8, blockLength: 0 });
  });

  it('plans encode and decode, invalid ones fall back', () => {
    for (const plan of [
      { kind: 'left-to-right' as const },
      { kind: 'contiguous' as const, size: 4 },
      { kind: 'random' as const, size: 2, seed: 0 },
      { kind: 'explicit' as const, gids: [0, 2, 1, 1] },
      { kind: 'span-infill' as const, size: 2, order: 'random' as const, seed: 5 },
    ]) {
      expect(decodePlan(encodePlan(plan))).toEqual(plan);
    }
    expect(decodePlan('contig:0')).toBeUndefined();
    expect(decodePlan('custom:1.x')).toBeUndefined();
    expect(encodePlan({ kind: 'explicit', gids: [1, 0] })).toBe('custom:1.0'); // links from before the rename still parse
    expect(decodePlan('span:1:sideways:0')).toBeUndefined();
    expect(decodePlan('bogus')).toBeUndefined();
    expect(parseUrlState('?plan=contig:-3&s=0&temp=abc&strategy=nope').playground.groupSize).toBe(DEFAULT_PLAYGROUND.groupSize);
    expect(parseUrlState('?plan=contig:-3').inspect.plan).toEqual(DEFAULT_INSPECT.plan);
    expect(parseUrlState('?strategy=nope').playground.strategy).toBe('groupwise');
  });

  it("Inspect's plan from a link is one its radios offer: a span-infill plan falls back to the default", () => {
    expect(parseUrlState('?plan=span:1:ltr:0').inspect.plan).toEqual(DEFAULT_INSPECT.plan);
    for (const plan of ['ltr', 'contig:3', 'random:2:5', 'custom:0.1']) {
      const { kind } = parseUrlState(`?plan=${plan}`).inspect.plan;
      expect(INSPECT_PLAN_KINDS).toContain(kind);
      expect(encodePlan(parseUrlState(`?plan=${plan}`).inspect.plan)).toBe(plan);
    }
  });

  it('a store created from a URL holds its state, and bindUrl writes changes back', () => {
    const search = '?backend=cpu&itext=abc&plan=contig:2&temp=0.5';
    const store = createStudioStore({ search });
    expect(store.getState().backend.requested).toBe('cpu');
    expect(store.getState().inspect.text).toBe('abc');
    expect(store.getState().inspect.plan).toEqual({ kind: 'contiguous', size: 2 });
    expect(store.getState().playground.temperature).toBe(0.5);

    const host = { location: { pathname: '/', search, hash: '' }, history: { replaceState: (_d: unknown, _u: string, url?: string) => {
      const u = new URL(url!, 'http://x');
      host.location.search = u.search;
      calls.push(url!);
    } } };
    const calls: string[] = [];
    const unbind = bindUrl(store, host);
    expect(calls).toEqual([]); // already in sync
    store.getState().setPlayground({ strategy: 'dynamic', seed: 5 });
    store.getState().setInspectPlan({ kind: 'explicit', gids: [1, 0, 1] });
    const again = createStudioStore({ search: host.location.search });
    expect(again.getState().playground).toEqual(store.getState().playground);
    expect(again.getState().inspect.plan).toEqual({ kind: 'explicit', gids: [1, 0, 1] });
    expect(again.getState().backend.requested).toBe('cpu');
    unbind();
    store.getState().setPlayground({ seed: 6 });
    expect(calls).toHaveLength(2);
  });

  it('the Inspect plan is a GroupingSpec: its ids come from groupIdsFor', () => {
    const ids = (plan: Parameters<typeof groupIdsFor>[0], n: number) => Array.from(groupIdsFor(plan, n));
    expect(ids({ kind: 'left-to-right' }, 4)).toEqual([0, 1, 2, 3]);
    expect(ids({ kind: 'contiguous', size: 2 }, 5)).toEqual([0, 0, 1, 1, 2]);
    expect(ids({ kind: 'explicit', gids: [2, 1] }, 3)).toEqual([2, 1, 0]);
    const r = ids({ kind: 'random', size: 2, seed: 3 }, 6);
    expect([...r].sort()).toEqual([0, 0, 1, 1, 2, 2]);
    expect(ids({ kind: 'random', size: 2, seed: 3 }, 6)).toEqual(r);
  });
});
