/**
 * The tfjs backends by name, and the `?backend=` parameter, tf-free so the page reads them without loading
 * tfjs (backend.ts, which picks and starts one, re-exports them).
 */
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Fastest first: the auto choice and the fallback after a fault go down this list. */
export const BACKEND_NAMES: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export function isBackendName(x: unknown): x is BackendName {
  return typeof x === 'string' && (BACKEND_NAMES as readonly string[]).includes(x);
}

/** Parses a `?backend=` value; null for absent or unknown values (the caller then uses 'auto'). */
export function parseBackendParam(value: string | null | undefined): BackendName | 'auto' | null {
  if (value == null || value === '') return null;
  const v = value.trim().toLowerCase();
  return v === 'auto' || isBackendName(v) ? v : null;
}
