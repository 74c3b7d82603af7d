'use client';
/** Which text a fine-tune trains on: the built-in sample or the user's .txt (read and checked by lib/notebook/files), with the upload's problem next to the field. */
import type { ChangeEvent } from 'react';
import { readUpload, type Upload } from '@/lib/notebook/files';
import { SAMPLE_LABEL } from '@/lib/notebook/sample';
import { formatBytes } from '../../notebook/format';

export type SourceChoice = 'sample' | 'upload';

export interface TextSourceProps {
  source: SourceChoice;
  upload: Upload | null;
  uploadError: string | null;
  onSource: (source: SourceChoice) => void;
  /** A file was read: its text, or the sentence saying why it cannot be trained on. */
  onUpload: (r: { upload: Upload } | { error: string }) => void;
}

export function TextSource({ source, upload, uploadError, onSource, onUpload }: TextSourceProps) {
  const pick = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    try {
      onUpload({ upload: await readUpload(file) });
    } catch (err) {
      onUpload({ error: err instanceof Error ? err.message : String(err) });
    }
  };
  return (
    <>
      <legend>Text to train on</legend>
      <label className="radio">
        <input type="radio" name="ft-source" checked={source === 'sample'} onChange={() => onSource('sample')} data-testid="ft-sample" />
        built-in: {SAMPLE_LABEL}
      </label>
      <label className="radio">
        <input type="radio" name="ft-source" checked={source === 'upload'} onChange={() => onSource('upload')} disabled={!upload} data-testid="ft-source-upload" />
        {upload ? `upload: ${upload.name} (${formatBytes(upload.bytes)})` : 'your own .txt file:'}
      </label>
      <input type="file" accept=".txt,text/plain" onChange={(e) => void pick(e)} data-testid="ft-upload" aria-label="Upload a .txt file" />
      {uploadError ? (
        <p className="inline-error" role="alert" data-testid="ft-upload-error">
          {uploadError}
        </p>
      ) : null}
    </>
  );
}
