'use client';
/** Whether the diffusion baseline's own model (MDLM) is shipped, loaded, loading or broken. */
import { useStudio } from '../../notebook/StudioProvider';

export function MdlmStatus() {
  const { shipped, status, note } = useStudio((s) => ({ shipped: s.shipped.mdlm, status: s.models.mdlm.status, note: s.models.mdlm.note }));
  const text =
    shipped === false || status === 'missing'
      ? 'MDLM weights are not shipped (public/weights/mdlm): the baseline cannot run.'
      : status === 'loaded'
        ? 'MDLM model loaded.'
        : status === 'loading'
          ? 'loading the MDLM model…'
          : status === 'error'
            ? `MDLM model failed to load: ${note ?? ''}`
            : 'The MDLM model is loaded on the first run.';
  return (
    <span className="muted small" data-testid="mdlm-status" data-status={status}>
      {text}
    </span>
  );
}
