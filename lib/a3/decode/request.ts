/**
 * The decode request and its answer, as types (tf-free: the page, the worker protocol and the scripts share
 * them): text with gaps (or a prompt to continue), a strategy from the registry (strategies.ts) and its
 * knobs. Running one is run.ts.
 */
import type { LengthTrial } from './auto-length';
import type { Span } from './infill';
import type { SamplingOptions } from './sampling';
import type { RequestKnobs, StrategyId } from './strategies';
import type { DecodeTrace } from './trace';

export type DecodeStrategy = StrategyId;

/** The strategy's knobs are flat fields (groupSize, perStep, ...: strategies.ts); a missing one takes its default. */
export type DecodeRequest = RequestKnobs & {
  text: string;
  strategy: DecodeStrategy;
  sampling?: SamplingOptions;
  seed?: number;
  /** false = recompute every position each forward (the released code's way). */
  cached?: boolean;
  /** Length of `[____]` gaps, and of the continuation when the text has no gap (default DEFAULT_GAP_LENGTH). */
  gapLength?: number;
  /** Lengths tried for `[__?__]` gaps (default AUTO_LENGTHS). */
  autoLengths?: number[];
};

/** Tokens of the template outside the decoded window (window.ts), with their display labels: never seen by the model. */
export interface LeftOutPart {
  tokens: number[];
  labels: string[];
}

/** What a template longer than the context left out on each side, and the one-line note of what was kept. */
export interface LeftOutText {
  before: LeftOutPart;
  after: LeftOutPart;
  /** "kept tokens 140–267 of 610: the text around the gaps; …" */
  note: string;
}

export interface DecodeResult {
  /** What the model decoded: the window's tokens only when the template was longer than the context (see `window`). */
  trace: DecodeTrace;
  /** The gaps, in trace positions. */
  spans: Span[];
  /** Display text of every position's token (the views label cells with these). */
  labels: string[];
  /** The initial labels: given tokens' text, '' at open positions. */
  initialLabels: string[];
  /** The whole template's text with the fills in it (the left-out parts included). */
  text: string;
  /** Set when the template was longer than the context: the parts around the window, unchanged. */
  window?: LeftOutText;
  /** `[__?__]` gaps only: every (gap, length) tried and its score, the chosen length among them (auto-length.ts). */
  trials?: LengthTrial[];
}
