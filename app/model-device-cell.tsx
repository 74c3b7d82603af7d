'use client';

import { useEffect, useState } from 'react';
import type { BackendChoice, BackendName } from '@/lib/a3/backend';

type State =
  | { kind: 'probing'; requested: BackendName | 'auto' }
  | { kind: 'ready'; requested: BackendName | 'auto'; choice: BackendChoice; ms: number; tfVersion: string }
  | { kind: 'error'; requested: BackendName | 'auto'; message: string };

const OPTIONS: readonly (BackendName | 'auto')[] = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'];

/** "Model & device": picks the tfjs backend (honouring `?backend=`) and says which one runs and why. */
export function ModelDeviceCell({ index }: { index: number }) {
  const [state, setState] = useState<State>({ kind: 'probing', requested: 'auto' });

  useEffect(() => {
    let cancelled = false;
    (async () => {
      // Imported here, not at module top: tfjs must not load during server rendering, and the page
      // shell should paint before ~1 MB of tfjs is parsed.
      const [{ initBackend, parseBackendParam }, tf] = await Promise.all([
        import('@/lib/a3/backend'),
        import('@tensorflow/tfjs'),
      ]);
      const requested = parseBackendParam(new URLSearchParams(window.location.search).get('backend')) ?? 'auto';
      if (!cancelled) setState({ kind: 'probing', requested });
      const t0 = performance.now();
      try {
        const choice = await initBackend(requested);
        if (!cancelled) setState({ kind: 'ready', requested, choice, ms: performance.now() - t0, tfVersion: tf.version.tfjs });
      } catch (e) {
        if (!cancelled) setState({ kind: 'error', requested, message: e instanceof Error ? e.message : String(e) });
      }
    })();
    return () => {
      cancelled = true;
    };
  }, []);

  return (
    <section className="cell" aria-labelledby="cell-model-title" data-state={state.kind}>
      <div className="cell-gutter">[{index}]</div>
      <div className="cell-body">
        <h2 id="cell-model-title">Model &amp; device</h2>
        <dl className="facts">
          <dt>Backend</dt>
          <dd>
            <span className={`badge badge-${state.kind}`} data-testid="backend">
              {state.kind === 'ready' ? state.choice.name : state.kind === 'error' ? 'none' : 'probing…'}
            </span>
            <span className="muted"> requested: {state.requested}</span>
          </dd>
          <dt>Why</dt>
          <dd data-testid="backend-reason">
            {state.kind === 'ready' ? state.choice.reason : state.kind === 'error' ? state.message : 'checking WebGPU, WebGL, wasm…'}
          </dd>
          {state.kind === 'ready' && state.choice.adapter && (
            <>
              <dt>GPU adapter</dt>
              <dd data-testid="backend-adapter">
                {state.choice.adapter.vendor || 'unknown'} / {state.choice.adapter.architecture || 'unknown'}
                {state.choice.adapter.isFallback ? ' (software fallback)' : ''}
              </dd>
            </>
          )}
          {state.kind === 'ready' && (
            <>
              <dt>Ready in</dt>
              <dd>
                {state.ms.toFixed(0)} ms · tfjs {state.tfVersion}
              </dd>
            </>
          )}
        </dl>
        <nav className="switcher" aria-label="Force a backend">
          {OPTIONS.map((o) => (
            // Plain links reload the page: tfjs backends hold GPU contexts, and a clean start is the
            // honest way to compare them.
            <a key={o} href={o === 'auto' ? '?' : `?backend=${o}`} aria-current={state.requested === o ? 'true' : undefined}>
              {o}
            </a>
          ))}
        </nav>
        <p className="muted small">The model itself loads here once its weights are published.</p>
      </div>
    </section>
  );
}
