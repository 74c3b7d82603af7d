/**
 * Picks and initialises the tfjs backend, and says why it picked it.
 *
 * Pure TS + tfjs: no React, no DOM imports at module top, so the same call works in Node (scripts,
 * tests), a Web Worker and the page. Everything browser-specific (navigator.gpu, OffscreenCanvas) is
 * touched only inside functions and only after a feature check.
 *
 * Order (see ../../../shared/ENVIRONMENT.md for the measurements behind it):
 * - browser, 'auto': webgpu on real hardware -> webgl on a hardware renderer -> wasm -> cpu. A software
 *   GPU (SwiftShader: `isFallbackAdapter`, architecture 'swiftshader', or a SwiftShader/llvmpipe WebGL
 *   renderer) is skipped in favour of wasm, which is ~60x faster than webgpu on SwiftShader.
 * - browser, a named backend: that one even on a software GPU (tests force webgpu this way); if it fails,
 *   the rest of the browser order is tried and the failure is recorded in `reason`.
 * - Node: wasm (single-threaded SIMD) or cpu; a GPU name falls through to wasm with the reason recorded.
 *
 * Longer than most: the choice order above and the probes it depends on (webgpu adapter, webgl renderer,
 * timeouts, the reason string) are one decision, kept in one file so the order can be read against its checks.
 */
import * as tf from '@tensorflow/tfjs';
// Side-effect imports: each registers its backend factory with tfjs's engine.
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { BACKEND_NAMES, isBackendName, type BackendName } from './backend-names';
import { registerWasmKernels } from './ops';

export { BACKEND_NAMES, isBackendName, parseBackendParam, type BackendName } from './backend-names';

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  isFallback: boolean;
}

export interface BackendChoice {
  name: BackendName;
  /** Human-readable: what was probed or tried, what failed and why, and why this one won. */
  reason: string;
  /** The WebGPU adapter, whenever one was probed (also when it was skipped as software). */
  adapter?: AdapterSummary;
}

export interface InitBackendOptions {
  /**
   * Where the browser fetches the wasm binaries (a URL prefix ending in '/'). The app serves copies
   * from public/tfjs-wasm/ (scripts/copy-wasm.mjs); the e2e harness serves the same path. Ignored in Node,
   * where tfjs reads them from node_modules.
   */
  wasmPath?: string;
  /** Give up on one backend after this long (a wasm fetch that never answers must not hang the page). */
  timeoutMs?: number;
  /** Never try these (a backend whose device was lost or ran out of memory during this session). */
  exclude?: readonly BackendName[];
}

export const DEFAULT_WASM_PATH = '/tfjs-wasm/';

/** `process.versions.node` exists in Node (also under vitest), never in a browser bundle or worker. */
function inNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/**
 * In Node (scripts, tests) tfjs greets the first tensor on its cpu backend with a banner asking to install
 * tfjs-node, which cannot install here (ENVIRONMENT.md). This turns off tfjs's own console notes for the
 * process: the PROD flag only silences tfjs's warn/log calls; errors still throw. No-op in a browser.
 * Called by initBackend, the tests' useCpu and the scripts' useNodeBackend.
 */
export function quietTfjsInNode(): void {
  if (inNode()) tf.env().set('PROD', true);
}

// Calls are serialised: two cells (or a cell and a worker start-up) racing tf.setBackend would leave
// the engine on whichever finished last while each reports its own choice.
let queue: Promise<unknown> = Promise.resolve();

export function initBackend(prefer: BackendName | 'auto' = 'auto', options: InitBackendOptions = {}): Promise<BackendChoice> {
  if (prefer !== 'auto' && !isBackendName(prefer)) {
    // Thrown synchronously-as-rejection with the valid names: a typo in `?backend=` or a CLI flag
    // should say what would have worked, not silently pick something else.
    return Promise.reject(
      new Error(`initBackend: unknown backend "${String(prefer)}"; expected one of ${['auto', ...BACKEND_NAMES].join(', ')}`),
    );
  }
  const run = queue.then(() => choose(prefer, options));
  queue = run.catch(() => undefined);
  return run;
}

