'use client';
/**
 * Export and import of the A3 model as Hugging Face files (model.safetensors with LLaMA tensor names,
 * config.json, tokenizer.json in the `tokenizers` format). One Export button saves them as one thing
 * (lib/a3/export-bundle: a folder the user picks where the browser can, else one zip download); only if
 * that fails do the three files appear as separate links. Import takes the same files back in one
 * multi-select (the shipped manifest.json + weights-*.bin and the studio's own tokenizer format also work).
 */
import { useEffect, useState, type ChangeEvent, type ReactNode } from 'react';
import { browserSaveTarget, saveExportBundle, type ExportFiles, type SaveResult } from '@/lib/a3/export-bundle';
import { downloadLinks, readModelFiles, revokeLinks, type DownloadLink } from '@/lib/notebook/files';
import { formatBytes } from '../../notebook/format';
import { useStudio, useStudioActions } from '../../notebook/StudioProvider';

export interface ExportImportProps {
  /** Called before an export or import starts (the cell then shows its errors here). */
  onAct?: () => void;
  /** The errors, shown right under the buttons. */
  errors?: ReactNode;
}

/** The worker's export failed: the store already shows its error. */
class ExportRefused extends Error {}

/** What the user is told after an export. */
function savedText(r: SaveResult): string | null {
  switch (r.kind) {
    case 'folder':
      return `Saved ${r.files.join(', ')} into the folder ${r.folder}.`;
    case 'zip':
      return `Downloaded ${r.filename} (${formatBytes(r.bytes)}): unzip it for a folder with the three files.${r.reason ? ` Not saved into a folder: ${r.reason}.` : ''}`;
    case 'cancelled':
      return null;
  }
}

export function ExportImport({ onAct, errors }: ExportImportProps) {
  const modelReady = useStudio((s) => s.models.a3.status === 'loaded');
  const idle = useStudio((s) => s.training.state === 'idle');
  const a = useStudioActions();
  const [links, setLinks] = useState<DownloadLink[]>([]);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState<'export' | 'import' | null>(null);
  useEffect(() => () => revokeLinks(links), [links]);

  const doExport = async () => {
    onAct?.();
    setBusy('export');
    setSaved(null);
    setLinks([]);
    let files: ExportFiles | null = null;
    const fetchFiles = async () => {
      files = await a.exportModel();
      if (!files) throw new ExportRefused();
      return files;
    };
    try {
      setSaved(savedText(await saveExportBundle(fetchFiles, browserSaveTarget())));
    } catch (e) {
      if (!(e instanceof ExportRefused)) {
        a.pushError('finetune', `the export could not be saved as one download (${e instanceof Error ? e.message : String(e)}): save the three files below instead`);
        if (files) setLinks(downloadLinks(files));
      }
    } finally {
      setBusy(null);
    }
  };
  const doImport = async (e: ChangeEvent<HTMLInputElement>) => {
    const list = Array.from(e.target.files ?? []);
    e.target.value = '';
    if (list.length === 0) return;
    onAct?.();
    setBusy('import');
    try {
      await a.importModel(await readModelFiles(list));
    } catch (err) {
      a.pushError('finetune', err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      <h3>Export &amp; import</h3>
      <p className="muted small">
        Export saves the model in Hugging Face&apos;s layout — model.safetensors (LLaMA tensor names), config.json, tokenizer.json — into a folder you pick,
        or as one zip where the browser cannot write folders. To import, select all three files at once (the shipped manifest.json + weights-*.bin also
        work).
      </p>
      <div className="row wrap">
        <button type="button" onClick={() => void doExport()} disabled={!modelReady || busy !== null} data-testid="ft-export">
          {busy === 'export' ? 'Exporting…' : 'Export'}
        </button>
        <label className="file-button">
          {busy === 'import' ? 'Importing…' : 'Import files…'}
          <input type="file" multiple accept=".safetensors,.json,.bin" onChange={(e) => void doImport(e)} disabled={!idle || busy !== null} data-testid="ft-import" />
        </label>
      </div>
      {errors}
      {saved ? (
        <p className="note" role="status" data-testid="ft-exported">
          {saved}
        </p>
      ) : null}
      {links.length ? (
        <ul className="downloads" data-testid="ft-downloads">
          {links.map((l) => (
            <li key={l.name}>
              <a href={l.url} download={l.name}>
                {l.name}
              </a>{' '}
              <span className="muted">{formatBytes(l.bytes)}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
}
