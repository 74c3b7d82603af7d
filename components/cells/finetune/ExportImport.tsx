'use client';
/**
 * Export and import of the A3 model as Hugging Face files: three separate downloads
 * (model.safetensors with LLaMA tensor names, config.json, tokenizer.json) rather than an archive, and
 * an import that takes the same files back in one multi-select (the shipped manifest.json +
 * weights-*.bin also work). File reading and download links: lib/notebook/files.
 */
import { useEffect, useState, type ChangeEvent, type ReactNode } from 'react';
import { downloadLinks, readModelFiles, revokeLinks, type DownloadLink } from '@/lib/notebook/files';
import { formatBytes } from '../../notebook/format';
import { useStudio, useStudioActions } from '../../notebook/StudioProvider';

export interface ExportImportProps {
  /** Called before an export or import starts (the cell then shows its errors here). */
  onAct?: () => void;
  /** The errors, shown right under the buttons. */
  errors?: ReactNode;
}

export function ExportImport({ onAct, errors }: ExportImportProps) {
  const modelReady = useStudio((s) => s.models.a3.status === 'loaded');
  const idle = useStudio((s) => s.training.state === 'idle');
  const a = useStudioActions();
  const [links, setLinks] = useState<DownloadLink[]>([]);
  const [busy, setBusy] = useState<'export' | 'import' | null>(null);
  useEffect(() => () => revokeLinks(links), [links]);

  const doExport = async () => {
    onAct?.();
    setBusy('export');
    const files = await a.exportModel();
    setBusy(null);
    if (files) setLinks(downloadLinks(files));
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
        Export gives three downloads in Hugging Face&apos;s layout — model.safetensors (LLaMA tensor names), config.json, tokenizer.json. Save them in one
        folder; to import, select all three at once (the shipped manifest.json + weights-*.bin also work).
      </p>
      <div className="row wrap">
        <button type="button" onClick={() => void doExport()} disabled={!modelReady || busy !== null} data-testid="ft-export">
          {busy === 'export' ? 'Exporting…' : 'Export model'}
        </button>
        <label className="file-button">
          {busy === 'import' ? 'Importing…' : 'Import files…'}
          <input type="file" multiple accept=".safetensors,.json,.bin" onChange={(e) => void doImport(e)} disabled={!idle || busy !== null} data-testid="ft-import" />
        </label>
      </div>
      {errors}
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
