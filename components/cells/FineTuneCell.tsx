'use client';
/**
 * Cell "Fine-tune": train the loaded model further on a text, in the browser,
 * with a curriculum stage, the full A3 curriculum or a custom plan; watch the
 * loss; keep checkpoints in IndexedDB; export and import the weights.
 *
 * Export is **three separate downloads** rather than an archive, in Hugging
 * Face's layout: model.safetensors (float32, HF LLaMA tensor names, matrices
 * [out, in], plus query_embed), config.json (LlamaConfig + an `a3` block) and
 * tokenizer.json. Saved into one folder they are a model HF tools can read;
 * Import takes the same files back (multi-select), and still accepts the
 * shipped manifest.json + weights-*.bin. No archive code, nothing to unpack.
 */
import { useEffect, useMemo, useRef, useState, type ChangeEvent } from 'react';
import { LossChart } from '@/components/views';
import { importSelectionProblem } from '@/lib/a3/model-files';
import { readUploadText } from '@/lib/store/text-checks';
import { formatDuration } from '@/lib/store/training';
import { defaultCurriculum, validateCurriculum, type Curriculum, type Grouping, type Stage } from '@/lib/train/curriculum';
import { Cell, formatBytes } from '../notebook/Cell';
import { useStudio, useStudioActions } from '../notebook/StudioProvider';

const SAMPLE_URL = '/data/sample.txt';
const SAMPLE_LABEL = 'Jane Austen, Emma — opening chapters (100 KB, public domain)';

type PlanChoice = `stage:${number}` | 'full' | 'custom';

interface ExportLink {
  name: string;
  url: string;
  bytes: number;
}

function groupingOf(kind: Grouping['kind'], size: number): Grouping {
  return kind === 'left-to-right' ? { kind } : { kind, size: Math.max(1, size) };
}

