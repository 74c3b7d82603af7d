'use client';
/**
 * The checkpoints saved in this browser (IndexedDB), by run: each one's stage, step, loss and time; restore one
 * into the A3 slot, resume an unfinished run from its latest checkpoint (its loss chart comes back), delete one
 * checkpoint or a whole run. Deleting asks for a second click: nothing is removed by a slip.
 */
import { useState, type ReactNode } from 'react';
import { CHECKPOINT_EVERY, resumableRuns, shortRun, type CheckpointMeta } from '@/lib/train/storage';
import { useStudio, useStudioActions } from '../../notebook/StudioProvider';

export interface CheckpointsProps {
  /** Web Workers a resumed run uses (the Fine-tune cell's choice). */
  workers?: number;
  /** Called before a restore, resume or delete (the cell then shows its errors here). */
  onAct?: () => void;
  errors?: ReactNode;
}

const lossText = (loss: number | null) => (loss === null ? '—' : loss.toFixed(3));

/** The runs in the order of their newest checkpoint (the list comes newest first). */
function byRun(list: readonly CheckpointMeta[]): [string, CheckpointMeta[]][] {
  const runs = new Map<string, CheckpointMeta[]>();
  for (const c of list) runs.set(c.runId, [...(runs.get(c.runId) ?? []), c]);
  return [...runs];
}

/** A delete button that asks once more before it acts. */
function ConfirmDelete({ what, testId, onConfirm }: { what: string; testId: string; onConfirm: () => void }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" className="link" onClick={() => setAsking(true)} data-testid={testId}>
        Delete{what ? ` ${what}` : ''}
      </button>
    );
  }
  return (
    <span className="confirm">
      <button
        type="button"
        className="danger"
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
        data-testid={`${testId}-confirm`}
      >
        Really delete{what ? ` ${what}` : ''}?
      </button>
      <button type="button" className="link" onClick={() => setAsking(false)}>
        Keep
      </button>
    </span>
  );
}

export function Checkpoints({ onAct, errors, workers }: CheckpointsProps) {
  const checkpoints = useStudio((s) => s.training.checkpoints);
  const idle = useStudio((s) => s.training.state === 'idle');
  const a = useStudioActions();
  const resumable = new Map(resumableRuns(checkpoints).map((c) => [c.runId, c]));
  const act = (f: () => Promise<void>) => {
    onAct?.();
    void f();
  };
  return (
    <>
      <h3>Checkpoints</h3>
      <p className="muted small">
        Saved in this browser (IndexedDB) every {CHECKPOINT_EVERY} steps and at the end of each stage, one list per run; they survive a reload. A new run never replaces
        another run&apos;s checkpoints, and a run that diverges saves nothing.
      </p>
      {errors}
      {checkpoints.length === 0 ? (
        <p className="muted" data-testid="checkpoint-empty">
          No checkpoints yet.
        </p>
      ) : (
        <div data-testid="checkpoint-list">
          {byRun(checkpoints).map(([runId, list]) => {
            const resume = resumable.get(runId);
            return (
              <section key={runId} className="checkpoint-run" data-run={runId} data-testid="checkpoint-run">
                <div className="row wrap">
                  <b>run {shortRun(runId)}</b>
                  <span className="muted small">started {new Date(list[0].runStartedAt).toLocaleString()}</span>
                  {resume ? (
                    <button type="button" className="primary" onClick={() => act(() => a.resumeRun(resume.key, workers))} disabled={!idle} data-testid="checkpoint-resume">
                      Resume run {shortRun(runId)} from step {resume.step} of {resume.stage}
                    </button>
                  ) : null}
                  <ConfirmDelete what={`run ${shortRun(runId)}`} testId="checkpoint-delete-run" onConfirm={() => act(() => a.deleteRun(runId))} />
                </div>
                <table className="checkpoints">
                  <thead>
                    <tr>
                      <th>Stage</th>
                      <th>Step</th>
                      <th>Loss</th>
                      <th>Saved</th>
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    {list.map((c) => (
                      <tr key={c.key} data-key={c.key} data-step={c.step} data-testid="checkpoint">
                        <td>{c.stage}</td>
                        <td>
                          {c.step} / {c.stageSteps}
                        </td>
                        <td>{lossText(c.loss)}</td>
                        <td className="muted">{new Date(c.savedAt).toLocaleString()}</td>
                        <td>
                          <button type="button" onClick={() => act(() => a.restoreCheckpoint(c.key))} disabled={!idle} data-testid="checkpoint-restore">
                            Restore
                          </button>
                          <ConfirmDelete what="" testId="checkpoint-delete" onConfirm={() => act(() => a.deleteCheckpoint(c.key))} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </section>
            );
          })}
        </div>
      )}
    </>
  );
}
