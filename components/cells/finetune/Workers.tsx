'use client';
/**
 * How many Web Workers share a fine-tune's steps: 1 … cores − 1 on wasm/cpu (one core stays with the page and
 * the training worker), default min(2, that). WebGPU and WebGL train on one worker, and the control says why:
 * there is one device, which more workers would only share.
 */
import { useSyncExternalStore } from 'react';
import type { BackendName } from '@/lib/a3/backend-names';
import { PARALLEL_BACKENDS } from '@/lib/worker/protocol';
import { NumberKnob } from '../../notebook/controls';

export const maxWorkers = (cores: number): number => Math.max(1, Math.floor(cores) - 1);

const parallelOn = (backend: BackendName | null): boolean => backend !== null && PARALLEL_BACKENDS.includes(backend);

/** The workers a run gets: the user's choice (else the default) within 1 … max; 1 on a GPU backend or while the cores are unknown. */
export function workersFor(backend: BackendName | null, cores: number | null, chosen: number | null): number {
  if (!parallelOn(backend) || cores === null) return 1;
  const max = maxWorkers(cores);
  return Math.max(1, Math.min(max, chosen ?? Math.min(2, max)));
}

/** navigator.hardwareConcurrency once mounted (null in the server render and the first client one: they must match). */
export function useCores(): number | null {
  return useSyncExternalStore(neverChanges, () => navigator.hardwareConcurrency || 1, () => null);
}

/** The core count does not change while the page is open: nothing to subscribe to. */
const neverChanges = (): (() => void) => () => undefined;

export interface WorkersKnobProps {
  backend: BackendName | null;
  cores: number | null;
  value: number;
  onCommit: (workers: number) => void;
}

export function WorkersKnob({ backend, cores, value, onCommit }: WorkersKnobProps) {
  const parallel = parallelOn(backend);
  const max = parallel && cores !== null ? maxWorkers(cores) : 1;
  const why = !parallel
    ? `${backend ?? 'this backend'} computes on one device: one worker`
    : cores !== null && max === 1
      ? `${cores} core${cores === 1 ? '' : 's'} here: one stays with the page`
      : `up to ${max}: one core stays with the page`;
  return (
    <span className="row">
      <NumberKnob label="workers" value={value} min={1} max={max} integer size={3} disabled={max === 1} title={why} onCommit={onCommit} testId="ft-workers" />
      <span className="muted small" data-testid="ft-workers-why">
        {why}
      </span>
    </span>
  );
}
