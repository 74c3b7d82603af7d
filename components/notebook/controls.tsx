'use client';
/**
 * The notebook's form controls, one typing behaviour for every field:
 *
 * - NumberKnob keeps what the user types as a draft string: nothing is parsed or clamped while typing,
 *   so Backspace-then-type, clearing a field or typing "1e-3" all work. The draft is checked on commit
 *   (blur or Enter); a valid value goes to `onCommit`, an invalid one stays on screen with an inline
 *   error next to the field and is never sent anywhere.
 * - A form that must not run with a value the user did not see wraps its fields in `FieldChecks` and
 *   disables its Run button while `checks.invalid` is non-empty.
 * - SelectKnob is the same label layout around a <select>.
 */
import { createContext, useContext, useEffect, useId, useMemo, useRef, useState, type ReactNode } from 'react';

/** Which fields of a form currently hold an invalid draft (name -> message). */
export interface FieldCheckState {
  invalid: ReadonlyMap<string, string>;
  report: (name: string, problem: string | null) => void;
}

const FieldChecksContext = createContext<FieldCheckState['report'] | null>(null);

/** A form's field checks: pass `checks` to `FieldChecks` around its fields, read `checks.invalid`. */
export function useFieldChecks(): FieldCheckState {
  const [invalid, setInvalid] = useState<ReadonlyMap<string, string>>(() => new Map());
  const report = useMemo(
    () => (name: string, problem: string | null) =>
      setInvalid((m) => {
        if ((m.get(name) ?? null) === problem) return m;
        const next = new Map(m);
        if (problem === null) next.delete(name);
        else next.set(name, problem);
        return next;
      }),
    [],
  );
  return { invalid, report };
}

export function FieldChecks({ checks, children }: { checks: FieldCheckState; children: ReactNode }) {
  return <FieldChecksContext.Provider value={checks.report}>{children}</FieldChecksContext.Provider>;
}

export interface NumberRule {
  min: number;
  max: number;
  /** Only whole numbers. */
  integer?: boolean;
}

/** Parses a typed number against its rule: the value, or the sentence the field shows. */
export function parseNumber(draft: string, rule: NumberRule): { value: number } | { problem: string } {
  const text = draft.trim();
  if (text === '') return { problem: 'enter a number' };
  const value = Number(text);
  if (!Number.isFinite(value)) return { problem: `"${text}" is not a number` };
  if (rule.integer && !Number.isInteger(value)) return { problem: 'use a whole number' };
  if (value < rule.min || value > rule.max) return { problem: `use ${rule.min} to ${rule.max}` };
  return { value };
}

export interface NumberKnobProps extends NumberRule {
  label: ReactNode;
  value: number;
  onCommit: (value: number) => void;
  /** data-testid of the input; also the field's name in FieldChecks. */
  testId: string;
  title?: string;
  disabled?: boolean;
  /** Width of the input in characters (default 6). */
  size?: number;
}

export function NumberKnob({ label, value, onCommit, testId, title, disabled, min, max, integer, size = 6 }: NumberKnobProps) {
  const report = useContext(FieldChecksContext);
  const errorId = useId();
  const [draft, setDraft] = useState(String(value));
  const [problem, setProblem] = useState<string | null>(null);
  // A value set from elsewhere (a preset, the URL, a committed edit) replaces the draft.
  const shown = useRef(value);
  useEffect(() => {
    if (shown.current === value) return;
    shown.current = value;
    setDraft(String(value));
    setProblem(null);
  }, [value]);
  // The form hears of a problem in the same render that shows it (a Run button must never be enabled next to an
  // error on screen); the effect covers the rest (a problem cleared by a value set from elsewhere).
  const showProblem = (next: string | null) => {
    setProblem(next);
    report?.(testId, next);
  };
  useEffect(() => {
    report?.(testId, problem);
  }, [report, testId, problem]);
  useEffect(() => () => report?.(testId, null), [report, testId]);

  /** Checks the draft; true when it was valid (and is now the value). */
  const commit = (): boolean => {
    const parsed = parseNumber(draft, { min, max, integer });
    if ('problem' in parsed) {
      showProblem(parsed.problem);
      return false;
    }
    showProblem(null);
    setDraft(String(parsed.value));
    if (parsed.value !== value) {
      shown.current = parsed.value;
      onCommit(parsed.value);
    }
    return true;
  };

  return (
    <label className="inline knob" title={title}>
      {label}
      <input
        type="text"
        inputMode={integer && min >= 0 ? 'numeric' : 'decimal'}
        autoComplete="off"
        size={size}
        value={draft}
        disabled={disabled}
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? errorId : undefined}
        onChange={(e) => {
          setDraft(e.target.value);
          // Typing again clears the old complaint; the new draft is checked on commit.
          if (problem) showProblem(null);
        }}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key !== 'Enter') return;
          const ok = commit();
          // Plain Enter commits only; Ctrl/Cmd+Enter goes on to the form's run shortcut, unless the
          // value is invalid: then nothing may run with the old value the field no longer shows.
          if (!ok || (!e.ctrlKey && !e.metaKey)) e.preventDefault();
          if (!ok) e.stopPropagation();
        }}
        data-testid={testId}
      />
      {problem ? (
        <span className="field-error" id={errorId} role="alert" data-testid={`${testId}-error`}>
          {problem}
        </span>
      ) : null}
    </label>
  );
}

export interface SelectOption<T extends string> {
  value: T;
  label: string;
}

export interface SelectKnobProps<T extends string> {
  label: ReactNode;
  value: T;
  options: readonly SelectOption<T>[];
  onChange: (value: T) => void;
  testId?: string;
  title?: string;
  disabled?: boolean;
}

export function SelectKnob<T extends string>({ label, value, options, onChange, testId, title, disabled }: SelectKnobProps<T>) {
  return (
    <label className="inline knob" title={title}>
      {label}
      <select value={value} disabled={disabled} onChange={(e) => onChange(e.target.value as T)} data-testid={testId}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Whether a form still shows a field with an invalid value (read at the moment of running, not from the last render). */
export function hasInvalidField(form: HTMLElement | null): boolean {
  return form?.querySelector('[aria-invalid="true"]') != null;
}

/** Ctrl+Enter / Cmd+Enter anywhere inside an element: its keydown handler (runs `run`). */
export function runShortcut(run: () => void) {
  return (e: { key: string; ctrlKey: boolean; metaKey: boolean; preventDefault(): void }) => {
    if (e.key !== 'Enter' || !(e.ctrlKey || e.metaKey)) return;
    e.preventDefault();
    run();
  };
}