export function FineTuneCell({ index }: { index: number }) {
  const training = useStudio((s) => s.training);
  const modelReady = useStudio((s) => s.models.a3.status === 'loaded');
  const faultsEnabled = useStudio((s) => s.faultsEnabled);
  const a = useStudioActions();

  const [source, setSource] = useState<'sample' | 'upload'>('sample');
  const [upload, setUpload] = useState<{ name: string; text: string } | null>(null);
  const [uploadError, setUploadError] = useState<string | null>(null);
  const [choice, setChoice] = useState<PlanChoice>('stage:0');
  const [steps, setSteps] = useState(20);
  const [lr, setLr] = useState(1e-3);
  const [batch, setBatch] = useState(4);
  const [seed, setSeed] = useState(1);
  const [custom, setCustom] = useState<Stage[]>(() => defaultCurriculum(10).stages.slice(0, 2));
  const [exported, setExported] = useState<ExportLink[]>([]);
  const [busy, setBusy] = useState<string | null>(null);
  const sampleText = useRef<string | null>(null);

  useEffect(() => () => exported.forEach((l) => URL.revokeObjectURL(l.url)), [exported]);

  const presets = useMemo(() => defaultCurriculum(steps, lr), [steps, lr]);
  const plan: Curriculum | string = useMemo(() => {
    try {
      if (choice === 'full') return validateCurriculum(presets);
      if (choice === 'custom') return validateCurriculum({ name: 'custom', groupingPer: 'batch', stages: custom });
      const i = Number(choice.slice(6));
      return validateCurriculum({ ...presets, name: presets.stages[i].name, stages: [presets.stages[i]] });
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  }, [choice, presets, custom]);

  const { state } = training;
  const idle = state === 'idle';

  const onUpload = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    setUploadError(null);
    try {
      setUpload({ name: file.name, text: await readUploadText(file) });
      setSource('upload');
    } catch (err) {
      setUpload(null);
      setUploadError(err instanceof Error ? err.message : String(err));
    }
  };

  const start = async () => {
    if (typeof plan === 'string') return;
    let text: string;
    if (source === 'upload') {
      if (!upload) {
        a.pushError('finetune', 'choose a .txt file first, or use the built-in sample');
        return;
      }
      text = upload.text;
    } else {
      try {
        if (sampleText.current === null) {
          const res = await fetch(SAMPLE_URL);
          if (!res.ok) throw new Error(`cannot fetch the sample text (${SAMPLE_URL}: HTTP ${res.status})`);
          sampleText.current = await res.text();
        }
        text = sampleText.current;
      } catch (e) {
        a.pushError('finetune', e instanceof Error ? e.message : String(e));
        return;
      }
    }
    await a.startTraining({ text, plan, batch, seed });
  };

  const doExport = async () => {
    setBusy('export');
    const files = await a.exportModel();
    setBusy(null);
    if (!files) return;
    setExported(
      Object.entries(files).map(([name, data]) => {
        const blob = new Blob([data], { type: name.endsWith('.json') ? 'application/json' : 'application/octet-stream' });
        return { name, url: URL.createObjectURL(blob), bytes: blob.size };
      }),
    );
  };

  const onImport = async (e: ChangeEvent<HTMLInputElement>) => {
    const list = Array.from(e.target.files ?? []);
    e.target.value = '';
    if (list.length === 0) return;
    const problem = importSelectionProblem(list.map((f) => f.name));
    if (problem) {
      a.pushError('finetune', problem);
      return;
    }
    setBusy('import');
    const files: Record<string, ArrayBuffer | string> = {};
    for (const f of list) files[f.name] = f.name.endsWith('.json') ? await f.text() : await f.arrayBuffer();
    await a.importModel(files);
    setBusy(null);
  };

  const patchStage = (i: number, p: Partial<Stage>) => setCustom((st) => st.map((s, j) => (j === i ? { ...s, ...p } : s)));

  return (
    <Cell
      index={index}
      id="finetune"
      title="Fine-tune in the browser"
      state={state}
      explain={
        <p>
          Training nudges every weight a little to make the text more likely: each <b>step</b> takes a few random
          windows of the text, measures the <b>loss</b> (how surprised the model is, lower is better), and moves the
          weights downhill. The A3 curriculum teaches the query stream in stages: first one token at a time left to right,
          then contiguous blocks, then random subsets. The <b>validation loss</b> is measured on the last tenth of the text,
          which is never trained on: if it rises while the training loss falls, the model is memorising.
        </p>
      }
    >
      <fieldset disabled={!idle}>
        <legend>Text to train on</legend>
        <label className="radio">
          <input type="radio" name="ft-source" checked={source === 'sample'} onChange={() => setSource('sample')} data-testid="ft-sample" />
          built-in: {SAMPLE_LABEL}
        </label>
        <label className="radio">
          <input type="radio" name="ft-source" checked={source === 'upload'} onChange={() => setSource('upload')} disabled={!upload} />
          {upload ? `upload: ${upload.name} (${formatBytes(new TextEncoder().encode(upload.text).length)})` : 'your own .txt file:'}
        </label>
        <input type="file" accept=".txt,text/plain" onChange={onUpload} data-testid="ft-upload" aria-label="Upload a .txt file" />
        {uploadError ? (
          <p className="inline-error" role="alert" data-testid="ft-upload-error">
            {uploadError}
          </p>
        ) : null}
      </fieldset>

      <fieldset disabled={!idle}>
        <legend>Plan</legend>
        <div className="row wrap">
          <label className="inline">
            curriculum
            <select value={choice} onChange={(e) => setChoice(e.target.value as PlanChoice)} data-testid="ft-plan">
              {presets.stages.map((s, i) => (
                <option key={s.name} value={`stage:${i}`}>
                  stage {s.name}
                </option>
              ))}
              <option value="full">full A3 curriculum (all {presets.stages.length} stages)</option>
              <option value="custom">custom plan…</option>
            </select>
          </label>
          {choice !== 'custom' ? (
            <>
              <label className="inline">
                steps per stage
                <input type="number" min={1} max={10000} value={steps} onChange={(e) => setSteps(Math.max(1, Math.floor(Number(e.target.value) || 1)))} data-testid="ft-steps" />
              </label>
              <label className="inline">
                learning rate
                <input type="number" min={0} step="any" value={lr} onChange={(e) => setLr(Number(e.target.value))} data-testid="ft-lr" />
              </label>
            </>
          ) : null}
          <label className="inline">
            batch
            <input type="number" min={1} max={64} value={batch} onChange={(e) => setBatch(Math.max(1, Math.floor(Number(e.target.value) || 1)))} data-testid="ft-batch" />
          </label>
          <label className="inline">
            seed
            <input type="number" min={0} value={seed} onChange={(e) => setSeed(Math.max(0, Math.floor(Number(e.target.value) || 0)))} />
          </label>
        </div>
        {choice === 'custom' ? (
          <table className="stages">
            <thead>
              <tr>
                <th>stage</th>
                <th>steps</th>
                <th>lr</th>
                <th>grouping</th>
                <th>s</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {custom.map((s, i) => (
                <tr key={i}>
                  <td>
                    <input value={s.name} onChange={(e) => patchStage(i, { name: e.target.value })} />
                  </td>
                  <td>
                    <input type="number" min={1} value={s.steps} onChange={(e) => patchStage(i, { steps: Math.floor(Number(e.target.value)), warmup: Math.min(s.warmup, Math.floor(Number(e.target.value) / 5)) })} />
                  </td>
                  <td>
                    <input type="number" step="any" value={s.lr} onChange={(e) => patchStage(i, { lr: Number(e.target.value) })} />
                  </td>
                  <td>
                    <select value={s.grouping.kind} onChange={(e) => patchStage(i, { grouping: groupingOf(e.target.value as Grouping['kind'], 'size' in s.grouping ? s.grouping.size : 2) })}>
                      <option value="left-to-right">left to right</option>
                      <option value="contiguous">contiguous</option>
                      <option value="random">random</option>
                    </select>
                  </td>
                  <td>
                    {s.grouping.kind === 'left-to-right' ? (
                      '1'
                    ) : (
                      <input type="number" min={1} value={s.grouping.size} onChange={(e) => patchStage(i, { grouping: groupingOf(s.grouping.kind, Math.floor(Number(e.target.value))) })} />
                    )}
                  </td>
                  <td>
                    <button type="button" className="link" onClick={() => setCustom((st) => st.filter((_, j) => j !== i))} aria-label={`remove stage ${i + 1}`}>
                      remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <td colSpan={6}>
                  <button
                    type="button"
                    className="link"
                    onClick={() => setCustom((st) => [...st, { name: `stage ${st.length + 1}`, steps: 10, lr: 1e-3, warmup: 2, grouping: { kind: 'random', size: 4 } }])}
                  >
                    + add stage
                  </button>
                </td>
              </tr>
            </tfoot>
          </table>
        ) : null}
        {typeof plan === 'string' ? <p className="inline-error">{plan}</p> : null}
      </fieldset>

      <div className="row controls">
        {idle ? (
          <button type="button" className="primary" onClick={() => void start()} disabled={!modelReady || typeof plan === 'string'} data-testid="ft-start">
            Start
          </button>
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
          </span>
        ) : null}
      </div>
      {training.fault ? (
        <p className="note warn" role="status" data-testid="ft-fault">
          {training.fault}
        </p>
      ) : null}

      <dl className="facts compact" data-testid="ft-stats"
        data-step={training.step}
        data-points={training.train.length}
        data-first-loss={training.train[0]?.loss}
        data-last-loss={training.train[training.train.length - 1]?.loss}
        data-val-points={training.val.length}
      >
        <dt>Stage</dt>
        <dd>{training.stage ?? '—'}</dd>
        <dt>Step</dt>
        <dd data-testid="ft-step-count">
          {training.step} / {training.totalSteps || '—'}
        </dd>
        <dt>Loss</dt>
        <dd data-testid="ft-loss">
          {training.lastLoss?.toFixed(3) ?? '—'}
          {training.val.length ? ` · validation ${training.val[training.val.length - 1].loss.toFixed(3)}` : ''}
        </dd>
        <dt>Speed</dt>
        <dd>
          {training.tokensPerSec ? `${Math.round(training.tokensPerSec)} tokens/s` : '—'} · ETA {state === 'idle' ? '—' : formatDuration(training.etaSec)}
          {training.ended ? ` · last run ${training.ended}` : ''}
        </dd>
      </dl>
      {training.skipped.length ? <p className="note">{training.skipped.length} step(s) skipped: {training.skipped[training.skipped.length - 1]}</p> : null}
      <LossChart data={{ train: training.train, val: training.val, stages: training.stages }} logToggle width={860} height={260} />

      <h3>Checkpoints</h3>
      <p className="muted small">Saved in this browser (IndexedDB) every 10 steps and at the end of each stage; they survive a reload.</p>
      {training.checkpoints.length === 0 ? (
        <p className="muted" data-testid="checkpoint-empty">
          No checkpoints yet.
        </p>
      ) : (
        <ul className="checkpoints" data-testid="checkpoint-list">
          {training.checkpoints.map((c) => (
            <li key={c.key} data-key={c.key}>
              <span>
                <b>{c.label}</b> <span className="muted">· {new Date(c.savedAt).toLocaleString()}</span>
              </span>
              <span>
                <button type="button" onClick={() => void a.restoreCheckpoint(c.key)} disabled={!idle}>
                  Restore
                </button>
                <button type="button" className="link" onClick={() => void a.deleteCheckpoint(c.key)}>
                  Delete
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}

      <h3>Export &amp; import</h3>
      <p className="muted small">
        Export gives three downloads in Hugging Face&apos;s layout — model.safetensors (LLaMA tensor names), config.json,
        tokenizer.json. Save them in one folder; to import, select all three at once (the shipped manifest.json +
        weights-*.bin also work).
      </p>
      <div className="row wrap">
        <button type="button" onClick={() => void doExport()} disabled={!modelReady || busy !== null} data-testid="ft-export">
          {busy === 'export' ? 'Exporting…' : 'Export model'}
        </button>
        <label className="file-button">
          {busy === 'import' ? 'Importing…' : 'Import files…'}
          <input type="file" multiple accept=".safetensors,.json,.bin" onChange={(e) => void onImport(e)} disabled={!idle || busy !== null} data-testid="ft-import" />
        </label>
      </div>
      {exported.length ? (
        <ul className="downloads" data-testid="ft-downloads">
          {exported.map((l) => (
            <li key={l.name}>
              <a href={l.url} download={l.name}>
                {l.name}
              </a>{' '}
              <span className="muted">{formatBytes(l.bytes)}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </Cell>
  );
}
