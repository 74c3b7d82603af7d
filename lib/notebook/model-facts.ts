/**
 * What the page can honestly say about the shipped model before anyone runs it: how many tokens it
 * was trained on, read from the training.json the scripts write next to the weights (base: the
 * left-to-right pretraining; a3: the any-order adaptation on top of it). No tfjs, no React.
 */

export interface TrainingFacts {
  /** Tokens the base model saw while pretraining left to right. */
  pretrainTokens: number | null;
  /** Tokens the A3 curriculum added (null when the slot holds the base model). */
  adaptTokens: number | null;
}

/** What the scripts train on (scripts/build-corpus.ts); training.json records counts, not names. */
export const CORPUS_DESCRIPTION = 'public-domain novels from Project Gutenberg and the Brown corpus';

const count = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) && x > 0 ? x : null);

async function readJson(url: string, fetchImpl: typeof fetch): Promise<Record<string, unknown> | null> {
  try {
    const res = await fetchImpl(url);
    return res.ok ? ((await res.json()) as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Facts for the weights in the A3 slot (`a3`, or `base` standing in); unknown figures are null. */
export async function trainingFacts(source: 'a3' | 'base', weightsBase = '/weights/', fetchImpl: typeof fetch = (...a) => fetch(...a)): Promise<TrainingFacts> {
  const [base, a3] = await Promise.all([readJson(`${weightsBase}base/training.json`, fetchImpl), source === 'a3' ? readJson(`${weightsBase}a3/training.json`, fetchImpl) : null]);
  // adaptTokensInAll: a rehearsal after the curriculum records the curriculum's tokens too (scripts/lib/adapt-plan.ts initRecord).
  return { pretrainTokens: count(base?.tokensSeen), adaptTokens: count(a3?.adaptTokensInAll ?? a3?.totalTokens) };
}
