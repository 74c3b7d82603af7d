'use client';
/**
 * Inspect's attention section: pick a layer, head and position (numbered from 0, like the headings of
 * the views and the positions), then see one position's attention in both streams and the whole matrix.
 */
import { AttentionMap, AttentionMatrix, displayToken } from '@/components/views';
import type { StudioState } from '@/lib/store/studio-store';
import { SelectKnob } from '../../notebook/controls';
import { useStudio, useStudioActions } from '../../notebook/StudioProvider';

type Snapshot = NonNullable<StudioState['inspect']['snapshot']>;

const range = (n: number) => Array.from({ length: n }, (_, i) => ({ value: String(i), label: String(i) }));

export function AttentionPanel({ snapshot, labels }: { snapshot: Snapshot; labels: readonly string[] }) {
  const { layer, head, position } = useStudio((s) => ({ layer: s.inspect.layer, head: s.inspect.head, position: s.inspect.position }));
  const a = useStudioActions();
  const n = labels.length;
  const gids = snapshot.groupIds;
  const w = snapshot.weights[layer]?.[head];
  const positions = labels.map((l, i) => ({ value: String(i), label: `${i}: ${displayToken(l)}` }));
  return (
    <>
      <h3>Attention</h3>
      <p className="muted small">
        What the trained weights actually do inside those masks: the share of attention each row gives to each key, for one layer and head. Click a row to
        follow one position.
      </p>
      <div className="row wrap">
        <SelectKnob label="layer" value={String(layer)} options={range(snapshot.weights.length)} onChange={(v) => a.setInspectView({ layer: Number(v) })} testId="attn-layer" />
        <SelectKnob label="head" value={String(head)} options={range(snapshot.weights[0]?.length ?? 0)} onChange={(v) => a.setInspectView({ head: Number(v) })} testId="attn-head" />
        <SelectKnob label="position" value={String(position)} options={positions} onChange={(v) => a.setInspectView({ position: Number(v) })} testId="attn-position" />
      </div>
      {w ? (
        <>
          <AttentionMap data={{ labels, content: w[position], query: w[n + position], position, layer, head, gids }} />
          <AttentionMatrix data={{ labels, content: w.slice(0, n), query: w.slice(n, 2 * n), layer, head, gids, position }} onSelectPosition={(p) => a.setInspectView({ position: p })} />
        </>
      ) : null}
    </>
  );
}
