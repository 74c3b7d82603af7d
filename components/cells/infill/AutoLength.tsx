'use client';
/**
 * What `[__?__]` chose: the length of each automatic gap and why (the rule of lib/a3/decode/auto-length.ts:
 * every candidate length is decoded and the completion with the highest log-probability per token wins),
 * with the score of every length tried when the result carries the trials.
 */
import type { DecodeResult } from '@/lib/a3/decode/request';
import { AUTO_LENGTHS, findGaps } from '@/lib/a3/decode/gaps';

export function AutoLength({ result, template }: { result: DecodeResult; template: string }) {
  const auto = findGaps(template).map((g) => g.size === 'auto');
  const gaps = auto.flatMap((isAuto, i) => (isAuto && result.spans[i] ? [{ index: i, length: result.spans[i].length }] : []));
  if (gaps.length === 0) return null;
  const trials = result.trials ?? [];
  return (
    <div className="note" data-testid="auto-length" data-lengths={gaps.map((g) => g.length).join(',')}>
      {gaps.map((g) => {
        const tried = trials.filter((t) => t.span === g.index);
        return (
          <p key={g.index} className="small">
            Gap {g.index + 1} (<code>[__?__]</code>): the model chose <b>{g.length} tokens</b>. It filled the gap at each length it tried (
            {tried.length
              ? tried.map((t, i) => (
                  <span key={t.length} data-testid="auto-trial" data-length={t.length} data-chosen={t.length === g.length}>
                    {i ? ', ' : ''}
                    {t.length === g.length ? <b>{`${t.length}: ${t.logProbPerToken.toFixed(2)}`}</b> : `${t.length}: ${t.logProbPerToken.toFixed(2)}`}
                  </span>
                ))
              : AUTO_LENGTHS.join(', ')}
            {tried.length ? ' nats per token' : ' tokens'}) and kept the one whose tokens it found most likely on average (the highest log-probability per token;
            ties go to the shorter gap).
          </p>
        );
      })}
    </div>
  );
}
