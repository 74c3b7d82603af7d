'use client';
/**
 * The template: a text area with gaps, a button that turns the selection into a gap of about as many
 * tokens, one line under it (what the template asks for, the part the model reads when it is longer than the
 * context, or the one reason it cannot run: the rule run.ts refuses with, checked live), a token counter, and the cell's Run button (`children`) on the same row, so
 * the first thing on screen is "write, then Run".
 */
import { useRef, useState, type ReactNode } from 'react';
import { templateLengthLimit } from '@/lib/a3/config';
import type { Tokenizer } from '@/lib/a3/tokenizer';
import { DEFAULT_GAP_LENGTH, gapMarker, hasGap } from '@/lib/a3/decode/gaps';
import type { TemplateCheck } from '@/lib/a3/decode/infill';
import { describeWindow, isPartial, type ContextWindow } from '@/lib/a3/decode/window';

/** The number of tokens a selection becomes (exact with the tokenizer, else ~4 characters per token). */
function tokenEstimate(text: string, tokenizer: Tokenizer | null): number {
  return Math.max(1, tokenizer ? tokenizer.encode(text).length : Math.round(text.length / 4));
}

export interface TemplateEditorProps {
  text: string;
  onChange: (text: string) => void;
  tokenizer: Tokenizer | null;
  /** The live check of `text` (null until the tokenizer is on the page). */
  check: TemplateCheck | null;
  /** The context of the model that will run (store's modelContext: an estimate until that model is loaded). */
  maxLen: number;
  children?: ReactNode;
}

/** The line under the template when it runs: what it asks for, and the part the model reads when it is longer than the context. */
function runsLine(text: string, window: ContextWindow | null): string {
  if (window && isPartial(window)) return `Longer than the context: ${describeWindow(window)}. The fill is placed in the whole text.`;
  return hasGap(text) ? 'Gaps found: the model fills them.' : `No gap: the model continues the text by ${DEFAULT_GAP_LENGTH} tokens.`;
}

export function TemplateEditor({ text, onChange, tokenizer, check, maxLen, children }: TemplateEditorProps) {
  const problem = check?.problem ?? null;
  const area = useRef<HTMLTextAreaElement>(null);
  const limit = templateLengthLimit({ maxLen });
  // Characters the last edit lost to the limit (0: none), said under the box rather than cut silently.
  const [cutChars, setCutChars] = useState(0);
  const edit = (value: string) => {
    setCutChars(Math.max(0, value.length - limit));
    onChange(value.slice(0, limit));
  };
  const markGap = () => {
    const el = area.current;
    if (!el) return;
    const start = el.selectionStart ?? text.length;
    const end = el.selectionEnd ?? start;
    const gap = start === end ? gapMarker() : gapMarker(tokenEstimate(text.slice(start, end), tokenizer));
    edit(text.slice(0, start) + gap + text.slice(end));
    requestAnimationFrame(() => {
      el.focus();
      el.setSelectionRange(start, start + gap.length);
    });
  };
  return (
    <>
      <label>
        <span className="label">Template</span>
        <textarea
          ref={area}
          className="template"
          rows={2}
          value={text}
          onChange={(e) => edit(e.target.value)}
          aria-invalid={problem ? true : undefined}
          aria-describedby="infill-template-line"
          data-testid="infill-text"
        />
      </label>
      <div className="row wrap">
        {children}
        <button type="button" onClick={markGap} data-testid="infill-mark-gap" title="Select some text above, then press this to turn it into a gap of about as many tokens">
          Mark selection as gap
        </button>
        <span id="infill-template-line" className={problem ? 'field-error' : 'muted small'} data-testid="infill-template-line" data-problem={problem ? true : undefined}>
          {problem ?? runsLine(text, check?.window ?? null)}
        </span>
        {cutChars > 0 ? (
          <span className="field-error" data-testid="infill-text-cut">
            The template takes at most {limit} characters: the last {cutChars} were left out.
          </span>
        ) : null}
        {check ? (
          <span className="muted small" data-testid="infill-token-count" data-tokens={check.tokens} data-max={maxLen}
            data-kept={check.window ? check.window.total - check.window.before - check.window.after : undefined}
            title="Prompt plus gaps, in tokens; the model reads at most its context of them, around the gaps"
          >
            {`${check.tokens} / ${maxLen} tokens`}
          </span>
        ) : null}
      </div>
    </>
  );
}
