/**
 * The README's table of fixed playground templates and their greedy fills (issue 13, item 7): the
 * templates, the decoders of the table's columns, the function that fills every template with every
 * decoder through the page's own path (the playground's request builder and run.ts's runDecodeRequest),
 * and the Markdown rendering `npm run report` puts in the README. scripts/fill-table.ts runs it on the
 * shipped weights and writes results/template-fills.json.
 */
import type { LengthTrial } from '@/lib/a3/decode/auto-length';
import { runDecodeRequest } from '@/lib/a3/decode/run';
import { strategySpec, knobValues, AR_PRESET, A3_LEFT_TO_RIGHT, type ModelKind } from '@/lib/a3/decode/strategies';
import type { A3Model } from '@/lib/a3/model';
import type { Tokenizer } from '@/lib/a3/tokenizer';
import { decodeModelKind, playgroundRequest } from '@/lib/store/slices/decode';
import { DEFAULT_PLAYGROUND, DEFAULT_TEMPLATE, type PlaygroundParams } from '@/lib/store/url-params';

export interface FillTemplate {
  /** What the template shows about the product, in a few words (the table's first column). */
  what: string;
  text: string;
}

/** The ten templates: each shows one thing a user does in the playground. */
export const TEMPLATES: readonly FillTemplate[] = [
  { what: "the playground's default: the right side asks for a subject", text: DEFAULT_TEMPLATE },
  { what: 'gap at the start', text: '[__5__] the rain had stopped, and the children ran outside to play in the puddles.' },
  { what: 'gap at the end', text: 'After a long day at the market, the old man sat down by the fire and [__8__]' },
  { what: 'two gaps', text: 'The door opened slowly, and [__3__] walked into the room. He was carrying [__4__] in both hands.' },
  { what: 'length chosen by the model', text: 'It was a cold winter night, and the wind [__?__] through the empty streets of the town.' },
  { what: 'long gap', text: 'The king called his three sons to him and said that the bravest would be king. [__24__] And so the youngest son became king.' },
  { what: 'non-ASCII text', text: '“Café au lait, s’il vous plaît,” said Renée, [__6__] by the window of the little café.' },
  { what: 'dialogue', text: '"Where have you been all day?" asked her mother. "[__6__]," said Mary, and she sat down.' },
  { what: 'a name given only later', text: 'Before dinner, [__2__] fed the horses, as he did every night. "Thank you, John," said his father.' },
  { what: 'between two sentences', text: 'The storm broke just after midnight. [____] By morning, the river had flooded the whole valley.' },
];

/**
 * The table's columns, in order, as the playground settings each changes (strategy and knobs; everything
 * else is the playground's default): A3 left to right, A3 two tokens per forward, A3 dynamic at its
 * defaults, and the AR baseline (base model, the text before each gap only).
 */
export const FILL_STRATEGIES: readonly Partial<PlaygroundParams>[] = [A3_LEFT_TO_RIGHT, { strategy: 'groupwise', groupSize: 2, order: 'left-to-right' }, { strategy: 'dynamic' }, AR_PRESET];

/** One template through one decoder: its fills (one per gap) or the page's refusal. */
export type StrategyFill =
  | {
      column: string;
      strategy: string;
      knobs: string;
      fills: string[];
      lengths: number[];
      /** Per gap: written `[__?__]`, its length chosen by likelihood among `trials`. */
      auto: boolean[];
      /** The whole filled text, as the page shows it. */
      text: string;
      nfe: number;
      trials?: LengthTrial[];
    }
  | { column: string; strategy: string; knobs: string; refused: string };

export interface TemplateFills {
  what: string;
  template: string;
  results: StrategyFill[];
}

/**
 * Fills every template with every column's decoder, greedily, through the page's request builder and
 * run.ts: the same request the playground would send with "greedy" ticked. A refusal (e.g. the AR model
 * asked for a `[__?__]` length) is recorded with its message, as the page would show it.
 */
export async function fillTemplates(
  models: Partial<Record<ModelKind, A3Model>>,
  tokenizer: Tokenizer,
  templates: readonly FillTemplate[] = TEMPLATES,
  seed = 0,
): Promise<TemplateFills[]> {
  const out: TemplateFills[] = [];
  for (const t of templates) {
    const results: StrategyFill[] = [];
    for (const settings of FILL_STRATEGIES) {
      const request = playgroundRequest({ ...DEFAULT_PLAYGROUND, text: t.text, greedy: true, seed }, settings);
      const spec = strategySpec(request.strategy);
      const knobs = spec.describe(knobValues(spec, request));
      // Named as the Compare cell names its rows.
      const head = { column: `${spec.label}, ${knobs}`, strategy: request.strategy, knobs };
      const model = models[decodeModelKind(request.strategy)];
      if (!model) throw new Error(`${head.column} needs the ${decodeModelKind(request.strategy)} model`);
      try {
        const r = await runDecodeRequest(model, tokenizer, request);
        const fills = r.spans.map((s) => tokenizer.decode(r.trace.tokens.slice(s.start, s.start + s.length)));
        results.push({ ...head, fills, lengths: r.spans.map((s) => s.length), auto: r.spans.map((_s, i) => r.trials?.some((trial) => trial.span === i) ?? false), text: r.text, nfe: r.trace.nfe, ...(r.trials ? { trials: r.trials } : {}) });
      } catch (e) {
        results.push({ ...head, refused: e instanceof Error ? e.message : String(e) });
      }
    }
    out.push({ what: t.what, template: t.text, results });
  }
  return out;
}

/** Text made safe for one cell of a Markdown table: Markdown's inline characters and pipes escaped, newlines shown as `\n`. */
export function escapeCell(text: string): string {
  return text
    .replace(/[\\`*_[\]<>|#~]/g, (c) => `\\${c}`)
    .replace(/\r?\n/g, '\\n')
    .replace(/\t/g, ' ');
}

/** Gaps' fills in one cell, separated by ‖; a gap whose length the model chose says which. */
function fillCell(r: StrategyFill): string {
  if ('refused' in r) return '— (refused, see below)';
  return r.fills.map((fill, i) => (r.auto[i] ? `${escapeCell(fill)} (${r.lengths[i]} tokens, chosen)` : escapeCell(fill))).join(' ‖ ');
}

/** The Markdown table: one row per template (its gaps shown), one column per decoder in the file's order, then the refusals. */
export function fillTable(templates: readonly TemplateFills[]): string[] {
  if (templates.length === 0) return [];
  const columns = templates[0].results.map((r) => r.column);
  const lines = [`| template | ${columns.map(escapeCell).join(' | ')} |`, `|---|${columns.map(() => '---').join('|')}|`];
  for (const t of templates) lines.push(`| **${escapeCell(t.what)}**: ${escapeCell(t.template)} | ${t.results.map(fillCell).join(' | ')} |`);
  const refusals = [...new Set(templates.flatMap((t) => t.results.flatMap((r) => ('refused' in r ? [`${r.column}: ${r.refused}`] : []))))];
  if (refusals.length > 0) lines.push('', ...refusals.map((r) => `Refused (the page gives the same message): ${escapeCell(r)}`));
  return lines;
}
