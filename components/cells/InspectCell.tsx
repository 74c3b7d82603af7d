'use client';
/**
 * Cell "Inside the two streams": tokenise a short text in the worker, choose a
 * group plan, and see the content/query masks it implies, the order groups are
 * predicted in, and where one position looks (attention) in each stream.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { GroupOrder, MaskMatrix, displayToken, maskCounts, stepColor, textOn } from '@/components/views';
import { textLengthLimit } from '@/lib/a3/config';
import { describeGrouping, groupIdsFor, groupingKindOptions, type GroupingKind, type GroupingSpec } from '@/lib/a3/groups';
import { INSPECT_PLAN_KINDS, modelContext } from '@/lib/store';
import { Cell } from '../notebook/Cell';
import { NumberKnob } from '../notebook/controls';
import { ActiveWeights } from '../notebook/ActiveWeights';
import { useStudio, useStudioActions, useStudioStore } from '../notebook/StudioProvider';
import { useTokenTexts } from '../notebook/token-text';
import { AttentionPanel } from './inspect/AttentionPanel';

/** The plan radios: the kinds a shared link can select (url-params.ts), in groups.ts's words. */
const PLAN_OPTIONS = groupingKindOptions(INSPECT_PLAN_KINDS);

const NO_LABELS: readonly string[] = [];

