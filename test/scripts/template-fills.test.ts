/**
 * The README's template-fill table (scripts/lib/template-fills.ts): the Markdown keeps every fill inside its
 * cell and the columns in the file's order; filling templates through the page's path is deterministic and
 * puts each fill in its own gap.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUTO_LENGTHS, findGaps } from '@/lib/a3/decode/gaps';
import { Tokenizer } from '@/lib/a3/tokenizer';
import { escapeCell, FILL_STRATEGIES, fillTable, fillTemplates, type TemplateFills } from '@/scripts/lib/template-fills';
import { randomModel, tiny, useCpu } from '../helpers/tf';

/** The template with each gap replaced by its fill, the space before a gap going to the fill as parseTemplate does. */
function placed(template: string, fills: string[]): string {
  let out = '';
  let last = 0;
  findGaps(template).forEach((gap, i) => {
    out += template.slice(last, gap.start).replace(/ $/, '') + fills[i];
    last = gap.end;
  });
  return out + template.slice(last);
}

describe('fillTable', () => {
  const file: TemplateFills[] = [
    {
      what: 'two gaps',
      template: 'A [__2__] b | c [__3__]',
      results: [
        { column: 'A3 group-wise, s = 1, left-to-right', strategy: 'groupwise', knobs: 's = 1, left-to-right', fills: [' x|y', ' line\nbreak'], lengths: [2, 3], auto: [false, false], text: '', nfe: 5 },
        { column: 'AR (base model), left to right', strategy: 'ar', knobs: 'left to right', fills: [' *bold* `code`', ' a\\b'], lengths: [2, 3], auto: [false, false], text: '', nfe: 5 },
      ],
    },
    {
      what: 'auto',
      template: 'the wind [__?__] on',
      results: [
        { column: 'A3 group-wise, s = 1, left-to-right', strategy: 'groupwise', knobs: 's = 1, left-to-right', fills: [' blew'], lengths: [4], auto: [true], text: '', nfe: 4 },
        { column: 'AR (base model), left to right', strategy: 'ar', knobs: 'left to right', refused: 'AR cannot choose a gap length: [__?__] | no' },
      ],
    },
  ];

  it('escapes pipes, newlines and Markdown characters, so every row has exactly its cells', () => {
    expect(escapeCell('a|b\nc\r\nd')).toBe('a\\|b\\nc\\nd');
    expect(escapeCell('[__6__] *x* `y` a\\b <i>')).toBe('\\[\\_\\_6\\_\\_\\] \\*x\\* \\`y\\` a\\\\b \\<i\\>');
    const lines = fillTable(file);
    const rows = lines.slice(0, 4);
    // Unescaped pipes only: a cell boundary is a `|` not preceded by a backslash.
    for (const row of rows) expect(row.split(/(?<!\\)\|/).length - 2).toBe(3);
    expect(rows.every((r) => !r.includes('\n'))).toBe(true);
    expect(rows[2]).toContain(' x\\|y ‖  line\\nbreak');
    expect(rows[2]).toContain('\\*bold\\* \\`code\\` ‖  a\\\\b');
  });

  it("puts the columns in the file's order, says which lengths the model chose, and lists refusals under the table", () => {
    const lines = fillTable(file);
    expect(lines[0]).toBe('| template | A3 group-wise, s = 1, left-to-right | AR (base model), left to right |');
    expect(lines[1]).toBe('|---|---|---|');
    expect(lines[2].startsWith('| **two gaps**: A \\[\\_\\_2\\_\\_\\] b \\| c \\[\\_\\_3\\_\\_\\] |')).toBe(true);
    expect(lines[3]).toContain('blew (4 tokens, chosen) | — (refused, see below) |');
    expect(lines.at(-1)).toBe('Refused (the page gives the same message): AR (base model), left to right: AR cannot choose a gap length: \\[\\_\\_?\\_\\_\\] \\| no');
    expect(fillTable([])).toEqual([]);
  });
});

describe('fillTemplates (tiny preset)', () => {
  beforeAll(useCpu);
  const tok = Tokenizer.train('the cat sat on the mat. the dog ran to the cat. '.repeat(8), 12);
  const config = { ...tiny, vocabSize: tok.vocabSize, maxLen: 48 };
  const templates = [
    { what: 'middle', text: 'the cat [__3__] the mat.' },
    { what: 'start', text: '[__2__] sat on the mat.' },
    { what: 'two gaps', text: 'the cat [__2__] the mat. the dog [__2__]' },
    { what: 'auto', text: 'the dog [__?__] the cat.' },
  ];

  it('gives the same fills twice, each in its own gap, with the page refusing only AR an automatic length', async () => {
    const models = { a3: randomModel(config, 3, 0.3), base: randomModel(config, 4, 0.3) };
    const before = tf.memory().numTensors;
    const first = await fillTemplates(models, tok, templates, 1);
    const second = await fillTemplates(models, tok, templates, 1);
    expect(second).toEqual(first);
    expect(tf.memory().numTensors).toBe(before);
    expect(first.map((t) => t.template)).toEqual(templates.map((t) => t.text));
    for (const t of first) {
      expect(t.results.map((r) => r.strategy)).toEqual(FILL_STRATEGIES.map((s) => s.strategy));
      for (const r of t.results) {
        if ('refused' in r) {
          expect(t.what === 'auto' && r.strategy === 'ar').toBe(true);
          expect(r.refused).toMatch(/cannot choose a gap length/);
          continue;
        }
        const gaps = findGaps(t.template);
        expect(r.fills.length).toBe(gaps.length);
        // A written length is kept; an automatic one is a candidate the search tried.
        gaps.forEach((g, i) => expect(typeof g.size === 'number' ? r.lengths[i] === g.size : AUTO_LENGTHS.includes(r.lengths[i])).toBe(true));
        expect(r.auto).toEqual(gaps.map((g) => g.size === 'auto'));
        expect(r.fills.every((f) => f.length > 0)).toBe(true);
        // The page's filled text is the template with each fill in its gap.
        expect(r.text).toBe(placed(t.template, r.fills));
      }
    }
  });
});
