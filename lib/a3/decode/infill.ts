/**
 * Infilling problems from text: a template whose gaps are written `[____]`
 * (the default length), `[__5__]` (exactly 5 tokens) or `[__?__]` (length
 * chosen by the model: see auto-length.ts); the syntax is gaps.ts. Text between gaps is
 * tokenised piece by piece, so a gap always starts and ends on a token edge.
 */
import { MASK_TOKEN, type Tokenizer } from '../tokenizer';
import { DEFAULT_GAP_LENGTH, findGaps } from './gaps';
import type { DecodeProblem } from './session';

export interface Span {
  start: number;
  length: number;
  /** Written `[__?__]`: the length is to be chosen by likelihood. */
  auto?: boolean;
}

export interface InfillProblem extends DecodeProblem {
  spans: Span[];
}

export function parseTemplate(text: string, tokenizer: Tokenizer, defaultLength = DEFAULT_GAP_LENGTH): InfillProblem {
  if (!Number.isInteger(defaultLength) || defaultLength < 1) throw new Error(`default gap length must be an integer >= 1, got ${defaultLength}`);
  const tokens: number[] = [];
  const given: boolean[] = [];
  const spans: Span[] = [];
  let last = 0;
  const addText = (s: string) => {
    for (const t of tokenizer.encode(s)) {
      tokens.push(t);
      given.push(true);
    }
  };
  for (const gap of findGaps(text)) {
    // "was [__3__]": the space belongs to the gap's first token (" after"), as the
    // tokenizer would have merged it; left alone it would be a lone " " token.
    addText(text.slice(last, gap.start).replace(/ $/, ''));
    const auto = gap.size === 'auto';
    const length = typeof gap.size === 'number' ? gap.size : defaultLength;
    if (length < 1) throw new Error(`gap "${text.slice(gap.start, gap.end)}" asks for ${length} tokens: a gap needs at least one`);
    spans.push(auto ? { start: tokens.length, length, auto } : { start: tokens.length, length });
    for (let i = 0; i < length; i++) {
      tokens.push(MASK_TOKEN);
      given.push(false);
    }
    last = gap.end;
  }
  addText(text.slice(last));
  return { tokens, given, spans };
}

/** A plain prompt continued by `length` open positions. */
export function continuation(text: string, tokenizer: Tokenizer, length: number): InfillProblem {
  const prompt = tokenizer.encode(text);
  return {
    tokens: [...prompt, ...new Array<number>(length).fill(MASK_TOKEN)],
    given: [...prompt.map(() => true), ...new Array<boolean>(length).fill(false)],
    spans: [{ start: prompt.length, length }],
  };
}
