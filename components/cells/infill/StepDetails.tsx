'use client';
/**
 * What one forward of a decode did: the tokens it committed (p, entropy), a speculative draft's drafted tokens and
 * what verification made of each, and the top candidates of every position it predicted; above them, what the
 * decoder ran differently from what it was asked (the trace's notes).
 */
import { formatProb } from '@/components/views/format';
import { displayToken } from '@/components/views';
import type { DecodeStep, DraftedToken } from '@/lib/a3/decode/trace';
import { formatMs } from '../../notebook/format';

export interface StepDetailsProps {
  step: DecodeStep;
  index: number;
  /** Display text of every position (the result's labels). */
  labels: readonly string[];
  focus: number | null;
  /** Display text of candidate token `id` at position `pos`. */
  candidateText: (pos: number, id: number) => string;
  onSelect: (pos: number | null) => void;
  /** 'draft' / 'verify' in speculative sampling. */
  name?: string;
  /** The speculative round this step belongs to. */
  round?: { drafted: number; accepted: number };
  /** The trace's notes (e.g. "64 steps asked, 8 run"): true of every step, so shown with each. */
  notes?: readonly string[];
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

const OUTCOME: Record<DraftedToken['outcome'], string> = {
  accepted: 'accepted: kept as drafted',
  rejected: 'rejected: resampled from the corrected distribution',
  discarded: 'discarded: after a rejection, never judged',
};

export function StepDetails({ step, index, labels, focus, candidateText, onSelect, name, round, notes }: StepDetailsProps) {
  const committed = new Set(step.committed.map((c) => c.pos));
  const shown = step.candidates.slice(0, 24);
  const none = step.committed.length === 0;
  const kind = name ?? (none ? 'draft' : 'step');
  const how = `${formatMs(step.ms)}${step.cached ? ' (KV cache)' : ' (full recompute)'}`;
  const rowClass = (pos: number) => (focus === pos ? 'focus' : undefined);
  return (
    <div className="step-details" data-testid="step-details" data-committed={step.committed.length} data-candidates={step.candidates.length} data-kind={kind}>
      {notes?.length ? (
        <ul className="note small" data-testid="trace-notes">
          {notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      ) : null}
      <p className="small">
        {none ? (
          <>
            <b>Step {index + 1}</b> ({kind}, group {step.groupId}) committed nothing in {how}
            {kind === 'draft' ? `: it proposed ${plural(step.candidates.length, 'token')} in parallel from the committed text alone; the next forward verifies them.` : '.'}
          </>
        ) : (
          <>
            <b>Step {index + 1}</b> ({kind === 'step' ? '' : `${kind}, `}group {step.groupId}) committed {plural(step.committed.length, 'token')} in {how}
            {kind === 'verify' && round
              ? `: it checked ${plural(round.drafted, 'draft')} in one forward and kept ${round.accepted} (accepted drafts up to the first rejection, which is resampled from the corrected distribution).`
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
              <tr key={c.pos} className={rowClass(c.pos)} onClick={() => onSelect(c.pos)}>
                <td>{c.pos}</td>
                <td className="mono">{displayToken(labels[c.pos] ?? '')}</td>
                <td>{formatProb(c.prob)}</td>
                <td>{c.entropy.toFixed(2)} nats</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {step.drafted?.length ? <DraftedTable drafted={step.drafted} candidateText={candidateText} rowClass={rowClass} onSelect={onSelect} /> : null}
      {shown.length ? (
        <>
          <p className="muted small">
            What the model considered at each position it predicted in this step (top candidates, probability). Click or hover a token above to highlight its row.
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
                <tr key={c.pos} className={rowClass(c.pos)} onClick={() => onSelect(c.pos)}>
                  <td>{c.pos}</td>
                  <td className="muted">{committed.has(c.pos) ? 'committed' : kind === 'draft' ? 'drafted' : 'stays open'}</td>
                  <td className="mono">
                    {c.top.slice(0, 5).map((x, i) => (
                      <span key={i} className="cand">
                        {displayToken(candidateText(c.pos, x.token))} <span className="muted">{formatProb(x.prob)}</span>
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

/** A draft forward's tokens, in draft order, with the draft probability q and what verification made of each. */
function DraftedTable({ drafted, candidateText, rowClass, onSelect }: { drafted: readonly DraftedToken[]; candidateText: (pos: number, id: number) => string; rowClass: (pos: number) => string | undefined; onSelect: (pos: number | null) => void }) {
  const count = (o: DraftedToken['outcome']) => drafted.filter((d) => d.outcome === o).length;
  return (
    <table className="stages step-table" data-testid="step-drafted" data-accepted={count('accepted')} data-rejected={count('rejected')} data-discarded={count('discarded')}>
      <thead>
        <tr>
          <th>position</th>
          <th>drafted</th>
          <th>q (draft)</th>
          <th>verification</th>
        </tr>
      </thead>
      <tbody>
        {drafted.map((d) => (
          <tr key={d.pos} className={rowClass(d.pos)} onClick={() => onSelect(d.pos)} data-outcome={d.outcome}>
            <td>{d.pos}</td>
            <td className="mono">{displayToken(candidateText(d.pos, d.token))}</td>
            <td>{formatProb(d.prob)}</td>
            <td className={d.outcome === 'accepted' ? undefined : 'muted'}>{OUTCOME[d.outcome]}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
