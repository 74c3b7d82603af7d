'use client';
/**
 * Cell "Fine-tune": train the loaded model further on a text, in the browser, with a curriculum
 * stage, the full A3 curriculum or a custom plan; watch the loss; keep checkpoints in IndexedDB;
 * export and import the weights. Composition only: the parts live in ./finetune/.
 */
import { useMemo, useRef, useState } from 'react';
import type { Upload } from '@/lib/notebook/files';
import { sampleText } from '@/lib/notebook/sample';
import { ActiveWeights } from '../notebook/ActiveWeights';
import { Cell, CellErrors } from '../notebook/Cell';
import { FieldChecks, hasInvalidField, useFieldChecks } from '../notebook/controls';
import { useStudio, useStudioActions } from '../notebook/StudioProvider';
import { Checkpoints } from './finetune/Checkpoints';
import { ExportImport } from './finetune/ExportImport';
import { DEFAULT_PLAN_SETTINGS, PlanEditor, planOf, type PlanSettings } from './finetune/PlanEditor';
import { RunControls, TrainingProgress } from './finetune/RunControls';
import { TextSource, type SourceChoice } from './finetune/TextSource';
import { WorkersKnob, useCores, workersFor } from './finetune/Workers';

export function FineTuneCell({ index }: { index: number }) {
  const state = useStudio((s) => s.training.state);
  const modelReady = useStudio((s) => s.models.a3.status === 'loaded');
  const backend = useStudio((s) => s.backend.name);
  const cores = useCores();
  const [chosenWorkers, setChosenWorkers] = useState<number | null>(null);
  const workers = workersFor(backend, cores, chosenWorkers);
  const a = useStudioActions();
  const checks = useFieldChecks();
  const form = useRef<HTMLDivElement>(null);
  const sample = useRef(sampleText());
  const [source, setSource] = useState<SourceChoice>('sample');
  const [upload, setUpload] = useState<Upload | null>(null);
  const [uploadError, setUploadError] = useState<string | null>(null);
  const [settings, setSettings] = useState<PlanSettings>(DEFAULT_PLAN_SETTINGS);
  // The cell's errors appear next to the control the user last used (a run's own errors: next to Start).
  const [errorSpot, setErrorSpot] = useState<'run' | 'files' | 'checkpoints'>('run');
  const errorsAt = (spot: typeof errorSpot) => (errorSpot === spot ? <CellErrors cell="finetune" /> : null);
  const plan = useMemo(() => planOf(settings), [settings]);
  const idle = state === 'idle';

  // A refused upload blocks Start until the user picks a text: it must not quietly train on the built-in one instead.
  const startBlocked = !modelReady
    ? 'the model is not loaded yet'
    : uploadError
      ? 'your upload was refused: choose another file, or the built-in text'
      : typeof plan === 'string'
        ? plan
        : checks.invalid.size > 0
          ? 'a field above has an invalid value'
          : null;

  const start = async () => {
    setErrorSpot('run');
    if (startBlocked || typeof plan === 'string' || hasInvalidField(form.current)) return;
    let text: string;
    if (source === 'upload') {
      if (!upload) return a.pushError('finetune', 'choose a .txt file first, or use the built-in sample');
      text = upload.text;
    } else {
      try {
        text = await sample.current.get();
      } catch (e) {
        return a.pushError('finetune', e instanceof Error ? e.message : String(e));
      }
    }
    await a.startTraining({ text, plan, batch: settings.batch, seed: settings.seed, workers });
  };

  return (
    <Cell
      index={index}
      id="finetune"
      title="Fine-tune in the browser"
      state={state}
      errorsOnTop={false}
      explain={
        <p>
          Training nudges every weight a little to make the text more likely: each <b>step</b> takes a few random windows of the text, measures the <b>loss</b>{' '}
          (how surprised the model is, lower is better), and moves the weights downhill. The A3 curriculum teaches the query stream in stages: first one token
          at a time left to right, then contiguous blocks, then random subsets. The <b>validation loss</b> is measured on the last tenth of the text (at least one training window), which is
          never trained on: if it rises while the training loss falls, the model is memorising.
        </p>
      }
    >
      <div ref={form}>
        <fieldset disabled={!idle}>
          <TextSource
            source={source}
            upload={upload}
            uploadError={uploadError}
            onSource={(s) => {
              setSource(s);
              if (s === 'sample') setUploadError(null); // an explicit choice of the built-in text
            }}
            onUpload={(r) => {
              if ('error' in r) {
                // The user meant their own text: keep that choice (so picking the built-in one is a deliberate click).
                setUpload(null);
                setUploadError(r.error);
                setSource('upload');
              } else {
                setUpload(r.upload);
                setUploadError(null);
                setSource('upload');
              }
            }}
          />
        </fieldset>
        <fieldset disabled={!idle}>
          <legend>Plan</legend>
          <FieldChecks checks={checks}>
            <PlanEditor settings={settings} onChange={(p) => setSettings((s) => ({ ...s, ...p }))} problem={typeof plan === 'string' ? plan : null} />
            <WorkersKnob backend={backend} cores={cores} value={workers} onCommit={setChosenWorkers} />
          </FieldChecks>
        </fieldset>
      </div>
      <ActiveWeights />
      <RunControls onStart={() => void start()} startBlocked={startBlocked} />
      {errorsAt('run')}
      <TrainingProgress />
      <Checkpoints onAct={() => setErrorSpot('checkpoints')} errors={errorsAt('checkpoints')} workers={workers} />
      <ExportImport onAct={() => setErrorSpot('files')} errors={errorsAt('files')} />
    </Cell>
  );
}
