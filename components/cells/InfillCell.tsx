'use client';
/**
 * Cell "Infill playground": write a text with gaps, pick a decoder (A3
 * group-wise, A3 dynamic, or the AR preset), run it in the worker, and replay
 * the decode step by step: which tokens each forward committed, how sure the
 * model was, what else it considered, and the masks of the final groups.
 * Strategy and knobs are the store's URL-synced `playground`.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { CommitTimeline, GroupOrder, MaskMatrix, TokenStrip, displayToken, tokenStripAt } from '@/components/views';
import { DEFAULT_GAP_LENGTH as DEFAULT_GAP, MAX_STEP_TOKENS, gapMarker, hasGap } from '@/lib/a3/decode/gaps';
import type { DecodeResult } from '@/lib/a3/decode/request';
import { AR_PRESET, STRATEGY as STRATEGY_INFO, STRATEGY_IDS, describeRequest } from '@/lib/a3/decode/strategies';
import type { DecodeStep } from '@/lib/a3/decode/trace';
import type { SpeculativeTrace } from '@/lib/a3/decode/speculative';
import { DECODE_SPEEDS, MODEL_LABEL } from '@/lib/store/studio-store';
import { KNOB_LIMITS, REMASKINGS, SCORES, type PlaygroundParams } from '@/lib/store/url-params';
import { Cell } from '../notebook/Cell';
import { useStudio, useStudioActions } from '../notebook/StudioProvider';

/** The decoded text with the generated tokens highlighted (given text plain). */
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

