'use client';
/**
 * Cell "Compare decoders": the playground's text and gaps through several
 * decoders, one after another in the worker, side by side — the real
 * left-to-right baseline (the base model's causal stream, loaded on first use),
 * A3 left to right (s = 1), A3 group-wise with the playground's s, A3 dynamic
 * with its k — with the model each runs on, filled text, NFE, time and
 * tokens/s. MDLM (masked diffusion, its own weights) runs only when shipped; otherwise its row says so.
 */
import { MODEL_LABEL, MODEL_SHORT, type CompareRow } from '@/lib/store/studio-store';
import { ActiveWeights } from '../notebook/ActiveWeights';
import { Cell, CellErrors } from '../notebook/Cell';
import { FilledText } from '../notebook/FilledText';
import { formatMs } from '../notebook/format';
import { useStudio, useStudioActions } from '../notebook/StudioProvider';

/** The rows' errors, each message once with the rows it stopped (one bad template fails every row alike). */
export function groupRowErrors(rows: readonly CompareRow[]): { message: string; rows: string[] }[] {
  const by = new Map<string, string[]>();
  for (const r of rows) if (r.status === 'error' && r.error) by.set(r.error, [...(by.get(r.error) ?? []), r.name]);
  return [...by].map(([message, names]) => ({ message, rows: names }));
}

export function CompareCell({ index }: { index: number }) {
  const compare = useStudio((s) => s.compare);
  const pg = useStudio((s) => s.playground);
  const modelReady = useStudio((s) => s.models.a3.status === 'loaded');
  const a3IsBase = useStudio((s) => s.models.a3.source === 'base');
  const a = useStudioActions();
  const running = compare.status === 'running';
  const rowErrors = groupRowErrors(compare.rows);
  const shared = new Set(rowErrors.filter((e) => e.rows.length > 1).map((e) => e.message));
  // Non-null: the filter keeps only rows with a result.
  const fastest = Math.min(...compare.rows.filter((r) => r.result).map((r) => r.result!.trace.totalMs));

  return (
    <Cell
      index={index}
      id="compare"
      title="Compare decoders"
      state={compare.status}
      errorsOnTop={false}
      explain={
        <p>
          The same text and gaps (from the Infill playground above), filled by different decoders with the same sampling settings and
          seed. The first row is an ordinary left-to-right model (the base model A3 was adapted from): one network pass (NFE) per token,
          and it sees only the text before each gap. A3 group-wise needs one pass per group of s tokens, and dynamic one per k tokens —
          fewer passes, usually a little less fluent text — and both read the text on both sides of a gap.
        </p>
      }
    >
      <div className="row wrap">
        <button type="button" className="primary" onClick={() => void a.runCompare()} disabled={!modelReady || running} data-testid="compare-run">
          {running ? 'Comparing…' : 'Compare'}
        </button>
        <span className="muted small">
          text: “{pg.text.length > 80 ? `${pg.text.slice(0, 80)}…` : pg.text}” · group-wise s = {pg.groupSize} · dynamic k = {pg.k} ·{' '}
          {pg.greedy ? 'greedy' : `temperature ${pg.temperature}`} · seed {pg.seed}
        </span>
      </div>
      {rowErrors.length ? (
        <ul className="cell-errors" role="alert" data-testid="errors-compare">
          {rowErrors.map((e) => (
            <li key={e.message}>
              {e.rows.length > 1 ? `${e.rows.length} decoders failed: ${e.message}` : `${e.rows[0]}: ${e.message}`}
            </li>
          ))}
        </ul>
      ) : (
        <CellErrors cell="compare" />
      )}
      <p className="row wrap small">
        <ActiveWeights kind="a3" /> <ActiveWeights kind="base" /> <ActiveWeights kind="mdlm" />
      </p>
      {a3IsBase ? (
        <p className="note" data-testid="compare-a3-note">
          The A3 model is not shipped yet, so the rows marked “A3” run the base model&apos;s weights as well; their query stream is
          untrained, so compare the step counts and speed, not the words.
        </p>
      ) : null}
      {compare.rows.length ? (
        // Six columns do not fit a phone: the table scrolls sideways inside its box instead of being cut off by the cell.
        <div className="table-scroll" data-testid="compare-scroll">
          <table className="compare" data-testid="compare-table">
            <thead>
              <tr>
                <th>decoder</th>
                <th>model</th>
                <th>filled text</th>
                <th>NFE</th>
                <th>time</th>
                <th>tokens/s</th>
              </tr>
            </thead>
            <tbody>
              {compare.rows.map((r) => (
                <tr key={r.key} data-testid={`compare-${r.key}`} data-status={r.status} data-nfe={r.result?.trace.nfe}>
                  <td>
                    <b>{r.name}</b>
                  </td>
                  <td title={MODEL_LABEL[r.kind]} data-testid={`compare-model-${r.key}`} data-kind={r.kind}>
                    {MODEL_SHORT[r.kind]}
                  </td>
                  <td>
                    {r.result ? <FilledText result={r.result} /> : null}
                    {r.status === 'running' ? <span className="muted">{r.note ?? 'decoding…'}</span> : null}
                    {r.status === 'idle' ? <span className="muted">waiting…</span> : null}
                    {r.error ? <span className="inline-error">{shared.has(r.error) ? 'failed: see the error above' : r.error}</span> : null}
                    {r.note && r.status !== 'running' ? <p className="muted small">{r.note}</p> : null}
                  </td>
                  <td className="num">{r.result ? r.result.trace.nfe : '—'}</td>
                  <td className="num">
                    {r.result ? formatMs(r.result.trace.totalMs) : '—'}
                    {r.result && r.result.trace.totalMs === fastest && compare.status === 'done' ? <span className="badge badge-ready">fastest</span> : null}
                  </td>
                  <td className="num">{r.result ? r.result.trace.tokensPerSec.toFixed(1) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="muted">{modelReady ? 'Press “Compare” to run every decoder on the playground text.' : 'Waiting for the model…'}</p>
      )}
      <p className="muted small">
        Times are measured in the worker on this device, one decoder after another; small differences between runs are noise.
      </p>
    </Cell>
  );
}