export function InspectCell({ index }: { index: number }) {
  const inspect = useStudio((s) => s.inspect);
  const tokenizer = useStudio((s) => s.tokenizer);
  const modelReady = useStudio((s) => s.models.a3.status === 'loaded');
  const context = useStudio((s) => modelContext(s, 'a3'));
  const a = useStudioActions();
  const store = useStudioStore();
  const readState = store.getState;
  const [size, setSize] = useState(inspect.plan.kind === 'contiguous' || inspect.plan.kind === 'random' ? inspect.plan.size : 2);
  const [seed, setSeed] = useState(inspect.plan.kind === 'random' ? (inspect.plan.seed ?? 0) : 0);
  const { snapshot, plan } = inspect;

  useEffect(() => void a.loadTokenizer(), [a]);
  // Token texts decoded across pieces (a character split over tokens shows on the token that completes it).
  const { labels } = useTokenTexts(snapshot?.tokens, snapshot?.labels ?? NO_LABELS);
  const cacheTokens = useMemo(() => (tokenizer && inspect.tokenCache ? tokenizer.encode(inspect.tokenCache.text) : undefined), [tokenizer, inspect.tokenCache]);
  const { labels: buttonLabels } = useTokenTexts(cacheTokens, inspect.tokenCache?.labels ?? NO_LABELS);

  // First look as soon as a model is there; afterwards a plan change re-runs the (one-forward) inspection.
  const started = useRef(false);
  useEffect(() => {
    if (modelReady && !started.current) {
      started.current = true;
      void a.runInspect();
    }
  }, [modelReady, a]);
  const tokensKnown = inspect.tokenCache?.text === inspect.text;
  useEffect(() => {
    if (!started.current || !tokensKnown) return;
    const ids = a.currentGroupIds();
    const shown = readState().inspect.snapshot;
    if (shown && ids && shown.labels.length === ids.length && shown.groupIds.every((g, i) => g === ids[i])) return;
    const t = setTimeout(() => void a.runInspect(), 150);
    return () => clearTimeout(t);
  }, [plan, tokensKnown, a, readState]);

  const choose = (kind: GroupingKind, s = size, sd = seed) => {
    const next: GroupingSpec =
      kind === 'left-to-right'
        ? { kind }
        : kind === 'contiguous'
          ? { kind, size: s }
          : kind === 'random'
            ? { kind, size: s, seed: sd }
            : { kind: 'explicit', gids: a.currentGroupIds() ?? [] };
    a.setInspectPlan(next);
  };

  const gids = useMemo(() => snapshot?.groupIds ?? [], [snapshot]);
  const n = labels.length;
  const counts = useMemo(() => (n ? maskCounts(gids) : null), [gids, n]);
  // Non-null: tokensKnown means tokenCache.text matched the (string) text, so tokenCache is set.
  const planned = tokensKnown ? Array.from(groupIdsFor(plan, inspect.tokenCache!.labels.length)) : null;
  const maxGroup = Math.max(0, ...(planned ?? gids));

  return (
    <Cell
      index={index}
      id="inspect"
      title="Inside the two streams"
      state={inspect.status}
      explain={
        <>
          <p>
            A3 splits the positions of a text into <b>groups</b> and predicts them group by group; the tokens of one group are
            predicted together. The same transformer runs two streams side by side. The <b>content stream</b> reads the
            actual tokens: each token may look at its own group and every earlier group. The <b>query stream</b> asks
            &ldquo;what goes here?&rdquo;: it knows only the position, and may look at strictly earlier groups — never at the
            token it must predict. With one token per group, left to right, this is an ordinary language model.
          </p>
        </>
      }
    >
      <ActiveWeights />
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void a.runInspect();
        }}
      >
        <label className="grow">
          <span className="label">Text</span>
          <input type="text" value={inspect.text} maxLength={textLengthLimit({ maxLen: context })} onChange={(e) => a.setInspectText(e.target.value)} data-testid="inspect-text" />
        </label>
        <button type="submit" disabled={!modelReady || inspect.status === 'running'} data-testid="inspect-run">
          {inspect.status === 'running' ? 'Tokenising…' : 'Tokenise & inspect'}
        </button>
      </form>

      <fieldset className="plan">
        <legend>Group plan</legend>
        <div className="row wrap">
          {PLAN_OPTIONS.map((p) => (
            <label key={p.value} className="radio">
              <input type="radio" name="inspect-plan" value={p.value} checked={plan.kind === p.value} onChange={() => choose(p.value)} data-testid={`plan-${p.value}`} />
              {p.label}
              {p.value === 'explicit' ? ' (click tokens)' : null}
            </label>
          ))}
          {plan.kind === 'contiguous' || plan.kind === 'random' ? (
            <NumberKnob
              label="size s"
              value={size}
              min={1}
              max={64}
              integer
              onCommit={(s) => {
                setSize(s);
                choose(plan.kind, s);
              }}
              testId="plan-size"
            />
          ) : null}
          {plan.kind === 'random' ? (
            <NumberKnob
              label="seed"
              value={seed}
              min={0}
              max={2 ** 31}
              integer
              onCommit={(sd) => {
                setSeed(sd);
                choose('random', size, sd);
              }}
              testId="plan-seed"
            />
          ) : null}
        </div>
        <p className="muted small">{describeGrouping(plan)}</p>
        {plan.kind === 'explicit' && planned ? (
          <div className="custom-groups">
            <NumberKnob label="clicking a token puts it in group" value={inspect.brush} min={0} max={63} integer onCommit={(brush) => a.setInspectView({ brush })} testId="plan-brush" />
            <div className="token-buttons">
              {buttonLabels.map((l, i) => {
                const bg = stepColor(planned[i], maxGroup + 1);
                return (
                  <button key={i} type="button" style={{ background: bg, color: textOn(bg) }} onClick={() => a.assignGroup(i)} title={`position ${i}, group ${planned[i]}`} data-testid={`token-${i}`}>
                    {displayToken(l)}
                    <sub>{planned[i]}</sub>
                  </button>
                );
              })}
            </div>
          </div>
        ) : null}
      </fieldset>

      {snapshot && counts ? (
        <>
          <h3>Prediction order</h3>
          <p className="muted small">Colour = the group; lighter groups are predicted first. Tokens of one group are predicted in one step.</p>
          <GroupOrder data={{ labels, gids }} />

          <h3>Who may look at whom</h3>
          <p className="muted small">
            Row = the token that is looking, column = the token it looks at. Dark = allowed. The query stream&apos;s diagonal is
            always blocked: a position may not see the answer it predicts.
          </p>
          <p className="counts" data-testid="mask-counts" data-n={n} data-content-allowed={counts.content.allowed} data-content-blocked={counts.content.blocked} data-query-allowed={counts.query.allowed} data-query-blocked={counts.query.blocked}>
            {n} tokens, {new Set(gids).size} groups · content: {counts.content.allowed} allowed / {counts.content.blocked} blocked · query:{' '}
            {counts.query.allowed} allowed / {counts.query.blocked} blocked
          </p>
          <MaskMatrix data={{ gids, labels }} />

          <AttentionPanel snapshot={snapshot} labels={labels} />
        </>
      ) : (
        <p className="muted">{modelReady ? 'Press “Tokenise & inspect”.' : 'Waiting for the model…'}</p>
      )}
    </Cell>
  );
}
