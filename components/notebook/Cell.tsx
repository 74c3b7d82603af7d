'use client';
/**
 * Shared cell chrome: a card with a numbered header, a plain-language explanation (collapsed behind a
 * "How this works" toggle in the header, so the controls come first), and the cell's own errors inline.
 */
import { useState, type ReactNode } from 'react';
import type { CellId } from '@/lib/store/studio-store';
import { useStudio, useStudioActions } from './StudioProvider';

export interface CellProps {
  index: number;
  id: CellId;
  title: string;
  /** One or two sentences for learners: what this cell shows and why it matters. */
  explain?: ReactNode;
  /** Exposed as data-state for tests and styling. */
  state?: string;
  /** false: the cell places its own <CellErrors> next to the control that caused them. */
  errorsOnTop?: boolean;
  children: ReactNode;
}

export function Cell({ index, id, title, explain, state, errorsOnTop = true, children }: CellProps) {
  const [explained, setExplained] = useState(false);
  return (
    <section className="cell" id={`cell-${id}`} aria-labelledby={`cell-${id}-title`} data-cell={id} data-state={state}>
      <header className="cell-header">
        <span className="cell-number" aria-hidden="true">
          {index}
        </span>
        <h2 id={`cell-${id}-title`}>{title}</h2>
        {explain ? (
          <button
            type="button"
            className="link explain-toggle"
            aria-expanded={explained}
            aria-controls={`cell-${id}-explain`}
            onClick={() => setExplained((x) => !x)}
            data-testid={`explain-${id}`}
          >
            {explained ? 'Hide how this works' : 'How this works'}
          </button>
        ) : null}
      </header>
      <div className="cell-body">
        {explain && explained ? (
          <div className="explain" id={`cell-${id}-explain`}>
            {explain}
          </div>
        ) : null}
        {errorsOnTop ? <CellErrors cell={id} /> : null}
        {children}
      </div>
    </section>
  );
}

/** The errors raised by this cell's actions (and, in the first cell, the global ones). */
export function CellErrors({ cell }: { cell: CellId }) {
  const errors = useStudio((s) => s.errors.filter((e) => e.cell === cell || (cell === 'model' && e.cell === 'global')));
  const { dismissError } = useStudioActions();
  if (errors.length === 0) return null;
  return (
    <ul className="cell-errors" role="alert" data-testid={`errors-${cell}`}>
      {errors.map((e) => (
        <li key={e.id}>
          <span>{e.message}</span>
          <button type="button" className="link" onClick={() => dismissError(e.id)} aria-label="Dismiss">
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}

export function ProgressBar({ value, max, label }: { value: number; max: number | null; label: string }) {
  const pct = max && max > 0 ? Math.min(100, (100 * value) / max) : null;
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct ?? undefined}>
      <div className={`progress-fill${pct === null ? ' indeterminate' : ''}`} style={pct === null ? undefined : { width: `${pct}%` }} />
    </div>
  );
}