async function choose(prefer: BackendName | 'auto', options: InitBackendOptions): Promise<BackendChoice> {
  const notes: string[] = [];
  const timeoutMs = options.timeoutMs ?? 30_000;
  const allowed = (name: BackendName) => !options.exclude?.includes(name);

  if (inNode()) {
    quietTfjsInNode();
    const order: BackendName[] = prefer === 'cpu' ? ['cpu', 'wasm'] : ['wasm', 'cpu'];
    if (prefer === 'webgpu' || prefer === 'webgl') notes.push(`${prefer}: not available in Node`);
    for (const name of order.filter(allowed)) {
      const err = await tryBackend(name, options, timeoutMs);
      if (err === null) return { name, reason: joinReason(notes, chosenNote(name, prefer, true)) };
      notes.push(`${name}: ${err}`);
    }
    throw new Error(`initBackend: no backend worked (${notes.join('; ')})`);
  }

  let adapter: AdapterSummary | undefined;
  const order: BackendName[] = [];
  // The renderer decides how webgl is labelled: "[GPU]" only on a hardware one.
  let gl: Probe | undefined;
  if (prefer === 'auto') {
    const probe = await probeWebGpu();
    adapter = probe.adapter;
    if (probe.usable) order.push('webgpu');
    else notes.push(`webgpu: ${probe.why}`);
    gl = probeWebGl();
    if (gl.usable) order.push('webgl');
    else notes.push(`webgl: ${gl.why}`);
    order.push('wasm', 'cpu');
  } else {
    order.push(prefer, ...BACKEND_NAMES.filter((n) => n !== prefer));
    if (prefer === 'webgpu') adapter = (await probeWebGpu()).adapter;
  }

  for (const name of order.filter(allowed)) {
    if (name === 'webgl') gl ??= probeWebGl();
    const err = await tryBackend(name, options, timeoutMs);
    if (err === null) {
      return { name, reason: joinReason(notes, chosenNote(name, prefer, false, adapter, gl)), ...(adapter ? { adapter } : {}) };
    }
    notes.push(`${name}: ${err}`);
  }
  throw new Error(`initBackend: no backend worked (${notes.join('; ')})`);
}

function joinReason(notes: string[], chosen: string): string {
  return notes.length ? `${chosen} (${notes.join('; ')})` : chosen;
}

function chosenNote(name: BackendName, prefer: BackendName | 'auto', node: boolean, adapter?: AdapterSummary, gl?: Probe): string {
  const asked = prefer === name ? 'requested' : prefer === 'auto' ? 'auto' : `fallback from ${prefer}`;
  const detail =
    name === 'wasm'
      ? `single-threaded${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? ' SIMD' : ''}`
      : name === 'webgpu' && adapter
        ? `${adapter.vendor || 'unknown vendor'}/${adapter.architecture || 'unknown'}${adapter.isFallback ? ', software adapter: slow' : ''}`
        : name === 'cpu'
          ? 'plain JS'
          : node
            ? ''
            : gl?.software
              ? `software renderer ${gl.renderer ?? 'unknown'}: slow`
              : 'GPU';
  return `${name}${detail ? ` [${detail}]` : ''}: ${asked}`;
}

