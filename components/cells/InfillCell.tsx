'use client';
/**
 * Cell "Infill playground": write a text with gaps, pick a decoder (A3 group-wise, dynamic,
 * speculative, the AR preset — the base model left to right — or the diffusion baseline), run it in the
 * worker, and replay the decode step by step. Ready once the model the chosen decoder runs on can be
 * used: the A3 model, or a baseline's own model, which loads on its first run. Composition only: the
 * parts live in ./infill/. Strategy and knobs are the store's URL-synced `playground`.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { GroupOrder, MaskMatrix } from '@/components/views';
import { checkTemplate } from '@/lib/a3/decode/infill';
import { AR_PRESET } from '@/lib/a3/decode/strategies';
import { decodeModelKind, modelContext, playgroundRequest } from '@/lib/store';
import { ActiveWeights } from '../notebook/ActiveWeights';
import { Cell, CellErrors } from '../notebook/Cell';
import { FieldChecks, hasInvalidField, runShortcut, useFieldChecks } from '../notebook/controls';
import { useStudio, useStudioActions } from '../notebook/StudioProvider';
import { useTokenTexts } from '../notebook/token-text';
import { DecoderKnobs } from './infill/DecoderKnobs';
import { Expectations } from './infill/Expectations';
import { InfillExplain } from './infill/InfillExplain';
import { LazyModelStatus } from './infill/LazyModelStatus';
import { Replay } from './infill/Replay';
import { ResultSummary } from './infill/ResultSummary';
import { TemplateEditor } from './infill/TemplateEditor';

const NO_LABELS: readonly string[] = [];

export function InfillCell({ index }: { index: number }) {
  const pg = useStudio((s) => s.playground);
  const decode = useStudio((s) => s.decode);
  const a3Ready = useStudio((s) => s.models.a3.status === 'loaded');
  const backendReady = useStudio((s) => s.backend.status === 'ready');
  const kind = decodeModelKind(pg.strategy);
  const lazy = useStudio((s) => ({ shipped: s.shipped[kind], status: s.models[kind].status }));
  const tokenizer = useStudio((s) => s.tokenizer);
  // The context of the model this strategy runs on (until a baseline's model loads, the A3 model's).
  const maxLen = useStudio((s) => modelContext(s, decodeModelKind(s.playground.strategy)));
  const a = useStudioActions();
  const checks = useFieldChecks();
  const form = useRef<HTMLFormElement>(null);
  const [showMasks, setShowMasks] = useState(false);
  useEffect(() => void a.loadTokenizer(), [a]);

  const { result } = decode;
  const isAR = pg.strategy === AR_PRESET.strategy;
  // A baseline (AR on the base model, diffusion on MDLM) needs only a backend and shipped weights: it loads them on its first run.
  const lazyMissing = kind !== 'a3' && (lazy.shipped === false || lazy.status === 'missing');
  const modelReady = kind === 'a3' ? a3Ready : backendReady && !lazyMissing;
  // The worker's own rule (run.ts refuses with it), checked as the user types: the hint and Run never disagree.
  const check = useMemo(() => (tokenizer ? checkTemplate(playgroundRequest(pg), tokenizer, maxLen) : null), [pg, tokenizer, maxLen]);
  const canRun = modelReady && decode.status !== 'running' && checks.invalid.size === 0 && !check?.problem;
  // A result stays on screen, dimmed, once it no longer answers what is shown: the template changed or the last run failed.
  const stale = result !== null && (decode.status === 'error' || decode.request?.text !== pg.text);
  const { labels, candidate } = useTokenTexts(result?.trace.tokens, result?.labels ?? NO_LABELS);
  const exportHref = useMemo(
    () => (result ? `data:application/json;charset=utf-8,${encodeURIComponent(JSON.stringify({ request: decode.request, ...result }, null, 1))}` : null),
    [result, decode.request],
  );
  const run = () => {
    if (canRun && !hasInvalidField(form.current)) void a.runDecode();
  };

  return (
    <Cell index={index} id="infill" title="Infill playground" state={decode.status} explain={<InfillExplain />} errorsOnTop={false}>
      <form
        ref={form}
        noValidate
        onKeyDown={(e) => runShortcut(run)(e)}
        onSubmit={(e) => {
          e.preventDefault();
          run();
        }}
      >
        <TemplateEditor text={pg.text} onChange={(text) => a.setPlayground({ text })} tokenizer={tokenizer} check={check} maxLen={maxLen}>
          <button type="submit" className="primary" disabled={!canRun} title="Run (Ctrl+Enter or ⌘+Enter)" data-testid="infill-run">
            {decode.status === 'running' ? 'Decoding…' : 'Run'}
          </button>
          {checks.invalid.size ? (
            <span className="field-error" data-testid="infill-run-blocked">
              Run waits: fix the highlighted value below
            </span>
          ) : null}
        </TemplateEditor>
        <CellErrors cell="infill" />
        <Expectations />
        <ActiveWeights kind={kind} />
        <FieldChecks checks={checks}>
          <DecoderKnobs
            strategy={pg.strategy}
            onStrategy={(strategy) => a.setPlayground({ strategy })}
            values={pg}
            onKnob={(patch) => a.setPlayground(patch)}
            greedy={pg.greedy}
            onGreedy={(greedy) => a.setPlayground({ greedy })}
            isAR={isAR}
            onARPreset={() => a.setPlayground(AR_PRESET)}
            status={kind !== 'a3' ? <LazyModelStatus kind={kind} /> : null}
          />
        </FieldChecks>
      </form>

      {result ? (
        <div
          className={stale ? 'stale' : undefined}
          data-testid="infill-result"
          data-stale={stale || undefined}
          data-strategy={decode.request?.strategy}
          data-trace-strategy={result.trace.strategy}
        >
          {stale ? (
            <p className="note small" data-testid="infill-stale">
              {decode.status === 'error' ? 'The last run failed (the message is above); this is the result of the run before it' : 'This result is for an earlier template'}
              : “{decode.request?.text}”. Press Run to decode the template above.
            </p>
          ) : null}
          <ResultSummary result={result} request={decode.request} kind={decode.kind} />
          <Replay result={result} labels={labels} candidateText={candidate} speculative={decode.request?.strategy === 'speculative'} />
          <h3>Order of the groups</h3>
          <p className="muted small">Colour = the step that committed each token (lighter = earlier); the current step is outlined.</p>
          <GroupOrder data={{ labels, gids: result.trace.groupIds, given: result.trace.given, current: result.trace.steps[decode.step]?.groupId }} />
          {decode.kind === 'mdlm' ? null : (
            <details className="masks" open={showMasks} onToggle={(e) => setShowMasks((e.currentTarget as HTMLDetailsElement).open)}>
              <summary data-testid="infill-masks-toggle">
                Masks of the final groups ({labels.length} × {labels.length})
              </summary>
              <p className="muted small">
                The decode, replayed as one A3 forward with these group ids: the query stream at a generated position saw only the tokens committed in earlier
                steps (and the given text).
              </p>
              {showMasks ? <MaskMatrix data={{ gids: result.trace.groupIds, labels }} /> : null}
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
        <p className="muted">{modelReady ? 'Press “Run” to fill the gaps.' : lazyMissing ? `The ${kind === 'mdlm' ? 'MDLM' : 'base'} weights are not shipped.` : 'Waiting for the model…'}</p>
      )}
    </Cell>
  );
}