export const fmtProb = (p: number) => (p >= 0.01 ? p.toFixed(2) : p.toExponential(0));
export const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`);

/** The number of tokens a selection becomes (exact with the tokenizer, else ~4 characters per token). */
function tokenEstimate(text: string, encode: ((s: string) => number[]) | null): number {
  if (encode) return Math.max(1, encode(text).length);
  return Math.max(1, Math.round(text.length / 4));
}

export function InfillCell({ index }: { index: number }) {
  const pg = useStudio((s) => s.playground);
  const decode = useStudio((s) => s.decode);
  const a3Ready = useStudio((s) => s.models.a3.status === 'loaded');
  const backendReady = useStudio((s) => s.backend.status === 'ready');
  const mdlm = useStudio((s) => ({ shipped: s.shipped.mdlm, status: s.models.mdlm.status, note: s.models.mdlm.note }));
  const tokenizer = useStudio((s) => s.tokenizer);
  const a = useStudioActions();
  const area = useRef<HTMLTextAreaElement>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const [hovered, setHovered] = useState<number | null>(null);
  const [showMasks, setShowMasks] = useState(false);

  useEffect(() => {
    void a.loadTokenizer();
  }, [a]);

  // Replay: one step every 1/speed seconds while playing.
  useEffect(() => {
    if (!decode.playing) return;
    const t = setInterval(() => a.tickDecode(), 1000 / decode.speed);
    return () => clearInterval(t);
  }, [decode.playing, decode.speed, a]);

  const { result, step: t } = decode;
  useEffect(() => setSelected(null), [result]);
  const steps = result?.trace.steps ?? [];
  const T = steps.length;
  const current: DecodeStep | undefined = steps[t];
  const strip = useMemo(() => (result ? tokenStripAt(result.labels, result.trace.given, result.trace.steps, t) : null), [result, t]);
  const counts = useMemo(() => {
    const c = { given: 0, open: 0, current: 0, earlier: 0 };
    for (const tok of strip?.tokens ?? []) c[tok.state] += 1;
    return c;
  }, [strip]);
  const exportHref = useMemo(
    () => (result ? `data:application/json;charset=utf-8,${encodeURIComponent(JSON.stringify({ request: decode.request, ...result }, null, 1))}` : null),
    [result, decode.request],
  );
  const set = (p: Partial<PlaygroundParams>) => a.setPlayground(p);
  const int = (v: string, min: number, fallback: number) => {
    const x = Math.floor(Number(v));
    return Number.isFinite(x) && x >= min ? x : fallback;
  };
  const tokenText = (id: number) => (tokenizer ? displayToken(tokenizer.decodeToken(id)) : `#${id}`);
  const isAR = pg.strategy === AR_PRESET.strategy && pg.groupSize === AR_PRESET.groupSize && pg.order === AR_PRESET.order;
  const isDiffusion = pg.strategy === 'diffusion';
  // The diffusion baseline needs only a backend and shipped MDLM weights (it loads them itself); the rest need the A3 slot.
  const modelReady = isDiffusion ? backendReady && mdlm.shipped !== false && mdlm.status !== 'missing' : a3Ready;
  const spec = result && decode.request?.strategy === 'speculative' ? (result.trace as Partial<SpeculativeTrace>) : null;
  const stepNames = useMemo(
    () => (decode.request?.strategy === 'speculative' ? steps.map((st) => (st.committed.length === 0 ? 'draft' : 'verify')) : undefined),
    [steps, decode.request],
  );
  const clampKnob = (knob: keyof typeof KNOB_LIMITS, v: string, fallback: number) => Math.min(KNOB_LIMITS[knob][1], int(v, KNOB_LIMITS[knob][0], fallback));
  const textHasGap = hasGap(pg.text);
  const focus = hovered ?? selected;

  const markGap = () => {
    const el = area.current;
    if (!el) return;
    const text = pg.text;
    const start = el.selectionStart ?? text.length;
    const end = el.selectionEnd ?? start;
    const gap = start === end ? gapMarker() : gapMarker(tokenEstimate(text.slice(start, end), tokenizer ? (s) => tokenizer.encode(s) : null));
    set({ text: text.slice(0, start) + gap + text.slice(end) });
    requestAnimationFrame(() => {
      el.focus();
      el.setSelectionRange(start, start + gap.length);
    });
  };

  return (
    <Cell
      index={index}
      id="infill"
      title="Infill playground"
      state={decode.status}
      explain={
        <>
          <p>
            Write a text and leave <b>gaps</b>: <code>[____]</code> is a gap of {DEFAULT_GAP} tokens, <code>[__6__]</code> one of
            exactly 6, and <code>[__?__]</code> lets the model choose the length it finds most likely. The model fills them using the words on <em>both</em> sides — something a left-to-right model cannot do.
            Without a gap, the text is continued by {DEFAULT_GAP} tokens.
          </p>
          <p>
            <b>Group-wise</b> fills the gaps s tokens per step in a fixed order (s = 1, left to right is an ordinary language
            model); <b>dynamic</b> looks at every open position each step and commits the k it is surest about. Each step is one
            pass of the network (one <b>NFE</b>): fewer steps are faster, but tokens of one step cannot see each other.
          </p>
          <p>
            <b>Speculative</b> sampling gets parallelism <em>without</em> that compromise: it drafts D tokens at once, then checks
            them against the model in one more forward and keeps them only as often as the model itself would have chosen them. The
            result is an exact sample from the model (as if written one token at a time); the replay alternates <em>draft</em> steps
            (which commit nothing) and <em>verify</em> steps.
          </p>
          <p>
            <b>Diffusion</b> is the masked-diffusion baseline (a separate MDLM model): every step re-reads the whole sequence from
            scratch, with no cache, and unmasks a few positions. Its training objective gives only a <em>bound</em> on the likelihood,
            not the exact probability an any-order model computes.
          </p>
        </>
      }
    >
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void a.runDecode();
        }}
      >
        <label>
          <span className="label">Template</span>
          <textarea
            ref={area}
            className="template"
            rows={3}
            maxLength={2000}
            value={pg.text}
            onChange={(e) => set({ text: e.target.value })}
            data-testid="infill-text"
          />
        </label>
        <div className="row wrap">
          <button type="button" onClick={markGap} data-testid="infill-mark-gap" title="Select some text above, then press this to turn it into a gap of about as many tokens">
            Mark selection as gap
          </button>
          <span className="muted small">{textHasGap ? 'Gaps found: the model fills them.' : `No gap: the model continues the text by ${DEFAULT_GAP} tokens.`}</span>
        </div>

        <fieldset>
          <legend>Decoder</legend>
          <div className="row wrap">
            {STRATEGY_IDS.map((k) => (
              <label className="radio" key={k}>
                <input type="radio" name="infill-strategy" checked={pg.strategy === k} onChange={() => set({ strategy: k })} data-testid={`strategy-${k}`} />
                {STRATEGY_INFO[k].label}
              </label>
            ))}
            <button
              type="button"
              className={isAR ? 'primary' : undefined}
              aria-pressed={isAR}
              onClick={() => set(AR_PRESET)}
              data-testid="preset-ar"
              title="Group-wise with s = 1, left to right: exactly an ordinary (autoregressive) language model"
            >
              AR preset
            </button>
          </div>
          <p className="muted small strategy-note" data-testid="strategy-note" data-strategy={pg.strategy}>
            {STRATEGY_INFO[pg.strategy].note}
          </p>
          {pg.strategy === 'groupwise' || pg.strategy === 'speculative' ? (
            <div className="row wrap">
              {pg.strategy === 'groupwise' ? (
                <label className="inline">
                  group size s
                  <input type="number" min={1} max={MAX_STEP_TOKENS} value={pg.groupSize} onChange={(e) => set({ groupSize: Math.min(MAX_STEP_TOKENS, int(e.target.value, 1, pg.groupSize)) })} data-testid="pg-s" />
                </label>
              ) : (
                <label className="inline" title="Tokens drafted in parallel per round; a verify forward then keeps between 1 and D of them">
                  draft size D
                  <input
                    type="number"
                    min={KNOB_LIMITS.draft[0]}
                    max={KNOB_LIMITS.draft[1]}
                    value={pg.draft}
                    onChange={(e) => set({ draft: clampKnob('draft', e.target.value, pg.draft) })}
                    data-testid="pg-draft"
                  />
                </label>
              )}
              <label className="inline">
                order
                <select value={pg.order} onChange={(e) => set({ order: e.target.value as PlaygroundParams['order'] })} data-testid="pg-order">
                  <option value="left-to-right">left to right</option>
                  <option value="random">random</option>
                </select>
              </label>
            </div>
          ) : pg.strategy === 'dynamic' ? (
            <div className="row wrap">
              <label className="inline">
                tokens per step k
                <input type="number" min={1} max={MAX_STEP_TOKENS} value={pg.k} onChange={(e) => set({ k: Math.min(MAX_STEP_TOKENS, int(e.target.value, 1, pg.k)) })} data-testid="pg-k" />
              </label>
              <label className="inline">
                pick by
                <select value={pg.score} onChange={(e) => set({ score: e.target.value as PlaygroundParams['score'] })} data-testid="pg-score">
                  {SCORES.map((s) => (
                    <option key={s} value={s}>
                      {s === 'confidence' ? 'confidence (highest probability)' : s === 'entropy' ? 'entropy (least uncertain)' : 'random'}
                    </option>
                  ))}
                </select>
              </label>
            </div>
          ) : (
            <div className="row wrap">
              <label className="inline" title="Forwards of the MDLM model (each recomputes the whole sequence); at least one per block">
                steps
                <input
                  type="number"
                  min={KNOB_LIMITS.steps[0]}
                  max={KNOB_LIMITS.steps[1]}
                  value={pg.steps}
                  onChange={(e) => set({ steps: clampKnob('steps', e.target.value, pg.steps) })}
                  data-testid="pg-steps"
                />
              </label>
              <label className="inline" title="Open positions are unmasked block by block, left to right; 0 = all in one block">
                block length
                <input
                  type="number"
                  min={KNOB_LIMITS.blockLength[0]}
                  max={KNOB_LIMITS.blockLength[1]}
                  value={pg.blockLength}
                  onChange={(e) => set({ blockLength: clampKnob('blockLength', e.target.value, 0) })}
                  data-testid="pg-block"
                />
              </label>
              <label className="inline">
                remasking
                <select value={pg.remasking} onChange={(e) => set({ remasking: e.target.value as PlaygroundParams['remasking'] })} data-testid="pg-remasking">
                  {REMASKINGS.map((r) => (
                    <option key={r} value={r}>
                      {r === 'low_confidence' ? 'low confidence (unmask the surest)' : 'random'}
                    </option>
                  ))}
                </select>
              </label>
              <span className="muted small" data-testid="mdlm-status" data-status={mdlm.status}>
                {mdlm.shipped === false || mdlm.status === 'missing'
                  ? 'MDLM weights are not shipped (public/weights/mdlm): the baseline cannot run.'
                  : mdlm.status === 'loaded'
                    ? 'MDLM model loaded.'
                    : mdlm.status === 'loading'
                      ? 'loading the MDLM model…'
                      : mdlm.status === 'error'
                        ? `MDLM model failed to load: ${mdlm.note ?? ''}`
                        : 'The MDLM model is loaded on the first run.'}
              </span>
            </div>
          )}
          <div className="row wrap">
            <label className="inline">
              temperature
              <input type="number" min={0} max={10} step={0.1} value={pg.temperature} disabled={pg.greedy} onChange={(e) => set({ temperature: Math.max(0, Number(e.target.value) || 0) })} data-testid="pg-temp" />
            </label>
            <label className="inline" title="0 = off">
              top-k
              <input type="number" min={0} value={pg.topK} disabled={pg.greedy} onChange={(e) => set({ topK: int(e.target.value, 0, 0) })} data-testid="pg-topk" />
            </label>
            <label className="inline">
              top-p
              <input type="number" min={0} max={1} step={0.05} value={pg.topP} disabled={pg.greedy} onChange={(e) => set({ topP: Math.min(1, Number(e.target.value) || 1) })} data-testid="pg-topp" />
            </label>
            <label className="radio">
              <input type="checkbox" checked={pg.greedy} onChange={(e) => set({ greedy: e.target.checked })} data-testid="pg-greedy" />
              greedy
            </label>
            <label className="inline">
              seed
              <input type="number" min={0} value={pg.seed} onChange={(e) => set({ seed: int(e.target.value, 0, 0) })} data-testid="pg-seed" />
            </label>
            <button type="submit" className="primary" disabled={!modelReady || decode.status === 'running'} data-testid="infill-run">
              {decode.status === 'running' ? 'Decoding…' : 'Run'}
            </button>
          </div>
        </fieldset>
      </form>

      {decode.error ? (
        <p className="inline-error" data-testid="infill-error">
          {decode.error}
        </p>
      ) : null}

      {result && strip ? (
        <div data-testid="infill-result" data-strategy={decode.request?.strategy} data-trace-strategy={result.trace.strategy}>
          <h3>Result</h3>
          <FilledText result={result} testId="infill-output" />
          <p
            className="counts"
            data-testid="decode-stats"
            data-nfe={result.trace.nfe}
            data-steps={T}
            data-generated={result.trace.generated}
            data-ms={result.trace.totalMs}
            data-tps={result.trace.tokensPerSec}
          >
            {result.trace.generated} tokens in {T} steps · NFE {result.trace.nfe} · {fmtMs(result.trace.totalMs)} · {result.trace.tokensPerSec.toFixed(1)} tokens/s
            {decode.request ? ` · ${describeRequest(decode.request)}` : ''}
            {decode.kind && decode.kind !== 'a3' ? ` · on the ${MODEL_LABEL[decode.kind]} model` : ''}
          </p>
          {spec && typeof spec.acceptedPerForward === 'number' ? (
            <p className="counts" data-testid="decode-accepted" data-accepted-per-forward={spec.acceptedPerForward} data-rounds={spec.rounds?.length ?? 0}>
              <b>{spec.acceptedPerForward.toFixed(2)}</b> accepted tokens per forward
              {spec.rounds?.length
                ? ` · ${spec.rounds.length} draft + verify round${spec.rounds.length === 1 ? '' : 's'}, ${(spec.rounds.reduce((x, r) => x + r.accepted, 0) / spec.rounds.length).toFixed(2)} tokens kept per round (at most ${Math.max(...spec.rounds.map((r) => r.drafted))})`
                : ''}
              . An AR model keeps exactly 1 per forward; the sample's distribution is the same.
            </p>
          ) : null}
          {decode.kind === 'mdlm' ? (
            <p className="muted small" data-testid="diffusion-note">
              Every step recomputed all positions (no cache); the MDLM model&apos;s likelihood is only a bound, so it cannot score this text exactly.
            </p>
          ) : null}

          <h3>Replay</h3>
          <div className="row wrap controls step-controls">
            <button type="button" onClick={() => a.stepDecode(-T)} disabled={t <= 0} aria-label="first step" title="first step" data-testid="decode-first">
              |◀
            </button>
            <button type="button" onClick={() => a.stepDecode(-1)} disabled={t <= 0} aria-label="previous step" title="previous step" data-testid="decode-prev">
              ◀
            </button>
            <button type="button" onClick={() => a.setDecodePlaying(!decode.playing)} disabled={T < 2} aria-label={decode.playing ? 'pause' : 'play'} data-testid="decode-play">
              {decode.playing ? '‖ pause' : '▶ play'}
            </button>
            <button type="button" onClick={() => a.stepDecode(1)} disabled={t >= T - 1} aria-label="next step" title="next step" data-testid="decode-next">
              ▶
            </button>
            <button type="button" onClick={() => a.stepDecode(T)} disabled={t >= T - 1} aria-label="last step" title="last step" data-testid="decode-last">
              ▶|
            </button>
            <label className="inline">
              speed
              <select value={decode.speed} onChange={(e) => a.setDecodeSpeed(Number(e.target.value))} data-testid="decode-speed">
                {DECODE_SPEEDS.map((s) => (
                  <option key={s} value={s}>
                    {s} steps/s
                  </option>
                ))}
              </select>
            </label>
            <span
              className="step-readout"
              data-testid="decode-step"
              data-step={t}
              data-given={counts.given}
              data-open={counts.open}
              data-current={counts.current}
              data-earlier={counts.earlier}
            >
              step {T ? t + 1 : 0} of {T} · {counts.current} just committed, {counts.earlier} earlier, {counts.open} still open
            </span>
          </div>
          <TokenStrip data={strip} onSelectToken={(i) => setSelected((s) => (s === i ? null : i))} onHoverToken={setHovered} />

          {current ? (
            <StepDetails
              step={current}
              index={t}
              result={result}
              focus={focus}
              tokenText={tokenText}
              onSelect={setSelected}
              name={stepNames?.[t]}
              round={spec?.rounds && stepNames ? spec.rounds[stepNames.slice(0, t + 1).filter((n) => n === 'draft').length - 1] : undefined}
            />
          ) : null}

          <CommitTimeline
            data={{ length: result.labels.length, given: result.trace.given, steps, current: t, labels: result.labels, stepNames }}
            onSelectStep={(s) => a.setDecodeStep(s)}
          />

          <h3>Order of the groups</h3>
          <p className="muted small">Colour = the step that committed each token (lighter = earlier); the current step is outlined.</p>
          <GroupOrder data={{ labels: result.labels, gids: result.trace.groupIds, given: result.trace.given, current: current?.groupId }} />

          {decode.kind === 'mdlm' ? null : (
            <details className="masks" open={showMasks} onToggle={(e) => setShowMasks((e.currentTarget as HTMLDetailsElement).open)}>
              <summary data-testid="infill-masks-toggle">Masks of the final groups ({result.labels.length} × {result.labels.length})</summary>
              <p className="muted small">
                The decode, replayed as one A3 forward with these group ids: the query stream at a generated position saw only the tokens
                committed in earlier steps (and the given text).
              </p>
              {showMasks ? <MaskMatrix data={{ gids: result.trace.groupIds, labels: result.labels }} /> : null}
            </details>
          )}

          <p>
            {exportHref ? (
              <a href={exportHref} download={`a3-trace-${decode.request?.strategy ?? 'decode'}.json`} data-testid="infill-export">
                Export trace (JSON)
              </a>
            ) : null}
          </p>
        </div>
      ) : (
        <p className="muted">{modelReady ? 'Press “Run” to fill the gaps.' : isDiffusion && mdlm.shipped === false ? 'The MDLM weights are not shipped.' : 'Waiting for the model…'}</p>
      )}
    </Cell>
  );
}

