'use client';
/**
 * The replay of a decode: step controls and speed, the token strip at the chosen step, what that
 * forward did (StepDetails) and the commit timeline. Reads the replay position from the store.
 * Keyboard: with focus anywhere in the replay, ← / → step, Home / End jump to the first / last step.
 */
import { useEffect, useMemo, useState, type KeyboardEvent } from 'react';
import { CommitTimeline, TokenStrip, tokenStripAt } from '@/components/views';
import type { DecodeResult } from '@/lib/a3/decode/request';
import type { SpeculativeTrace } from '@/lib/a3/decode/speculative';
import { DECODE_SPEEDS } from '@/lib/store/studio-store';
import { useStudio, useStudioActions } from '../../notebook/StudioProvider';
import { StepDetails } from './StepDetails';

export interface ReplayProps {
  result: DecodeResult;
  /** Display text of every position. */
  labels: readonly string[];
  candidateText: (pos: number, id: number) => string;
  speculative: boolean;
}

export function Replay({ result, labels, candidateText, speculative }: ReplayProps) {
  const { step: t, playing, speed } = useStudio((s) => ({ step: s.decode.step, playing: s.decode.playing, speed: s.decode.speed }));
  const a = useStudioActions();
  // A selection belongs to the result it was made in: a new result starts with none (derived, not reset by an effect).
  const [picked, setPicked] = useState<{ result: DecodeResult; pos: number } | null>(null);
  const selected = picked?.result === result ? picked.pos : null;
  const setSelected = (pos: number | null) => setPicked(pos === null ? null : { result, pos });
  const [hovered, setHovered] = useState<number | null>(null);

  // One step every 1/speed seconds while playing.
  useEffect(() => {
    if (!playing) return;
    const timer = setInterval(() => a.tickDecode(), 1000 / speed);
    return () => clearInterval(timer);
  }, [playing, speed, a]);

  const steps = result.trace.steps;
  const T = steps.length;
  const current = steps[t];
  const strip = useMemo(() => tokenStripAt(labels, result.trace.given, steps, t), [labels, result, steps, t]);
  const counts = useMemo(() => {
    const c = { given: 0, open: 0, current: 0, earlier: 0 };
    for (const tok of strip.tokens) c[tok.state] += 1;
    return c;
  }, [strip]);
  const stepNames = useMemo(() => (speculative ? steps.map((st) => (st.committed.length === 0 ? 'draft' : 'verify')) : undefined), [steps, speculative]);
  const rounds = speculative ? (result.trace as Partial<SpeculativeTrace>).rounds : undefined;
  const round = rounds && stepNames ? rounds[stepNames.slice(0, t + 1).filter((n) => n === 'draft').length - 1] : undefined;

  const onKey = (e: KeyboardEvent<HTMLElement>) => {
    // A select (speed) keeps its own arrow keys.
    if (e.target instanceof HTMLSelectElement || e.altKey || e.ctrlKey || e.metaKey) return;
    const move = { ArrowLeft: -1, ArrowRight: 1, Home: -T, End: T }[e.key];
    if (move === undefined) return;
    e.preventDefault();
    a.stepDecode(move);
  };

  return (
    <section className="replay" tabIndex={0} onKeyDown={onKey} aria-label="Replay: ← and → step through the forwards" data-testid="replay">
      <h3>Replay</h3>
      <div className="row wrap controls step-controls">
        <button type="button" onClick={() => a.stepDecode(-T)} disabled={t <= 0} aria-label="first step" title="first step" data-testid="decode-first">
          |◀
        </button>
        <button type="button" onClick={() => a.stepDecode(-1)} disabled={t <= 0} aria-label="previous step" title="previous step" data-testid="decode-prev">
          ◀
        </button>
        <button type="button" onClick={() => a.setDecodePlaying(!playing)} disabled={T < 2} aria-label={playing ? 'pause' : 'play'} data-testid="decode-play">
          {playing ? '‖ pause' : '▶ play'}
        </button>
        <button type="button" onClick={() => a.stepDecode(1)} disabled={t >= T - 1} aria-label="next step" title="next step" data-testid="decode-next">
          ▶
        </button>
        <button type="button" onClick={() => a.stepDecode(T)} disabled={t >= T - 1} aria-label="last step" title="last step" data-testid="decode-last">
          ▶|
        </button>
        <label className="inline">
          speed
          <select value={speed} onChange={(e) => a.setDecodeSpeed(Number(e.target.value))} data-testid="decode-speed">
            {DECODE_SPEEDS.map((s) => (
              <option key={s} value={s}>
                {s} steps/s
              </option>
            ))}
          </select>
        </label>
        <span className="step-readout" data-testid="decode-step" data-step={t} data-given={counts.given} data-open={counts.open} data-current={counts.current} data-earlier={counts.earlier}>
          step {T ? t + 1 : 0} of {T} · {counts.current} just committed, {counts.earlier} earlier, {counts.open} still open · ← → to step
        </span>
      </div>
      <TokenStrip data={strip} onSelectToken={(i) => setSelected(selected === i ? null : i)} onHoverToken={setHovered} />
      {current ? (
        <StepDetails step={current} index={t} labels={labels} focus={hovered ?? selected} candidateText={candidateText} onSelect={setSelected} name={stepNames?.[t]} round={round} notes={result.trace.notes} />
      ) : null}
      <CommitTimeline data={{ length: labels.length, given: result.trace.given, steps, current: t, labels, stepNames }} onSelectStep={(s) => a.setDecodeStep(s)} />
    </section>
  );
}
