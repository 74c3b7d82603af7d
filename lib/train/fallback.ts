/**
 * What the worker does when the accelerator fails under a training run: which faults count (a lost
 * device, running out of memory), which backend comes next, and the sentence the page shows.
 * Pure functions plus one tfjs hook (`watchDeviceLost`), so the decisions are testable in Node.
 */
import * as tf from '@tensorflow/tfjs';
import { BACKEND_NAMES, type BackendName } from '../a3/backend';

export type FaultKind = 'device-lost' | 'oom';

export interface Fault {
  kind: FaultKind;
  /** The browser's or tfjs's own words. */
  detail: string;
  /** Raised by the test-only `simulate-fault` command, not by the device. */
  simulated: boolean;
}

/** Prefix of the errors `simulate-fault` raises, so they run through the same classification as real ones. */
export const SIMULATED = 'simulated fault: ';

/** Thrown into a training run to abort it for recovery. */
export class FaultError extends Error {
  constructor(readonly fault: Fault) {
    super(`${fault.kind}: ${fault.detail}`);
    this.name = 'FaultError';
  }
}

/** Fastest first, as in the page's auto choice: a failed backend hands over to the next one still allowed. */
export const FALLBACK_ORDER: readonly BackendName[] = BACKEND_NAMES;

export function nextBackend(failed: BackendName, excluded: Iterable<BackendName> = []): BackendName | null {
  const skip = new Set([failed, ...excluded]);
  return FALLBACK_ORDER.slice(FALLBACK_ORDER.indexOf(failed) + 1).find((b) => !skip.has(b)) ?? null;
}

// What WebGPU ("Device is lost", GPUOutOfMemoryError), WebGL (CONTEXT_LOST_WEBGL, failed allocations),
// wasm ("Out of memory" after a failed grow) and JS (RangeError "Array buffer allocation failed") say.
const LOST = /device (?:is |was |has been )?lost|context (?:was |is )?lost|CONTEXT_LOST/i;
const OOM = /out of memory|OutOfMemory|\bOOM\b|allocation failed|failed to allocate|Cannot allocate|Array buffer allocation/i;

/** A fault this module can recover from, or null for any other error (which ends the run as before). */
export function classifyFault(e: unknown): Fault | null {
  if (e instanceof FaultError) return e.fault;
  const detail = e instanceof Error ? e.message : String(e);
  const simulated = detail.startsWith(SIMULATED);
  if (LOST.test(detail)) return { kind: 'device-lost', detail, simulated };
  if (OOM.test(detail)) return { kind: 'oom', detail, simulated };
  return null;
}

const LABEL: Record<BackendName, string> = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WebAssembly', cpu: 'CPU' };

/** What broke, in words: "WebGPU device lost", "WebGL ran out of memory". */
export function faultTitle(fault: Fault, backend: BackendName): string {
  const what = fault.kind === 'oom' ? `${LABEL[backend]} ran out of memory` : `${LABEL[backend]} device lost`;
  return fault.simulated ? `${what} (simulated)` : what;
}

/** The page's sentence: "WebGPU device lost: switched to webgl, resumed from checkpoint stage-1 @ step 10." */
export function faultMessage(fault: Fault, from: BackendName, to: BackendName, resumedFrom: string): string {
  return `${faultTitle(fault, from)}: switched to ${to}, resumed from ${resumedFrom}.`;
}

/**
 * Calls `onLost` when the WebGPU device behind tfjs is lost (driver reset, GPU process crash, too much
 * memory). Not for a device we destroyed ourselves. No-op on other backends.
 */
export function watchDeviceLost(onLost: (detail: string) => void): void {
  if (tf.getBackend() !== 'webgpu') return;
  const device = (tf.backend() as { device?: GPUDevice }).device;
  void device?.lost.then((info) => {
    if (info.reason !== 'destroyed') onLost(info.message || 'the GPU device was lost');
  });
}

/**
 * For `simulate-fault`: destroys the WebGPU device behind tfjs, so the GPU work of the step in flight stops
 * (its reads reject) as it would on a real loss, instead of running on beside the next backend. No-op elsewhere.
 */
export function destroyWebGpuDevice(): void {
  if (tf.getBackend() !== 'webgpu') return;
  (tf.backend() as { device?: GPUDevice }).device?.destroy();
}