/** What one forward did: the tokens it committed, and the top candidates of every position it predicted. */
function StepDetails({
  step,
  index,
  result,
  focus,
  tokenText,
  onSelect,
  name,
  round,
}: {
  step: DecodeStep;
  index: number;
  result: DecodeResult;
  focus: number | null;
  tokenText: (id: number) => string;
  onSelect: (pos: number | null) => void;
  /** 'draft' / 'verify' in speculative sampling. */
  name?: string;
  /** The speculative round this step belongs to. */
  round?: { drafted: number; accepted: number };
}) {
  const committed = new Set(step.committed.map((c) => c.pos));
  const shown = step.candidates.slice(0, 24);
  const none = step.committed.length === 0;
  const kind = name ?? (none ? 'draft' : 'step');
  const how = `${fmtMs(step.ms)}${step.cached ? ' (KV cache)' : ' (full recompute)'}`;
  return (
    <div className="step-details" data-testid="step-details" data-committed={step.committed.length} data-candidates={step.candidates.length} data-kind={kind}>
      <p className="small">
        {none ? (
          <>
            <b>Step {index + 1}</b> ({kind}, group {step.groupId}) committed nothing in {how}
            {kind === 'draft'
              ? `: it proposed ${step.candidates.length} token${step.candidates.length === 1 ? '' : 's'} in parallel from the committed text alone; the next forward verifies them.`
              : '.'}
          </>
        ) : (
          <>
            <b>Step {index + 1}</b> ({kind === 'step' ? '' : `${kind}, `}group {step.groupId}) committed {step.committed.length} token{step.committed.length === 1 ? '' : 's'} in {how}
            {kind === 'verify' && round
              ? `: it checked ${round.drafted} draft${round.drafted === 1 ? '' : 's'} in one forward and kept ${round.accepted} (accepted drafts up to the first rejection, which is resampled from the corrected distribution).`
              : '.'}
          </>
        )}
      </p>
      {none ? null : (
        <table className="stages step-table">
          <thead>
            <tr>
              <th>position</th>
              <th>committed</th>
              <th>p</th>
              <th>entropy</th>
            </tr>
          </thead>
          <tbody>
            {step.committed.map((c) => (
              <tr key={c.pos} className={focus === c.pos ? 'focus' : undefined} onClick={() => onSelect(c.pos)}>
                <td>{c.pos}</td>
                <td className="mono">{displayToken(result.labels[c.pos] ?? '')}</td>
                <td>{fmtProb(c.prob)}</td>
                <td>{c.entropy.toFixed(2)} nats</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {shown.length ? (
        <>
          <p className="muted small">
            What the model considered at each position it predicted in this step (top candidates, probability). Click or hover a token
            above to highlight its row.
          </p>
          <table className="stages step-table" data-testid="step-candidates">
            <thead>
              <tr>
                <th>position</th>
                <th></th>
                <th>top candidates</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((c) => (
                <tr key={c.pos} className={focus === c.pos ? 'focus' : undefined} onClick={() => onSelect(c.pos)}>
                  <td>{c.pos}</td>
                  <td className="muted">{committed.has(c.pos) ? 'committed' : kind === 'draft' ? 'drafted' : 'stays open'}</td>
                  <td className="mono">
                    {c.top.slice(0, 5).map((x, i) => (
                      <span key={i} className="cand">
                        {tokenText(x.token)} <span className="muted">{fmtProb(x.prob)}</span>
                      </span>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {step.candidates.length > shown.length ? <p className="muted small">… and {step.candidates.length - shown.length} more positions.</p> : null}
        </>
      ) : null}
    </div>
  );
}
