'use client';
/**
 * Whether a baseline's own model — MDLM for diffusion, the base model for AR — is shipped, loaded, loading
 * or broken. These models load on the first run that needs them, so the playground is ready without them.
 */
import { MODEL_SHORT } from '@/lib/store/studio-store';
import type { ModelKind } from '@/lib/worker/protocol';
import { useStudio } from '../../notebook/StudioProvider';

export function LazyModelStatus({ kind }: { kind: Exclude<ModelKind, 'a3'> }) {
  const { shipped, status, note } = useStudio((s) => ({ shipped: s.shipped[kind], status: s.models[kind].status, note: s.models[kind].note }));
  const name = MODEL_SHORT[kind];
  const text =
    shipped === false || status === 'missing'
      ? `${name} weights are not shipped (public/weights/${kind}): this decoder cannot run.`
      : status === 'loaded'
        ? `${name} model loaded.`
        : status === 'loading'
          ? `loading the ${name} model…`
          : status === 'error'
            ? `${name} model failed to load: ${note ?? ''}`
            : `The ${name} model is loaded on the first run.`;
  return (
    <span className="muted small" data-testid={`${kind}-status`} data-status={status}>
      {text}
    </span>
  );
}
