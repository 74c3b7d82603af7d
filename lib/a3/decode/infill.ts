/**
 * Infilling problems from text: a template whose gaps are written `[____]`
 * (the default length), `[__5__]` (exactly 5 tokens) or `[__?__]` (length
 * chosen by the model: see auto-length.ts); the syntax is gaps.ts. Text between gaps is
 * tokenised piece by piece, so a gap always starts and ends on a token edge.
 *
 * `checkTemplate` is the one rule for which templates run: run.ts refuses with its message and the page
 * shows the same message (and the token count) live under the template, so the two cannot disagree.
 * tf-free, like gaps.ts: the page imports it.
 */
import { MASK_TOKEN, type Tokenizer } from '../tokenizer';
import { AUTO_LENGTHS, DEFAULT_GAP_LENGTH, findGaps, hasGap } from './gaps';
import type { DecodeRequest } from './request';
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

/** The problem a request's text poses: its gaps to fill, or (no gap) the text continued by `gapLength` tokens. */
export function problemFromText(text: string, tokenizer: Tokenizer, gapLength = DEFAULT_GAP_LENGTH): InfillProblem {
  return hasGap(text) ? parseTemplate(text, tokenizer, gapLength) : continuation(text, tokenizer, gapLength);
}

export interface TemplateCheck {
  /** Prompt plus gaps, in tokens (`[__?__]` gaps at their longest candidate length): what must fit the context. */
  tokens: number;
  /** One sentence for the user, or null when the template runs. */
  problem: string | null;
}

/** The template fields of a request (defaults as run.ts applies them). */
export type TemplateRequest = Pick<DecodeRequest, 'text' | 'gapLength' | 'autoLengths'>;

/**
 * Whether a template can run on a model whose context is `maxLen` tokens: some text or a gap, every gap at
 * least one token, and prompt plus gaps (automatic gaps at their longest candidate) within the context.
 * A template of gaps only is fine: it is decoded with an empty group 0 (unconditionally).
 */
export function checkTemplate(request: TemplateRequest, tokenizer: Tokenizer, maxLen: number): TemplateCheck {
  const { text } = request;
  if (text.trim() === '') return { tokens: 0, problem: 'the template is empty: write a text to continue, or a gap such as [____] to fill' };
  for (const gap of findGaps(text)) {
    if (gap.size === 0) return { tokens: 0, problem: `gap "${text.slice(gap.start, gap.end)}" asks for 0 tokens: a gap needs at least one` };
  }
  const problem = problemFromText(text, tokenizer, request.gapLength ?? DEFAULT_GAP_LENGTH);
  // No candidate at all is auto-length.ts's error to give; here it adds nothing.
  const longest = Math.max(0, ...(request.autoLengths ?? AUTO_LENGTHS));
  const tokens = problem.spans.reduce((n, s) => n + (s.auto ? longest - s.length : 0), problem.tokens.length);
  if (tokens <= maxLen) return { tokens, problem: null };
  const what = problem.spans.some((s) => s.auto) ? `prompt plus gaps (automatic ones at ${longest} tokens)` : hasGap(text) ? 'prompt plus gaps' : `the prompt plus its ${problem.spans[0].length}-token continuation`;
  return { tokens, problem: `${what} is ${tokens} tokens, longer than the model's context of ${maxLen}: shorten the text or the gaps` };
}
