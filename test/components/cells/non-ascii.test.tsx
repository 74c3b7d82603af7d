// @vitest-environment jsdom
/** Characters split over tokens (curly quotes, dashes, accents, emoji, CJK) show whole in the Result, the replay strip, the step details and Inspect. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InfillCell } from '@/components/cells/InfillCell';
import { InspectCell } from '@/components/cells/InspectCell';
import type { DecodeResult } from '@/lib/a3/decode/request';
import { PARTIAL_PIECE_MARK } from '@/lib/a3/token-display';
import { Tokenizer } from '@/lib/a3/tokenizer';
import { createStudioStore } from '@/lib/store';
import { mount } from './harness';

const tokenizer = Tokenizer.fromJSON(JSON.parse(readFileSync(join(__dirname, '../../../public/weights/tokenizer.json'), 'utf8')));

const PREFIX = 'It’s a “quiet” morning — she said: ';
const FILL = 'Café 😀 中文';
const SUFFIX = '.';

/** A finished decode of PREFIX [FILL] SUFFIX: one step commits the gap. */
function result(): DecodeResult {
  const parts = [PREFIX, FILL, SUFFIX].map((s) => tokenizer.encode(s));
  const tokens = parts.flat();
  const given = tokens.map((_, i) => i < parts[0].length || i >= parts[0].length + parts[1].length);
  const open = tokens.flatMap((_, i) => (given[i] ? [] : [i]));
  const labels = tokens.map((t) => tokenizer.decodeToken(t));
  return {
    trace: {
      strategy: 'groupwise',
      initial: tokens.map((t, i) => (given[i] ? t : 3)),
      given,
      tokens,
      groupIds: given.map((g) => (g ? 0 : 1)),
      steps: [{ groupId: 1, committed: open.map((pos) => ({ pos, token: tokens[pos], prob: 0.5, entropy: 1 })), candidates: open.map((pos) => ({ pos, top: [{ token: tokens[pos], prob: 0.5 }] })), cached: true, ms: 2 }],
      nfe: 1,
      generated: open.length,
      totalMs: 2,
      tokensPerSec: 1,
    },
    spans: [{ start: parts[0].length, length: parts[1].length }],
    labels,
    initialLabels: labels.map((l, i) => (given[i] ? l : '')),
    text: tokenizer.decode(tokens),
  };
}

describe('non-ASCII text (jsdom)', () => {
  it('Infill: the Result reads exactly as the decoded text; chips mark partial pieces and show whole characters', async () => {
    const store = createStudioStore({ fetchImpl: (async () => new Response('', { status: 404 })) as typeof fetch });
    const r = result();
    expect(r.labels.join('')).toContain('\ufffd'); // what per-token decoding shows
    store.setState((s) => ({ tokenizer, decode: { ...s.decode, status: 'done', result: r, request: { text: '', strategy: 'groupwise' }, kind: 'a3', step: 0 } }));
    const div = await mount(store, <InfillCell index={2} />);
    expect(div.querySelector('[data-testid="infill-output"]')?.textContent).toBe(PREFIX + FILL + SUFFIX);
    expect(div.querySelector('[data-testid="infill-output"] mark')?.textContent).toBe(FILL);
    const chips = [...div.querySelectorAll('[data-view="token-strip"] g.chip text')].map((t) => t.textContent ?? '');
    expect(chips.join('')).not.toContain('\ufffd');
    expect(chips).toContain('’');
    expect(chips.some((c) => c.includes(PARTIAL_PIECE_MARK))).toBe(true);
    expect(chips.join('').replaceAll(PARTIAL_PIECE_MARK, '').replaceAll('␣', ' ')).toBe(PREFIX + FILL + SUFFIX);
    expect(div.querySelector('[data-testid="step-details"]')?.textContent).not.toContain('\ufffd');
    expect(div.textContent).not.toContain('\ufffd');
  });

  it('Infill, a template longer than the context: the left-out text shows unchanged, marked as not seen, a character split across the edge whole', async () => {
    const store = createStudioStore({ fetchImpl: (async () => new Response('', { status: 404 })) as typeof fetch });
    const BEFORE = 'Long ago — “la forêt” 😀';
    const AFTER = ' 中文 ends.';
    const inner = result();
    const head = tokenizer.encode(BEFORE);
    expect(tokenizer.decode(head.slice(0, -1))).toContain('\ufffd'); // the emoji spans the last two tokens: the window's edge cuts it
    // The window starts at the emoji's last token: the rest of BEFORE is left out.
    const cut = head.length - 1;
    const shown = head.slice(cut);
    const tokens = [...shown, ...inner.trace.tokens];
    const given = [...shown.map(() => true), ...inner.trace.given];
    const labels = tokens.map((t) => tokenizer.decodeToken(t));
    const tail = tokenizer.encode(AFTER);
    const part = (ids: number[]) => ({ tokens: ids, labels: ids.map((t) => tokenizer.decodeToken(t)) });
    const r: DecodeResult = {
      ...inner,
      trace: { ...inner.trace, tokens, given, initial: tokens.map((t, i) => (given[i] ? t : 3)), groupIds: given.map((g) => (g ? 0 : 1)) },
      labels,
      initialLabels: labels.map((l, i) => (given[i] ? l : '')),
      text: BEFORE + PREFIX + FILL + SUFFIX + AFTER,
      window: { before: part(head.slice(0, cut)), after: part(tail), note: 'kept tokens 9–40 of 50: the text around the gaps; 8 tokens before and 10 after were left out (not seen by the model)' },
    };
    store.setState((s) => ({ tokenizer, decode: { ...s.decode, status: 'done', result: r, request: { text: '', strategy: 'groupwise' }, kind: 'a3', step: 0 } }));
    const div = await mount(store, <InfillCell index={2} />);
    const out = div.querySelector('[data-testid="infill-output"]');
    expect(out?.textContent).toBe(BEFORE + PREFIX + FILL + SUFFIX + AFTER);
    expect(out?.querySelector('mark')?.textContent).toBe(FILL);
    // The emoji completes on the window's first token: it shows whole, on the side the model read.
    expect([...(out?.querySelectorAll('[data-unseen]') ?? [])].map((e) => e.textContent)).toEqual([BEFORE.slice(0, -'😀'.length), AFTER]);
    expect(div.querySelector('[data-testid="infill-window-note"]')?.textContent).toContain(r.window?.note);
  });

  it('Inspect: position names and the masks show whole characters', async () => {
    const text = 'Café “quiet” 😀';
    const tokens = tokenizer.encode(text);
    const n = tokens.length;
    const store = createStudioStore({ fetchImpl: (async () => new Response('', { status: 404 })) as typeof fetch, search: `?itext=${encodeURIComponent(text)}` });
    const weights = [[Array.from({ length: 2 * n }, () => Array.from({ length: n }, () => 1 / n))]];
    store.setState((s) => ({
      tokenizer,
      inspect: { ...s.inspect, status: 'done', snapshot: { tokens, labels: tokens.map((t) => tokenizer.decodeToken(t)), groupIds: tokens.map((_, i) => i), weights }, tokenCache: { text, labels: tokens.map((t) => tokenizer.decodeToken(t)) } },
    }));
    const div = await mount(store, <InspectCell index={4} />);
    const options = [...div.querySelectorAll('[data-testid="attn-position"] option')].map((o) => o.textContent ?? '');
    expect(options.join(' ')).toContain('é');
    expect(options.join(' ')).toContain('😀');
    expect(div.textContent).not.toContain('\ufffd');
  });
});
