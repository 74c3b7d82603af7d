'use client';
/**
 * A decode's text with the generated tokens highlighted (<mark>) and the given text plain. Characters
 * split over several tokens are decoded across them (token-text.ts): a character belongs to the token
 * that completes it, so the text reads exactly as the decoded string.
 */
import type { DecodeResult } from '@/lib/a3/decode/request';
import { useTokenTexts } from './token-text';

export function FilledText({ result, testId }: { result: DecodeResult; testId?: string }) {
  const { pieces } = useTokenTexts(result.trace.tokens, result.labels);
  const parts: { text: string; filled: boolean }[] = [];
  pieces.forEach((p, i) => {
    const filled = !result.trace.given[i];
    const last = parts[parts.length - 1];
    if (last && last.filled === filled) last.text += p.text;
    else if (p.text !== '') parts.push({ text: p.text, filled });
  });
  return (
    <p className="filled-text" data-testid={testId}>
      {parts.map((p, i) => (p.filled ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}
    </p>
  );
}
