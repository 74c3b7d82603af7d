'use client';
/**
 * A decode's text with the generated tokens highlighted (<mark>) and the given text plain; when the template
 * was longer than the context, the parts the model never read are shown around it, unchanged and marked as
 * such. Characters split over several tokens are decoded across them (token-text.ts): a character belongs to
 * the token that completes it, so the text reads exactly as the decoded string.
 */
import { useMemo } from 'react';
import type { DecodeResult } from '@/lib/a3/decode/request';
import { useTokenTexts } from './token-text';

type PartKind = 'given' | 'filled' | 'unseen';

export function FilledText({ result, testId }: { result: DecodeResult; testId?: string }) {
  const { trace, window } = result;
  // The whole text in one token sequence, so a character split across the window's edge still shows whole.
  const { tokens, labels } = useMemo(
    () =>
      window
        ? { tokens: [...window.before.tokens, ...trace.tokens, ...window.after.tokens], labels: [...window.before.labels, ...result.labels, ...window.after.labels] }
        : { tokens: trace.tokens, labels: result.labels },
    [window, trace.tokens, result.labels],
  );
  const { pieces } = useTokenTexts(tokens, labels);
  const offset = window?.before.tokens.length ?? 0;
  const kindAt = (i: number): PartKind => {
    const p = i - offset;
    if (p < 0 || p >= trace.tokens.length) return 'unseen';
    return trace.given[p] ? 'given' : 'filled';
  };
  const parts: { text: string; kind: PartKind }[] = [];
  pieces.forEach((piece, i) => {
    const kind = kindAt(i);
    const last = parts[parts.length - 1];
    if (last && last.kind === kind) last.text += piece.text;
    else if (piece.text !== '') parts.push({ text: piece.text, kind });
  });
  return (
    <p className="filled-text" data-testid={testId}>
      {parts.map((p, i) =>
        p.kind === 'filled' ? (
          <mark key={i}>{p.text}</mark>
        ) : p.kind === 'unseen' ? (
          <span key={i} className="unseen" title="Not seen by the model: outside its context" data-unseen>
            {p.text}
          </span>
        ) : (
          <span key={i}>{p.text}</span>
        ),
      )}
    </p>
  );
}
