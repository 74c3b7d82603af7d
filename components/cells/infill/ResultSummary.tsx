'use client';
/** The outcome of a decode in words: the filled text, forwards / time / speed, and what is special about the strategy that ran. */
import type { DecodeRequest, DecodeResult } from '@/lib/a3/decode/request';
import { describeRequest } from '@/lib/a3/decode/strategies';
import type { SpeculativeTrace } from '@/lib/a3/decode/speculative';
import { MODEL_LABEL } from '@/lib/store/studio-store';
import type { ModelKind } from '@/lib/worker/protocol';
import { FilledText } from '../../notebook/FilledText';
import { formatMs } from '../../notebook/format';
import { AutoLength } from './AutoLength';

export interface ResultSummaryProps {
  result: DecodeResult;
  request: DecodeRequest | null;
  kind: ModelKind | null;
}

export function ResultSummary({ result, request, kind }: ResultSummaryProps) {
  const { trace } = result;
  const spec = request?.strategy === 'speculative' ? (trace as Partial<SpeculativeTrace>) : null;
  const rounds = spec?.rounds ?? [];
  return (
    <>
      <h3>Result</h3>
      <FilledText result={result} testId="infill-output" />
      {result.window ? (
        <p className="note small" data-testid="infill-window-note">
          Longer than the context: {result.window.note}. The greyed text is shown as written; the views below show the part that was decoded.
        </p>
      ) : null}
      <p className="counts" data-testid="decode-stats" data-nfe={trace.nfe} data-steps={trace.steps.length} data-generated={trace.generated} data-ms={trace.totalMs} data-tps={trace.tokensPerSec}>
        {trace.generated} tokens in {trace.steps.length} steps · NFE {trace.nfe} · {formatMs(trace.totalMs)} · {trace.tokensPerSec.toFixed(1)} tokens/s
        {request ? ` · ${describeRequest(request)}` : ''}
        {kind && kind !== 'a3' ? ` · on the ${MODEL_LABEL[kind]} model` : ''}
      </p>
      {request ? <AutoLength result={result} template={request.text} /> : null}
      {spec && typeof spec.acceptedPerForward === 'number' ? (
        <p className="counts" data-testid="decode-accepted" data-accepted-per-forward={spec.acceptedPerForward} data-rounds={rounds.length}>
          <b>{spec.acceptedPerForward.toFixed(2)}</b> accepted tokens per forward
          {rounds.length
            ? ` · ${rounds.length} draft + verify round${rounds.length === 1 ? '' : 's'}, ${(rounds.reduce((x, r) => x + r.accepted, 0) / rounds.length).toFixed(2)} tokens kept per round (at most ${Math.max(...rounds.map((r) => r.drafted))})`
            : ''}
          . An AR model keeps exactly 1 per forward; the sample&apos;s distribution is the same.
        </p>
      ) : null}
      {kind === 'mdlm' ? (
        <p className="muted small" data-testid="diffusion-note">
          Every step recomputed all positions (no cache); the MDLM model&apos;s likelihood is only a bound, so it cannot score this text exactly.
        </p>
      ) : null}
    </>
  );
}
