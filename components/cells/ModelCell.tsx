'use client';
/** Cell "Model & device": which tfjs backend runs (and why), the model's loading progress, size and memory. */
import type { MouseEvent } from 'react';
import type { BackendName } from '@/lib/a3/backend';
import { MODEL_LABEL } from '@/lib/store/studio-store';
import type { ModelKind } from '@/lib/worker/protocol';
import { ActiveWeights, RestoreFineTuneOffer } from '../notebook/ActiveWeights';
import { Cell, ProgressBar } from '../notebook/Cell';
import { formatBytes, formatCount } from '../notebook/format';
import { useStudio } from '../notebook/StudioProvider';

const BACKENDS: readonly (BackendName | 'auto')[] = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'];
const KINDS: readonly ModelKind[] = ['a3', 'base', 'mdlm'];

/** The current URL with `?backend=` set (other parameters kept). */
function backendHref(search: string, b: BackendName | 'auto'): string {
  const q = new URLSearchParams(search);
  if (b === 'auto') q.delete('backend');
  else q.set('backend', b);
  const s = q.toString();
  return s ? `?${s}` : '?';
}

export function ModelCell({ index }: { index: number }) {
  const backend = useStudio((s) => s.backend);
  const slot = useStudio((s) => s.models.a3);
  const shipped = useStudio((s) => s.shipped);
  const memory = useStudio((s) => s.memory);
  const loadA3 = useStudio((s) => s.loadA3);
  const info = slot.info;
  const state = backend.status === 'error' ? 'error' : slot.status === 'loaded' ? 'ready' : slot.status === 'missing' || slot.status === 'error' ? 'error' : 'loading';

  // Switching reloads the page: tfjs backends hold GPU contexts, and a clean start is the honest way to compare them.
  const onSwitch = (e: MouseEvent<HTMLAnchorElement>, b: BackendName | 'auto') => {
    e.preventDefault();
    window.location.assign(`${window.location.pathname}${backendHref(window.location.search, b)}`);
  };

  return (
    <Cell
      index={index}
      id="model"
      title="Model & device"
      state={state}
      explain={
        <p>
          Everything runs in your browser. A background thread (a Web Worker) picks the fastest way this machine can do the
          maths — the GPU through <b>WebGPU</b> or <b>WebGL</b>, or the CPU through <b>WebAssembly</b> — and loads the
          model&apos;s weights, so the page stays responsive while it computes.
        </p>
      }
    >
      <dl className="facts">
        <dt>Backend</dt>
        <dd>
          <span className={`badge badge-${backend.status}`} data-testid="backend">
            {backend.name ?? (backend.status === 'error' ? 'none' : 'probing…')}
          </span>
          <span className="muted"> requested: {backend.requested}</span>
        </dd>
        <dt>Model</dt>
        <dd data-testid="model-status" data-status={slot.status} data-source={slot.source ?? ''}>
          {slot.status === 'loading' || slot.status === 'idle' ? (
            <>
              <span>
                loading {slot.source ?? 'weights'}… {slot.loadedBytes > 0 ? formatBytes(slot.loadedBytes) : ''}
                {slot.totalBytes ? ` of ${formatBytes(slot.totalBytes)}` : ''}
              </span>
              <ProgressBar value={slot.loadedBytes} max={slot.totalBytes} label="model download" />
            </>
          ) : slot.status === 'loaded' && info ? (
            <span>
              <b>{slot.source === 'a3' ? MODEL_LABEL.a3 : slot.source === 'base' ? 'base model standing in for A3' : `${slot.source} weights`}</b>
              {' · '}
              <span data-testid="model-params">{formatCount(info.parameters)} parameters</span>
              {' · '}
              {formatBytes(info.bytes)} of float32 · <ActiveWeights />
            </span>
          ) : (
            <span className="warn">
              {slot.status === 'missing' ? 'no model is shipped yet' : 'the model failed to load'}
              {slot.status === 'error' && backend.status === 'ready' ? (
                <>
                  {' '}
                  <button type="button" onClick={() => void loadA3()} data-testid="model-reload">
                    Load again
                  </button>
                </>
              ) : null}
            </span>
          )}
          {slot.note ? <p className="note" data-testid="model-note">{slot.note}</p> : null}
          <RestoreFineTuneOffer />
        </dd>
      </dl>
      {/* The detail is for the curious (and for bug reports): collapsed, so the playground comes first. */}
      <details className="device-details" data-testid="backend-details">
        <summary>Device details: why this backend, switch, shape, memory</summary>
        <dl className="facts">
          <dt>Why</dt>
          <dd data-testid="backend-reason">{backend.reason ?? 'checking WebGPU, WebGL, WebAssembly…'}</dd>
          <dt>Switch</dt>
          <dd>
            <nav className="switcher" aria-label="Force a backend (reloads the page)">
              {BACKENDS.map((b) => (
                <a key={b} href={backendHref('', b)} onClick={(e) => onSwitch(e, b)} aria-current={backend.requested === b ? 'true' : undefined}>
                  {b}
                </a>
              ))}
            </nav>
          </dd>
          {info ? (
            <>
              <dt>Shape</dt>
              <dd>
                {info.config.nLayers} layers · width {info.config.dModel} · {info.config.nHeads} heads · vocabulary {info.vocabSize} · context {info.config.maxLen} tokens
              </dd>
            </>
          ) : null}
          <dt>Shipped</dt>
          <dd className="shipped">
            {KINDS.map((k) => (
              <span key={k} className={`chip ${shipped[k] ? 'chip-ok' : shipped[k] === false ? 'chip-missing' : ''}`} data-testid={`shipped-${k}`}>
                {MODEL_LABEL[k]}: {shipped[k] == null ? '…' : shipped[k] ? 'shipped' : 'not shipped yet'}
              </span>
            ))}
          </dd>
          <dt>Memory</dt>
          <dd data-testid="memory">{memory ? `${memory.numTensors} tensors · ${formatBytes(memory.numBytes)}` : '—'}</dd>
        </dl>
      </details>
    </Cell>
  );
}
