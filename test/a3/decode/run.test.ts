/**
 * runDecodeRequest (decode/run.ts): every registry entry reaches its decoder with its knobs; a bad knob is
 * refused with the registry's words before any tensor is made.
 */
import { SPECIAL_TOKENS } from '@/lib/a3/tokenizer';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeAR } from '@/lib/a3/decode/ar';
import { runDecodeRequest } from '@/lib/a3/decode/run';
import { DEFAULT_GAP_LENGTH } from '@/lib/a3/decode/gaps';
import { checkTemplate, parseTemplate } from '@/lib/a3/decode/infill';
import { STRATEGY_IDS } from '@/lib/a3/decode/strategies';
import { Tokenizer } from '@/lib/a3/tokenizer';
import { randomModel, tiny, useCpu } from '../../helpers/tf';

describe('runDecodeRequest', () => {
  beforeAll(useCpu);
  const tok = Tokenizer.train('the cat sat on the mat. the dog ran to the cat. '.repeat(8), 12);
  const model = () => randomModel({ ...tiny, vocabSize: tok.vocabSize, maxLen: 48 }, 3, 0.3);

  it('runs every strategy of the registry with its default knobs; each fills exactly the open positions', async () => {
    const m = model();
    const before = tf.memory().numTensors;
    for (const strategy of STRATEGY_IDS) {
      const r = await runDecodeRequest(m, tok, { text: 'the cat [__4__] the mat', strategy, seed: 1 });
      expect(r.trace.given.filter((g) => !g).length).toBe(4);
      expect(r.trace.strategy.startsWith({ groupwise: 'group', ar: 'AR' }[strategy as string] ?? strategy)).toBe(true);
      expect(r.labels.length).toBe(r.trace.tokens.length);
    }
    // The knobs arrive: group-wise s = 4 fills the gap in one forward, dynamic k = 1 in four.
    expect((await runDecodeRequest(m, tok, { text: 'the cat [__4__] the mat', strategy: 'groupwise', groupSize: 4 })).trace.nfe).toBe(1);
    expect((await runDecodeRequest(m, tok, { text: 'the cat [__4__] the mat', strategy: 'dynamic', perStep: 1 })).trace.nfe).toBe(4);
    // No gap: the text is continued by the default gap length.
    expect((await runDecodeRequest(m, tok, { text: 'the cat', strategy: 'dynamic', perStep: 8 })).spans).toEqual([{ start: tok.encode('the cat').length, length: DEFAULT_GAP_LENGTH }]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('AR (base model): each gap continued from the text before it, one token per forward, never seeing the text after it', async () => {
    const m = model();
    const before = tf.memory().numTensors;
    const request = { text: 'the cat [__3__] the mat. the dog [__2__] to', strategy: 'ar', seed: 5 } as const;
    const r = await runDecodeRequest(m, tok, request);
    const open = r.trace.given.flatMap((g, i) => (g ? [] : [i]));
    expect(open.length).toBe(5);
    // AR convention: group id = position; one forward per token, committed left to right.
    expect(r.trace.groupIds).toEqual(r.trace.tokens.map((_, i) => i));
    expect(r.trace.nfe).toBe(5);
    expect(r.trace.steps.map((s) => s.committed.map((c) => c.pos))).toEqual(open.map((p) => [p]));
    expect(r.trace.steps.every((s) => s.groupId === s.committed[0].pos)).toBe(true);
    // Given text is untouched, and the trace says the text after a gap was not seen.
    r.trace.given.forEach((g, i) => g && expect(r.trace.tokens[i]).toBe(r.trace.initial[i]));
    expect(r.trace.notes?.[0]).toMatch(/not seen/);
    // Prefix only: a different text after the first gap leaves that gap's fill unchanged.
    const other = await runDecodeRequest(m, tok, { ...request, text: 'the cat [__3__] on the dog ran [__2__] mat' });
    expect(other.trace.tokens.slice(open[0], open[0] + 3)).toEqual(r.trace.tokens.slice(open[0], open[0] + 3));
    // The same fills as the base model's sampler continuing the prefix (decodeAR) with the same seed.
    const prefix = r.trace.tokens.slice(0, open[0]);
    const direct = await decodeAR(m, prefix, { length: 3, seed: 5 });
    expect(direct.tokens.slice(open[0])).toEqual(r.trace.tokens.slice(open[0], open[0] + 3));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('AR starts a leading gap as a document starts (after <eos>), and refuses [__?__] lengths in words', async () => {
    const m = model();
    const lead = await runDecodeRequest(m, tok, { text: '[__3__] the mat', strategy: 'ar', seed: 4 });
    expect(lead.trace.steps.map((s) => s.committed.map((c) => c.pos))).toEqual([[0], [1], [2]]);
    const direct = await decodeAR(m, [SPECIAL_TOKENS.eos], { length: 3, seed: 4 });
    expect(lead.trace.tokens.slice(0, 3)).toEqual(direct.tokens.slice(1));
    await expect(runDecodeRequest(m, tok, { text: 'the cat [__?__] the mat', strategy: 'ar' })).rejects.toThrow('AR (base model) cannot choose a gap length');
  });

  it('[__?__]: the result carries every length tried, the chosen one the best scored', async () => {
    const r = await runDecodeRequest(model(), tok, { text: 'the cat [__?__] the mat', strategy: 'groupwise', autoLengths: [1, 3], seed: 2 });
    expect(r.trials?.map((t) => t.length)).toEqual([1, 3]);
    const best = r.trials?.reduce((a, b) => (b.logProbPerToken > a.logProbPerToken ? b : a));
    expect(r.spans[0].length).toBe(best?.length);
  });

  it('refuses a knob outside its range, naming the strategy and the knob, before any tensor is made', async () => {
    const m = model();
    const before = tf.memory().numTensors;
    await expect(runDecodeRequest(m, tok, { text: 'a [____]', strategy: 'groupwise', groupSize: 0 })).rejects.toThrow('A3 group-wise: group size s must be an integer from 1 to 64, got 0');
    await expect(runDecodeRequest(m, tok, { text: 'a [____]', strategy: 'dynamic', score: 'loudest' as 'entropy' })).rejects.toThrow(/A3 dynamic: pick by must be one of confidence, entropy, random/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('decodes a template of gaps only unconditionally (an empty group 0), with every strategy', async () => {
    const m = model();
    const before = tf.memory().numTensors;
    for (const strategy of STRATEGY_IDS) {
      const r = await runDecodeRequest(m, tok, { text: '[____]', strategy, seed: 2 });
      expect(r.trace.given.some((g) => g)).toBe(false);
      expect(r.trace.generated).toBe(DEFAULT_GAP_LENGTH);
    }
    // An automatic length with nothing given: every candidate is decoded and scored without context.
    const auto = await runDecodeRequest(m, tok, { text: '[__?__]', strategy: 'groupwise', autoLengths: [2, 3], seed: 2 });
    expect([2, 3]).toContain(auto.trace.generated);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a template longer than the context: every strategy decodes the window around the gap; the rest comes back unchanged, with the note', async () => {
    const m = model();
    const before = tf.memory().numTensors;
    const side = 'the cat sat on the mat. the dog ran to the cat. '.repeat(3);
    const text = `${side}the dog [__4__] to the mat. ${side}`;
    const whole = parseTemplate(text, tok);
    expect(whole.tokens.length).toBeGreaterThan(m.config.maxLen * 2);
    const gapAt = whole.spans[0].start;
    for (const strategy of STRATEGY_IDS) {
      const r = await runDecodeRequest(m, tok, { text, strategy, seed: 3 });
      const { window } = r;
      expect(window, strategy).toBeDefined();
      if (!window) continue;
      // The model read exactly its context, the gap inside it.
      expect(r.trace.tokens.length).toBe(m.config.maxLen);
      expect(r.trace.given.filter((g) => !g).length).toBe(4);
      expect(r.spans).toEqual([{ start: gapAt - window.before.tokens.length, length: 4 }]);
      // The whole template, the fill in its place and every given token where it was.
      const all = [...window.before.tokens, ...r.trace.tokens, ...window.after.tokens];
      expect(all.length).toBe(whole.tokens.length);
      Array.from(whole.given).forEach((g, i) => g && expect(all[i]).toBe(whole.tokens[i]));
      expect(r.text).toBe(tok.decode(all));
      expect(window.before.labels).toEqual(window.before.tokens.map((t) => tok.decodeToken(t)));
      const [b, a] = [window.before.tokens.length, window.after.tokens.length];
      expect(window.note).toBe(`kept tokens ${b + 1}–${b + m.config.maxLen} of ${whole.tokens.length}: the text around the gaps; ${b} tokens before and ${a} after were left out (not seen by the model)`);
      // What the page showed before the run (checkTemplate) is what was decoded.
      expect(checkTemplate({ text, strategy }, tok, m.config.maxLen).window).toEqual({ total: whole.tokens.length, before: b, after: a });
      // Balanced around the gap, except AR, which reads only the text before it.
      const keptLeft = gapAt - b;
      const keptRight = m.config.maxLen - 4 - keptLeft;
      if (strategy === 'ar') expect([keptLeft, keptRight]).toEqual([m.config.maxLen - 4, 0]);
      else expect(keptLeft - keptRight).toBe(0);
    }
    // An automatic gap inside the window: its lengths are tried there, the note counts the chosen one.
    const auto = await runDecodeRequest(m, tok, { text: text.replace('[__4__]', '[__?__]'), strategy: 'groupwise', autoLengths: [1, 3], seed: 2 });
    expect(auto.trace.tokens.length).toBeLessThanOrEqual(m.config.maxLen);
    const chosen = auto.spans[0].length;
    expect(auto.window?.note).toContain(`of ${whole.tokens.length - 4 + chosen}:`);
    // A template that fits carries no window.
    expect((await runDecodeRequest(m, tok, { text: 'the cat [__4__] the mat', strategy: 'groupwise' })).window).toBeUndefined();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("refuses exactly what checkTemplate refuses, in its words, before any tensor is made (the page shows the same message)", async () => {
    const m = model();
    const before = tf.memory().numTensors;
    const long = 'the cat sat on the mat. '.repeat(10);
    for (const text of ['the cat [__0__] the mat', 'the cat [__999__]', `[__30__] ${long} [__30__]`, '   ', 'the [__?__] mat [__40__]']) {
      const { problem } = checkTemplate({ text }, tok, m.config.maxLen);
      expect(problem).not.toBeNull();
      await expect(runDecodeRequest(m, tok, { text, strategy: 'groupwise' })).rejects.toThrow(problem ?? '');
    }
    // [__?__] on a strategy not on the A3 model: the same check's message (the page shows it before Run).
    for (const strategy of ['ar', 'diffusion'] as const) {
      const text = 'the cat [__?__] the mat';
      const { problem } = checkTemplate({ text, strategy }, tok, m.config.maxLen);
      expect(problem).toMatch(/cannot choose a gap length/);
      await expect(runDecodeRequest(m, tok, { text, strategy })).rejects.toThrow(problem ?? '');
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
