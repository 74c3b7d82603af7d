'use client';
/**
 * Which weights a model slot holds ("shipped a3 weights", "fine-tuned run 3f2a at step 40", "imported
 * model.safetensors"), from the one place the store keeps it (models[kind].weights, set by the worker), and
 * after a reload the offer to restore the last fine-tune. Every cell that uses a model shows the first.
 */
import { lastFineTuneOffer, weightsLabel } from '@/lib/store/slices/models';
import type { ModelKind } from '@/lib/worker/protocol';
import { useStudio, useStudioActions } from './StudioProvider';

export function ActiveWeights({ kind = 'a3' }: { kind?: ModelKind }) {
  const weights = useStudio((s) => s.models[kind].weights);
  if (!weights) return null;
  return (
    <span className="muted small active-weights" data-testid={`active-weights-${kind}`} data-kind={weights.kind}>
      weights: {weightsLabel(weights)}
    </span>
  );
}

export function RestoreFineTuneOffer() {
  const offer = useStudio(lastFineTuneOffer);
  const idle = useStudio((s) => s.training.state === 'idle');
  const a = useStudioActions();
  if (!offer) return null;
  return (
    <p className="note" data-testid="restore-last-fine-tune">
      Before the reload this page used your fine-tune ({offer.label}); it is back on the shipped weights now.{' '}
      <button type="button" onClick={() => void a.restoreCheckpoint(offer.key)} disabled={!idle} data-testid="restore-last-fine-tune-button">
        Restore it
      </button>
    </p>
  );
}
