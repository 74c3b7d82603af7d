/** The model-size sweep's results (scripts/sweep-size.ts writes them; `npm run report` quotes them). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelConfig } from '@/lib/a3/config';
import { ROOT } from './data';

export const SWEEP_DIR = join(ROOT, 'results', 'size-sweep');

export interface SweepResult {
  name: string;
  config: ModelConfig;
  parameters: number;
  budgetSec: number;
  steps: number;
  batch: number;
  length: number;
  tokens: number;
  wallTimeSec: number;
  tokensPerSec: number;
  peakLr: number;
  /** Validation NLL (nats/token) on 64 windows of 128 and 32 windows of 256, as training went. */
  evals: { step: number; tokens: number; val128: number; val256: number }[];
}

export function sweepTable(results: SweepResult[]): string[] {
  const rows = [...results].sort((a, b) => a.parameters - b.parameters);
  return [
    '| config | parameters | steps | tokens | wall time | tokens/s | val NLL (128) | val NLL (256) |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const last = r.evals[r.evals.length - 1];
      const c = r.config;
      return `| ${r.name} (d=${c.dModel}, ${c.nLayers} layers, ffn ${c.ffnDim}) | ${r.parameters.toLocaleString('en-US')} | ${r.steps} | ${r.tokens.toLocaleString('en-US')} | ${(r.wallTimeSec / 60).toFixed(1)} min | ${r.tokensPerSec.toFixed(0)} | ${last?.val128.toFixed(3) ?? '—'} | ${last?.val256.toFixed(3) ?? '—'} |`;
    }),
  ];
}

export function loadSweep(dir = SWEEP_DIR): SweepResult[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as SweepResult);
}

