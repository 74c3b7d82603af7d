'use client';
/**
 * Start / pause / one step / resume / stop for a fine-tune, its state, the simulated faults (`?faults=1`), and its
 * progress: stage, step, loss, speed, loss chart; "recovering on X from step N" during a fault fallback, and the
 * warning of a run that diverged.
 */
import { LossChart } from '@/components/views';
import { formatDuration } from '@/lib/store/training';
import { useStudio, useStudioActions } from '../../notebook/StudioProvider';

export interface RunControlsProps {
  /** Start is offered (idle) but may be refused: then `startBlocked` says why (shown next to it). */
  onStart: () => void;
  startBlocked: string | null;
}

export function RunControls({ onStart, startBlocked }: RunControlsProps) {
  const state = useStudio((s) => s.training.state);
  const faultsEnabled = useStudio((s) => s.faultsEnabled);
  const workers = useStudio((s) => s.training.workers ?? 1);
  const a = useStudioActions();
  const idle = state === 'idle';
  return (
    <div className="row wrap controls">
      {idle ? (
        <button type="button" className="primary" onClick={onStart} disabled={startBlocked !== null} title={startBlocked ?? undefined} data-testid="ft-start">
          Start
        </button>
      ) : null}
      {idle && startBlocked ? (
        <span className="muted small" data-testid="ft-start-blocked">
          {startBlocked}
        </span>
      ) : null}
      {state === 'running' ? (
        <button type="button" onClick={a.pauseTraining} data-testid="ft-pause">
          Pause
        </button>
      ) : null}
      {state === 'paused' ? (
        <>
          <button type="button" className="primary" onClick={a.resumeTraining} data-testid="ft-resume">
            Resume
          </button>
          <button type="button" onClick={a.stepTraining} data-testid="ft-step">
            One step
          </button>
        </>
      ) : null}
      {!idle ? (
        <button type="button" onClick={a.stopTraining} data-testid="ft-stop">
          Stop
        </button>
      ) : null}
      <span className={`badge badge-${state}`} data-testid="ft-state">
        {state}
      </span>
      {faultsEnabled && !idle ? (
        <span className="row" data-testid="ft-faults">
          <button type="button" className="link" onClick={() => a.simulateFault('device-lost')} data-testid="ft-fault-lost">
            simulate device lost
          </button>
          <button type="button" className="link" onClick={() => a.simulateFault('oom')} data-testid="ft-fault-oom">
            simulate out of memory
          </button>
          {workers > 1 ? (
            <button type="button" className="link" onClick={a.crashTrainingWorker} data-testid="ft-fault-worker">
              simulate a training worker crash
            </button>
          ) : null}
        </span>
      ) : null}
    </div>
  );
}

export function TrainingProgress() {
  const training = useStudio((s) => s.training);
  const last = training.train[training.train.length - 1];
  const lastVal = training.val[training.val.length - 1];
  const recovering = training.recovering;
  return (
    <>
      {recovering ? (
        <p className="note warn" role="status" data-testid="ft-recovering">
          recovering on {recovering.backend} from step {recovering.step}…
        </p>
      ) : null}
      {training.warning ? (
        <p className="note warn" role="alert" data-testid="ft-warning">
          Training stopped: {training.warning} The model is back on its last good weights.
        </p>
      ) : null}
      {training.fault ? (
        <p className="note warn" role="status" data-testid="ft-fault">
          {training.fault}
        </p>
      ) : null}
      <dl
        className="facts compact"
        data-testid="ft-stats"
        data-step={training.step}
        data-points={training.train.length}
        data-first-loss={training.train[0]?.loss}
        data-last-loss={last?.loss}
        data-val-points={training.val.length}
        data-workers={training.workers ?? undefined}
        data-tokens-per-sec={training.tokensPerSec ?? undefined}
      >
        <dt>Stage</dt>
        <dd>{training.stage ?? '—'}</dd>
        <dt>Step</dt>
        <dd data-testid="ft-step-count">
          {/* During a fault fallback the last step shown is stale: say where the run goes on from instead. */}
          {recovering ? `recovering on ${recovering.backend} from step ${recovering.step}` : `${training.step} / ${training.totalSteps || '—'}`}
        </dd>
        <dt>Loss</dt>
        <dd data-testid="ft-loss">
          {training.lastLoss?.toFixed(3) ?? '—'}
          {lastVal ? ` · validation ${lastVal.loss.toFixed(3)}` : ''}
        </dd>
        <dt>Speed</dt>
        <dd>
          {training.tokensPerSec ? `${Math.round(training.tokensPerSec)} tokens/s` : '—'}
          {training.workers ? ` on ${training.workers} worker${training.workers === 1 ? '' : 's'}` : ''} · ETA {training.state === 'idle' || recovering ? '—' : formatDuration(training.etaSec)}
          {training.ended ? ` · last run ${training.ended}` : ''}
        </dd>
      </dl>
      {training.skipped.length ? (
        <p className="note">
          {training.skipped.length} step(s) skipped: {training.skipped[training.skipped.length - 1]}
        </p>
      ) : null}
      <LossChart data={{ train: training.train, val: training.val, stages: training.stages }} logToggle height={260} />
    </>
  );
}
