/**
 * Store slice "inspect": the Inspect cell's text and group plan (URL state), the attention snapshot the
 * worker returns, and which layer, head and position the views show. A custom plan is painted a position at
 * a time with the brush group.
 */
import type { AttentionSnapshot } from '../../worker/protocol';
import { groupIdsFor, type GroupingSpec } from '../../a3/groups';
import type { InspectParams } from '../url-params';
import type { Slice, SliceContext } from './context';

export interface InspectState extends InspectParams {
  status: 'idle' | 'running' | 'done' | 'error';
  snapshot: AttentionSnapshot | null;
  /** The last tokenised text and its token labels (their count sizes the group ids without a second round trip). */
  tokenCache: { text: string; labels: string[] } | null;
  layer: number;
  head: number;
  position: number;
  /** Group a click assigns in the custom plan. */
  brush: number;
}

export interface InspectData {
  inspect: InspectState;
}

export interface InspectActions {
  setInspectText(text: string): void;
  setInspectPlan(plan: GroupingSpec): void;
  setInspectView(v: Partial<Pick<InspectState, 'layer' | 'head' | 'position' | 'brush'>>): void;
  /** Custom plan: position `pos` joins the brush group (switches the plan to custom, starting from the current ids). */
  assignGroup(pos: number, group?: number): void;
  runInspect(): Promise<void>;
  /** Group ids of the current plan for the last tokenised text (null before the first inspect). */
  currentGroupIds(): number[] | null;
}

export function inspectSlice(ctx: SliceContext, initial: InspectParams): Slice<InspectData & InspectActions> {
  const { set, get } = ctx;
  const patch = (p: Partial<InspectState>) => set((s) => ({ inspect: { ...s.inspect, ...p } }));

  /** Keeps the view's layer, head and position inside the new snapshot. */
  const finish = (snapshot: AttentionSnapshot) => {
    const layers = snapshot.weights.length;
    const heads = snapshot.weights[0]?.length ?? 0;
    const { layer, head, position } = get().inspect;
    patch({
      status: 'done',
      snapshot,
      layer: Math.min(layer, Math.max(0, layers - 1)),
      head: Math.min(head, Math.max(0, heads - 1)),
      position: Math.min(position, Math.max(0, snapshot.tokens.length - 1)),
    });
  };

  return {
    slice: {
      inspect: { ...initial, status: 'idle', snapshot: null, tokenCache: null, layer: 0, head: 0, position: 0, brush: 1 },
      setInspectText(text) {
        patch({ text });
      },
      setInspectPlan(plan) {
        patch({ plan });
      },
      setInspectView(v) {
        patch(v);
      },
      assignGroup(pos, group) {
        const { inspect } = get();
        const n = inspect.tokenCache?.labels.length ?? 0;
        if (pos < 0 || pos >= n) return;
        const gids = [...(get().currentGroupIds() ?? Array.from(groupIdsFor({ kind: 'left-to-right' }, n)))];
        gids[pos] = group ?? inspect.brush;
        patch({ plan: { kind: 'explicit', gids } });
      },
      currentGroupIds() {
        const { tokenCache, plan, text } = get().inspect;
        if (!tokenCache || tokenCache.text !== text) return null;
        return Array.from(groupIdsFor(plan, tokenCache.labels.length));
      },
      async runInspect() {
        const { text } = get().inspect;
        get().clearErrors('inspect');
        patch({ status: 'running' });
        try {
          let gids = get().currentGroupIds();
          if (!gids) {
            // First look at this text: tokenise (a left-to-right pass), then build the plan's ids.
            const first = await ctx.client().request({ type: 'inspect', text });
            const labels = first.snapshot.labels;
            patch({ tokenCache: { text, labels } });
            if (get().inspect.plan.kind === 'left-to-right') return finish(first.snapshot);
            gids = Array.from(groupIdsFor(get().inspect.plan, labels.length));
          }
          finish((await ctx.client().request({ type: 'inspect', text, groupIds: gids })).snapshot);
        } catch (e) {
          patch({ status: 'error' });
          ctx.fail('inspect', e);
        }
      },
    },
  };
}
