/**
 * Decode speed, all rows measured in one run on one model and backend:
 * 128 tokens generated after a 128-token prompt (256 positions).
 */
import type { A3Model } from '@/lib/a3/model';
import { decodeDiffusion } from '@/lib/a3/decode/diffusion';
import { decodeDynamic } from '@/lib/a3/decode/dynamic';
import { decodeGroupwise } from '@/lib/a3/decode/groupwise';
import { decodeSpeculative } from '@/lib/a3/decode/speculative';
import type { DecodeProblem } from '@/lib/a3/decode/session';
import type { DecodeTrace } from '@/lib/a3/decode/trace';
import { makeRng } from '@/lib/a3/random';

export interface DecodeRow {
  name: string;
  nfe: number;
  ms: number;
  tokensPerSec: number;
  /** The first forward: the prompt's content pass (same work for every cached decoder) plus the first targets. */
  firstForwardMs: number;
  /** Tokens per second after the first forward: the decode loop alone. */
  loopTokensPerSec: number;
}

function problem(vocab: number, prompt: number, generate: number): DecodeProblem {
  const rng = makeRng(3);
  return {
    tokens: Array.from({ length: prompt + generate }, (_, i) => (i < prompt ? 4 + Math.floor(rng() * (vocab - 4)) : 0)),
    given: Array.from({ length: prompt + generate }, (_, i) => i < prompt),
  };
}

/** Best of `repeats` runs (the machine is shared; the minimum is the least disturbed). */
async function timed(name: string, run: () => Promise<DecodeTrace>, repeats: number): Promise<DecodeRow> {
  let best: DecodeTrace | null = null;
  for (let i = 0; i < repeats; i++) {
    const t = await run();
    if (!best || t.totalMs < best.totalMs) best = t;
  }
  const t = best!;
  const first = t.steps[0];
  const loopTokens = t.generated - first.committed.length;
  return { name, nfe: t.nfe, ms: t.totalMs, tokensPerSec: t.tokensPerSec, firstForwardMs: first.ms, loopTokensPerSec: loopTokens / ((t.totalMs - first.ms) / 1000) };
}

export interface DecodeRatio {
  name: string;
  value: number;
  /** Absent for ratios reported for context only. */
  target?: number;
}

export async function benchDecode(model: A3Model, opts: { prompt?: number; generate?: number; repeats?: number } = {}): Promise<{ rows: DecodeRow[]; ratios: DecodeRatio[] }> {
  const p = problem(model.config.vocabSize, opts.prompt ?? 128, opts.generate ?? 128);
  const r = opts.repeats ?? 2;
  const sampling = { temperature: 1 };
  const rows: DecodeRow[] = [];
  const add = (row: DecodeRow) => {
    rows.push(row);
    console.log(`  ${row.name.padEnd(34)} nfe ${String(row.nfe).padStart(4)}  ${row.ms.toFixed(0).padStart(7)} ms  ${row.tokensPerSec.toFixed(1).padStart(7)} tok/s  (first forward ${row.firstForwardMs.toFixed(0)} ms, then ${row.loopTokensPerSec.toFixed(0)} tok/s)`);
    return row;
  };
  const ar = add(await timed('AR (group-wise s=1, cached)', () => decodeGroupwise(model, p, { groupSize: 1, sampling, cached: true }), r));
  const cachedBy: Record<number, DecodeRow> = {};
  const uncachedBy: Record<number, DecodeRow> = {};
  for (const s of [2, 4, 8]) {
    cachedBy[s] = add(await timed(`group-wise s=${s} (cached)`, () => decodeGroupwise(model, p, { groupSize: s, sampling, cached: true }), r));
    uncachedBy[s] = add(await timed(`group-wise s=${s} (uncached)`, () => decodeGroupwise(model, p, { groupSize: s, sampling, cached: false }), r));
  }
  for (const k of [2, 4]) add(await timed(`dynamic k=${k} (cached, confidence)`, () => decodeDynamic(model, p, { perStep: k, sampling, cached: true }), r));
  add(await timed('speculative draft=4 (cached)', () => decodeSpeculative(model, p, { draft: 4, sampling, cached: true }), r));
  add(await timed('diffusion steps=128', () => decodeDiffusion(model, p, { steps: 128, sampling }), 1));
  const diff32 = add(await timed('diffusion steps=32', () => decodeDiffusion(model, p, { steps: 32, sampling }), r));
  return {
    rows,
    ratios: [
      { name: 'group-wise s=4 cached / AR tokens/s', value: cachedBy[4].tokensPerSec / ar.tokensPerSec, target: 3 },
      { name: 'group-wise s=4 cached / uncached tokens/s', value: cachedBy[4].tokensPerSec / uncachedBy[4].tokensPerSec, target: 4 },
      { name: 'group-wise s=4 cached / diffusion (32 forwards) tokens/s', value: cachedBy[4].tokensPerSec / diff32.tokensPerSec, target: 5 },
      { name: 'group-wise s=4 cached / AR, after the first forward', value: cachedBy[4].loopTokensPerSec / ar.loopTokensPerSec },
    ],
  };
}

export function formatDecodeTable(rows: DecodeRow[]): string[] {
  return [
    '| decoder | forwards | ms | tokens/s | first forward ms | tokens/s after it |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.name} | ${r.nfe} | ${r.ms.toFixed(0)} | ${r.tokensPerSec.toFixed(1)} | ${r.firstForwardMs.toFixed(0)} | ${r.loopTokensPerSec.toFixed(0)} |`),
  ];
}
