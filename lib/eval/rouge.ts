/**
 * ROUGE (Lin 2004, "ROUGE: A Package for Automatic Evaluation of Summaries")
 * for one candidate against one reference.
 *
 * Tokens: the text lowercased and split on every run of non-alphanumeric
 * characters (Unicode letters and digits count as alphanumeric), so
 * "It's done." -> ["it", "s", "done"]. No stemming, no stop-word removal.
 *
 * ROUGE-N: n-gram counts with clipping: matches = Σ_g min(count_cand(g), count_ref(g));
 *   recall = matches / #ref n-grams, precision = matches / #cand n-grams,
 *   F1 = 2PR / (P + R) (0 when P + R = 0, and recall/precision are 0 when
 *   their denominator is 0).
 * ROUGE-L: LCS-based. R = LCS / |ref|, P = LCS / |cand|,
 *   F = (1 + β²) R P / (R + β² P). We use β = 1 (the harmonic mean, as the
 *   common `rouge-score` package does); Lin's paper sets β large (F ≈ R).
 */

export interface RougeScore {
  recall: number;
  precision: number;
  f1: number;
}

export interface RougeScores {
  rouge1: RougeScore;
  rouge2: RougeScore;
  rougeL: RougeScore;
}

/** Lowercased word tokens: split on every run of non-alphanumerics. */
export function rougeTokens(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((t) => t.length > 0);
}

function ngramCounts(tokens: string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join('\u0000');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function score(matches: number, refTotal: number, candTotal: number, beta = 1): RougeScore {
  const recall = refTotal > 0 ? matches / refTotal : 0;
  const precision = candTotal > 0 ? matches / candTotal : 0;
  const b2 = beta * beta;
  const f1 = recall + precision > 0 ? ((1 + b2) * recall * precision) / (recall + b2 * precision) : 0;
  return { recall, precision, f1 };
}

/** ROUGE-N on token lists. */
export function rougeNTokens(candidate: string[], reference: string[], n: number): RougeScore {
  if (!Number.isInteger(n) || n < 1) throw new Error(`ROUGE-N needs an integer n >= 1, got ${n}`);
  const cand = ngramCounts(candidate, n);
  const ref = ngramCounts(reference, n);
  let matches = 0;
  for (const [g, c] of cand) matches += Math.min(c, ref.get(g) ?? 0);
  return score(matches, Math.max(0, reference.length - n + 1), Math.max(0, candidate.length - n + 1));
}

/** Length of the longest common subsequence (O(|a|·|b|) dynamic programme, two rows). */
export function lcsLength(a: string[], b: string[]): number {
  let prev = new Int32Array(b.length + 1);
  let cur = new Int32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    }
    [prev, cur] = [cur, prev];
    cur.fill(0);
  }
  return prev[b.length];
}

/** ROUGE-L on token lists (β = 1 unless given). */
export function rougeLTokens(candidate: string[], reference: string[], beta = 1): RougeScore {
  return score(lcsLength(candidate, reference), reference.length, candidate.length, beta);
}

export function rougeN(candidate: string, reference: string, n: number): RougeScore {
  return rougeNTokens(rougeTokens(candidate), rougeTokens(reference), n);
}

export function rougeL(candidate: string, reference: string, beta = 1): RougeScore {
  return rougeLTokens(rougeTokens(candidate), rougeTokens(reference), beta);
}

/** ROUGE-1, ROUGE-2 and ROUGE-L (β = 1) of one candidate against one reference. */
export function rouge(candidate: string, reference: string): RougeScores {
  const c = rougeTokens(candidate);
  const r = rougeTokens(reference);
  return { rouge1: rougeNTokens(c, r, 1), rouge2: rougeNTokens(c, r, 2), rougeL: rougeLTokens(c, r) };
}

/** Mean of each figure over many scores (macro average, as ROUGE reports over a test set). */
export function meanRouge(scores: RougeScores[]): RougeScores {
  const mean = (pick: (s: RougeScores) => RougeScore): RougeScore => {
    const n = Math.max(1, scores.length);
    return {
      recall: scores.reduce((a, s) => a + pick(s).recall, 0) / n,
      precision: scores.reduce((a, s) => a + pick(s).precision, 0) / n,
      f1: scores.reduce((a, s) => a + pick(s).f1, 0) / n,
    };
  };
  return { rouge1: mean((s) => s.rouge1), rouge2: mean((s) => s.rouge2), rougeL: mean((s) => s.rougeL) };
}
