/**
 * Infilling problems from text: a template whose gaps are written `[____]`
 * (the default length), `[__5__]` (exactly 5 tokens) or `[__?__]` (length
 * chosen by the model: see auto-length.ts); the syntax is gaps.ts. Text between gaps is
 * tokenised piece by piece, so a gap always starts and ends on a token edge.
 *
 * `checkTemplate` is the one rule for which templates run and which part of a long one the model reads
 * (window.ts): run.ts refuses with its message and decodes its window, and the page shows the same message,
 * the token count and the kept part live under the template, so the two cannot disagree.
 * tf-free, like gaps.ts: the page imports it.
 */
import { MASK_TOKEN, type Tokenizer } from '../tokenizer';
import { AUTO_LENGTHS, DEFAULT_GAP_LENGTH, findGaps, hasGap } from './gaps';
import type { DecodeRequest } from './request';
import type { DecodeProblem } from './session';
import { isStrategyId, strategySpec, type StrategyId } from './strategies';
import { chooseWindow, type ContextWindow, type TokenLayout } from './window';

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
  /** Prompt plus gaps, in tokens (`[__?__]` gaps at their longest candidate length): the whole template. */
  tokens: number;
  /** One sentence for the user, or null when the template runs. */
  problem: string | null;
  /** The part the model reads (window.ts): all of it when it fits the context; null when refused. */
  window: ContextWindow | null;
}

/** The template fields of a request (defaults as run.ts applies them); the strategy says which side of a gap it reads. */
export type TemplateRequest = Pick<DecodeRequest, 'text' | 'gapLength' | 'autoLengths'> & { strategy?: StrategyId };

/** The problem's layout with every automatic gap at `longest` tokens (later positions shift): what the window must hold. */
function layoutAt(problem: InfillProblem, longest: number): TokenLayout {
  let shift = 0;
  const spans = problem.spans.map((s) => {
    const span = { start: s.start + shift, length: s.auto ? longest : s.length };
    shift += span.length - s.length;
    return span;
  });
  return { length: problem.tokens.length + shift, spans };
}

/**
 * Whether a template can run on a model whose context is `maxLen` tokens, and which part of it the model
 * reads: some text or a gap, every gap at least one token, `[__?__]` only for a strategy on the A3 model; a template longer than the context is decoded in
 * the window around its gaps (window.ts), refused only when the gaps themselves do not fit.
 * A template of gaps only is fine: it is decoded with an empty group 0 (unconditionally).
 */
export function checkTemplate(request: TemplateRequest, tokenizer: Tokenizer, maxLen: number): TemplateCheck {
  const { text } = request;
  const refuse = (tokens: number, problem: string): TemplateCheck => ({ tokens, problem, window: null });
  if (text.trim() === '') return refuse(0, 'the template is empty: write a text to continue, or a gap such as [____] to fill');
  for (const gap of findGaps(text)) {
    if (gap.size === 0) return refuse(0, `gap "${text.slice(gap.start, gap.end)}" asks for 0 tokens: a gap needs at least one`);
  }
  const strategy = request.strategy && isStrategyId(request.strategy) ? strategySpec(request.strategy) : null;
  // The length score is the A3 model's exact likelihood (auto-length.ts): on other weights (base, MDLM) it would rank noise.
  if (strategy && strategy.model !== 'a3' && findGaps(text).some((g) => g.size === 'auto')) {
    return refuse(0, `${strategy.label} cannot choose a gap length: [__?__] is scored by the A3 model; give the gap a length such as [__${DEFAULT_GAP_LENGTH}__]`);
  }
  const problem = problemFromText(text, tokenizer, request.gapLength ?? DEFAULT_GAP_LENGTH);
  // No candidate at all is auto-length.ts's error to give; here it adds nothing.
  const longest = Math.max(0, ...(request.autoLengths ?? AUTO_LENGTHS));
  const layout = layoutAt(problem, longest);
  const sides = strategy?.sees ?? 'both';
  const choice = chooseWindow(layout, maxLen, sides);
  if (choice.window) return { tokens: layout.length, problem: null, window: choice.window };
  const auto = problem.spans.some((s) => s.auto) ? ` (automatic gaps at ${longest} tokens)` : '';
  const what = !hasGap(text) ? `the ${problem.spans[0].length}-token continuation` : problem.spans.length === 1 ? `the gap${auto}` : `the gaps and the text between them${auto}`;
  const fix = problem.spans.length > 1 ? 'shorten the gaps or the text between them' : hasGap(text) ? 'shorten the gap' : 'ask for a shorter continuation';
  const why = choice.noRoom ? `the model's whole context, leaving no room for the text around ${problem.spans.length > 1 ? 'them' : 'it'}` : `longer than the model's context of ${maxLen}`;
  return refuse(layout.length, `${what} ${problem.spans.length > 1 ? 'are' : 'is'} ${choice.core} tokens, ${why}: ${fix}`);
}

/** The window's part of a problem: the tokens left out on each side dropped, the gaps moved to window positions. */
export function windowProblem(problem: InfillProblem, window: ContextWindow): InfillProblem {
  const end = problem.tokens.length - window.after;
  return {
    tokens: Array.from(problem.tokens).slice(window.before, end),
    given: Array.from(problem.given, Boolean).slice(window.before, end),
    spans: problem.spans.map((s) => ({ ...s, start: s.start - window.before })),
  };
}
