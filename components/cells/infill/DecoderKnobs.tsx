'use client';
/**
 * The decoder form: strategy picker (with the AR preset), the strategy's own knobs and the sampling
 * knobs, all drawn from knob specs (data), so a strategy's knobs are one list, not hand-written markup.
 */
import type { ReactNode } from 'react';
import { NumberKnob, SelectKnob } from '../../notebook/controls';

/** One knob as data: what the registry of strategies holds for each (URL key, range, default, help). */
export interface KnobSpec {
  key: string;
  label: string;
  kind: 'int' | 'float' | 'select';
  min?: number;
  max?: number;
  step?: number;
  default: number | string;
  options?: readonly { value: string; label: string }[];
  help?: string;
}

export interface StrategyChoice {
  id: string;
  label: string;
  note: string;
}

export interface DecoderKnobsProps {
  strategies: readonly StrategyChoice[];
  strategy: string;
  onStrategy: (id: string) => void;
  /** The chosen strategy's knobs, then the shared sampling knobs. */
  knobs: readonly KnobSpec[];
  sampling: readonly KnobSpec[];
  values: Readonly<Record<string, number | string>>;
  onKnob: (key: string, value: number | string) => void;
  /** Keys drawn disabled (the sampling knobs greedy ignores). */
  disabled?: ReadonlySet<string>;
  greedy: boolean;
  onGreedy: (greedy: boolean) => void;
  /** The AR preset button: pressed when the knobs are exactly left-to-right s = 1. */
  isAR: boolean;
  onARPreset: () => void;
  /** Shown after the strategy's knobs (e.g. whether the MDLM model is loaded). */
  status?: ReactNode;
}

/** One knob from its spec; the input's test id is `pg-<key>`. */
export function Knob({ spec, value, onChange, disabled }: { spec: KnobSpec; value: number | string; onChange: (v: number | string) => void; disabled?: boolean }) {
  if (spec.kind === 'select') {
    return <SelectKnob label={spec.label} title={spec.help} value={String(value)} options={spec.options ?? []} onChange={onChange} disabled={disabled} testId={`pg-${spec.key}`} />;
  }
  return (
    <NumberKnob
      label={spec.label}
      title={spec.help}
      value={Number(value)}
      min={spec.min ?? -Infinity}
      max={spec.max ?? Infinity}
      integer={spec.kind === 'int'}
      onCommit={onChange}
      disabled={disabled}
      testId={`pg-${spec.key}`}
    />
  );
}

export function DecoderKnobs(p: DecoderKnobsProps) {
  const note = p.strategies.find((s) => s.id === p.strategy)?.note ?? '';
  const knob = (spec: KnobSpec) => <Knob key={spec.key} spec={spec} value={p.values[spec.key] ?? spec.default} onChange={(v) => p.onKnob(spec.key, v)} disabled={p.disabled?.has(spec.key)} />;
  return (
    <fieldset>
      <legend>Decoder</legend>
      <div className="row wrap">
        {p.strategies.map((s) => (
          <label className="radio" key={s.id}>
            <input type="radio" name="infill-strategy" checked={p.strategy === s.id} onChange={() => p.onStrategy(s.id)} data-testid={`strategy-${s.id}`} />
            {s.label}
          </label>
        ))}
        <button
          type="button"
          className={p.isAR ? 'primary' : undefined}
          aria-pressed={p.isAR}
          onClick={p.onARPreset}
          data-testid="preset-ar"
          title="Group-wise with s = 1, left to right: exactly an ordinary (autoregressive) language model"
        >
          AR preset
        </button>
      </div>
      <p className="muted small strategy-note" data-testid="strategy-note" data-strategy={p.strategy}>
        {note}
      </p>
      <div className="row wrap">
        {p.knobs.map(knob)}
        {p.status}
      </div>
      <div className="row wrap">
        {p.sampling.map(knob)}
        <label className="radio">
          <input type="checkbox" checked={p.greedy} onChange={(e) => p.onGreedy(e.target.checked)} data-testid="pg-greedy" />
          greedy
        </label>
      </div>
    </fieldset>
  );
}
