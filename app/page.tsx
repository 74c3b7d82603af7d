import type { ComponentType } from 'react';
import { CompareCell } from '@/components/cells/CompareCell';
import { FineTuneCell } from '@/components/cells/FineTuneCell';
import { InfillCell } from '@/components/cells/InfillCell';
import { InspectCell } from '@/components/cells/InspectCell';
import { ModelCell } from '@/components/cells/ModelCell';
import { StudioProvider } from '@/components/notebook/StudioProvider';

/**
 * The notebook's cells, in order. Each is a client component taking its number.
 * To add one: import it and put it in this list (numbers follow the order).
 *   - InfillCell  (decoder: prompt with gaps, strategy and knobs from the store's `playground`) — goes after Model
 *   - CompareCell (A3 vs base vs MDLM on the same prompt) — goes after Infill
 */
const CELLS: { key: string; Cell: ComponentType<{ index: number }> }[] = [
  { key: 'model', Cell: ModelCell },
  { key: 'infill', Cell: InfillCell },
  { key: 'compare', Cell: CompareCell },
  { key: 'inspect', Cell: InspectCell },
  { key: 'finetune', Cell: FineTuneCell },
];

type SearchParams = Record<string, string | string[] | undefined>;

function toSearch(params: SearchParams): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : v === undefined ? [] : [v]) q.append(k, x);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * The notebook: a column of cells sharing one studio store (created per request tree by the provider).
 * The query string is read here so server and client render the same shared state (`?backend=`, playground, inspect).
 */
export default async function NotebookPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const search = toSearch(await searchParams);
  return (
    <main className="notebook">
      <header className="notebook-header">
        <h1>A3 Studio</h1>
        <p className="lede">
          An <b>any-order</b> language model you can decode, inspect and fine-tune in your browser. It can write a text in
          any order — left to right, several words at once, or filling the gaps in the middle — with one transformer.
        </p>
        <p className="start-here" data-testid="start-here">
          <b>Start here:</b> when the model has loaded (a few seconds), press <b>Run</b> in the{' '}
          <a href="#cell-infill">Infill playground</a> (or Ctrl+Enter in its text) and step through the replay of how the gaps were
          filled. Each cell&apos;s <i>How this works</i> explains the ideas.
        </p>
      </header>
      <StudioProvider search={search}>
        {CELLS.map(({ key, Cell }, i) => (
          <Cell key={key} index={i + 1} />
        ))}
      </StudioProvider>
      <footer className="notebook-footer muted small">
        Everything runs locally: the model, training and checkpoints stay in this browser. Change any setting and the
        address bar becomes a link to it.
      </footer>
    </main>
  );
}