/** Sets `name` as the engine's backend and checks it computes; returns null on success or why not. */
async function tryBackend(name: BackendName, options: InitBackendOptions, timeoutMs: number): Promise<string | null> {
  if (tf.findBackendFactory(name) === null && tf.findBackend(name) === null) return 'not registered in this build';
  try {
    if (name === 'wasm') {
      // The threaded build's inline worker breaks under Next/Turbopack minification ("r is not
      // defined") and needs cross-origin isolation; threads add nothing on 2 cores. Must be set before
      // the backend's factory runs.
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      if (!inNode()) setWasmPaths(options.wasmPath ?? DEFAULT_WASM_PATH);
      registerWasmKernels(); // UnsortedSegmentSum, which the embedding gradient needs on wasm
    }
    const ok = await withTimeout(tf.setBackend(name), timeoutMs, `timed out after ${timeoutMs} ms`);
    if (!ok) return 'initialisation failed';
    await withTimeout(tf.ready(), timeoutMs, `not ready after ${timeoutMs} ms`);
    if (tf.getBackend() !== name) return `engine ended on ${tf.getBackend()}`;
    if (name === 'cpu' && inNode()) {
      // The cpu backend prints an "install tfjs-node" banner on its first write in Node; tfjs-node
      // cannot install here, so the advice is noise. The banner's only switch short of PROD (which
      // would silence every tfjs warning) is the backend's own `firstUse` field.
      (tf.backend() as { firstUse?: boolean }).firstUse = false;
    }
    // A backend can initialise and still fail on first use (lost WebGL context, a broken adapter):
    // one tiny op with a read-back proves it works. data() rather than dataSync(): webgpu warns on sync reads.
    const t = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)));
    const v = await withTimeout(t.data(), timeoutMs, 'first op timed out');
    t.dispose();
    if (v[0] !== 3) return `first op returned ${v[0]}`;
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

interface Probe {
  usable: boolean;
  why: string;
  /** A CPU rasteriser (SwiftShader, llvmpipe) stands behind the API; `renderer` names it. */
  software?: boolean;
  renderer?: string;
  adapter?: AdapterSummary;
}

/** Asks for a WebGPU adapter without creating a device; a software (fallback) adapter is not usable for 'auto'. */
async function probeWebGpu(): Promise<Probe> {
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) return { usable: false, why: 'navigator.gpu missing' };
  let a: GPUAdapter | null;
  try {
    a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { usable: false, why: `requestAdapter threw: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!a) return { usable: false, why: 'no adapter' };
  // `info` is Chrome ≥ 114; `isFallbackAdapter` moved from the adapter onto `info` later, so read both.
  const info = (a as { info?: Partial<GPUAdapterInfo> }).info;
  const legacyFallback = (a as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const adapter: AdapterSummary = {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    isFallback: info?.isFallbackAdapter === true || legacyFallback === true,
  };
  const software = adapter.isFallback || /swiftshader/i.test(adapter.architecture) || /swiftshader/i.test(info?.description ?? '');
  if (software) {
    return {
      usable: false,
      adapter,
      why: `software adapter ${adapter.vendor}/${adapter.architecture}${adapter.isFallback ? ' (isFallbackAdapter)' : ''}, wasm is faster`,
    };
  }
  return { usable: true, adapter, why: 'hardware adapter' };
}

/** Reads the WebGL2 renderer string; SwiftShader/llvmpipe are CPU rasterisers, slower than wasm. */
function probeWebGl(): Probe {
  const g = globalThis as { OffscreenCanvas?: typeof OffscreenCanvas; document?: Document };
  let gl: WebGL2RenderingContext | null = null;
  try {
    // OffscreenCanvas works in a Worker and the page; document only as a fallback for old browsers.
    if (g.OffscreenCanvas) gl = new g.OffscreenCanvas(1, 1).getContext('webgl2');
    else if (g.document) gl = g.document.createElement('canvas').getContext('webgl2');
  } catch {
    gl = null;
  }
  if (!gl) return { usable: false, why: 'no WebGL2 context' };
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
  gl.getExtension('WEBGL_lose_context')?.loseContext(); // free the probe's context; tfjs makes its own
  const software = /swiftshader|llvmpipe|softpipe|software/i.exec(renderer);
  if (software) {
    return { usable: false, software: true, renderer: software[0], why: `software renderer (${renderer}), wasm is faster` };
  }
  return { usable: true, why: `renderer ${renderer}` };
}
