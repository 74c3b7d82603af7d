'use client';
/** A decode's text with the generated tokens highlighted (<mark>) and the given text plain. */
import type { DecodeResult } from '@/lib/a3/decode/request';

export function FilledText({ result, testId }: { result: DecodeResult; testId?: string }) {
  const parts: { text: string; filled: boolean }[] = [];
  result.labels.forEach((l, i) => {
    const filled = !result.trace.given[i];
    const last = parts[parts.length - 1];
    if (last && last.filled === filled) last.text += l;
    else parts.push({ text: l, filled });
  });
  return (
    <p className="filled-text" data-testid={testId}>
      {parts.map((p, i) => (p.filled ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}
    </p>
  );
}
