'use client';
/**
 * The decoder form: strategy picker (with the AR preset), the strategy's own knobs and the common
 * sampling knobs, all drawn from the strategy registry (lib/a3/decode/strategies.ts), so a strategy's
 * knobs are one list of data, not hand-written markup. Each input's test id is `pg-<URL key>`.
 */
import type { ReactNode } from 'react';
import { COMMON_KNOBS, STRATEGY_IDS, strategySpec, type KnobParams, type KnobSpec, type StrategyId } from '@/lib/a3/decode/strategies';
import { NumberKnob, SelectKnob } from '../../notebook/controls';

/** The knobs greedy decoding ignores (drawn disabled while greedy is on); the seed still matters for ties. */
const SAMPLING_ONLY: ReadonlySet<string> = new Set<keyof KnobParams>(['temperature', 'topK', 'topP']);

export interface DecoderKnobsProps {
  strategy: StrategyId;
  onStrategy: (id: StrategyId) => void;
  /** Every knob's value by its playground field. */
  values: Readonly<KnobParams>;
  onKnob: (patch: Partial<KnobParams>) => void;
  greedy: boolean;
  onGreedy: (greedy: boolean) => void;
  /** The AR preset button: pressed while the strategy is the preset's (AR on the base model). */
  isAR: boolean;
  onARPreset: () => void;
  /** Shown after the strategy's knobs (e.g. whether the MDLM model is loaded). */
  status?: ReactNode;
}

/** One knob from its registry spec; the input's test id is `pg-<url key>`. */
export function Knob({ spec, value, onChange, disabled }: { spec: KnobSpec; value: number | string; onChange: (v: number | string) => void; disabled?: boolean }) {
  const testId = `pg-${spec.url}`;
  if (spec.kind === 'select') {
    return <SelectKnob label={spec.label} title={spec.help} value={String(value)} options={spec.options} onChange={onChange} disabled={disabled} testId={testId} />;
  }
  return (
    <NumberKnob
      label={spec.label}
      title={spec.help}
      value={Number(value)}
      min={spec.min}
      max={spec.max}
      integer={spec.kind === 'int'}
      onCommit={onChange}
      disabled={disabled}
      testId={testId}
    />
  );
}

export function DecoderKnobs(p: DecoderKnobsProps) {
  const spec = strategySpec(p.strategy);
  const knob = (k: KnobSpec) => (
    <Knob
      key={k.key}
      spec={k}
      value={p.values[k.key as keyof KnobParams] ?? k.default}
      onChange={(v) => p.onKnob({ [k.key]: v } as Partial<KnobParams>)}
      disabled={p.greedy && SAMPLING_ONLY.has(k.key)}
    />
  );
  return (
    <fieldset>
      <legend>Decoder</legend>
      <div className="row wrap">
        {STRATEGY_IDS.map((id) => (
          <label className="radio" key={id}>
            <input type="radio" name="infill-strategy" checked={p.strategy === id} onChange={() => p.onStrategy(id)} data-testid={`strategy-${id}`} />
            {strategySpec(id).label}
          </label>
        ))}
        <button
          type="button"
          className={p.isAR ? 'primary' : undefined}
          aria-pressed={p.isAR}
          onClick={p.onARPreset}
          data-testid="preset-ar"
          title="The base model, left to right: an ordinary (autoregressive) language model that never sees the text after a gap"
        >
          AR preset
        </button>
      </div>
      <p className="muted small strategy-note" data-testid="strategy-note" data-strategy={p.strategy}>
        {spec.note}
      </p>
      <div className="row wrap">
        {spec.knobs.map(knob)}
        {p.status}
      </div>
      <div className="row wrap">
        {COMMON_KNOBS.map(knob)}
        <label className="radio">
          <input type="checkbox" checked={p.greedy} onChange={(e) => p.onGreedy(e.target.checked)} data-testid="pg-greedy" />
          greedy
        </label>
      </div>
    </fieldset>
  );
}
