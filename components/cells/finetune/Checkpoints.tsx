'use client';
/** The checkpoints saved in this browser (IndexedDB): restore one into the A3 slot, or delete it. */
import type { ReactNode } from 'react';
import { useStudio, useStudioActions } from '../../notebook/StudioProvider';

export interface CheckpointsProps {
  /** Called before a restore or delete (the cell then shows its errors here). */
  onAct?: () => void;
  errors?: ReactNode;
}

export function Checkpoints({ onAct, errors }: CheckpointsProps) {
  const checkpoints = useStudio((s) => s.training.checkpoints);
  const idle = useStudio((s) => s.training.state === 'idle');
  const a = useStudioActions();
  return (
    <>
      <h3>Checkpoints</h3>
      <p className="muted small">Saved in this browser (IndexedDB) every 10 steps and at the end of each stage; they survive a reload.</p>
      {errors}
      {checkpoints.length === 0 ? (
        <p className="muted" data-testid="checkpoint-empty">
          No checkpoints yet.
        </p>
      ) : (
        <ul className="checkpoints" data-testid="checkpoint-list">
          {checkpoints.map((c) => (
            <li key={c.key} data-key={c.key}>
              <span>
                <b>{c.label}</b> <span className="muted">· {new Date(c.savedAt).toLocaleString()}</span>
              </span>
              <span>
                <button type="button" onClick={() => {
                    onAct?.();
                    void a.restoreCheckpoint(c.key);
                  }} disabled={!idle}>
                  Restore
                </button>
                <button type="button" className="link" onClick={() => {
                    onAct?.();
                    void a.deleteCheckpoint(c.key);
                  }}>
                  Delete
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
