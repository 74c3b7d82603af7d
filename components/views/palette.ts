/**
 * The one palette of the A3 Studio views (LLaDA / Dream demo convention):
 *   gray  = masked / open position
 *   green = committed at the current step (shaded by its probability)
 *   blue  = committed at an earlier step
 *   dark  = given (prompt / context) token
 * plus the mask colours, the sequential "step that committed it" scale and the
 * attention heat scale. Every view imports its colours from here.
 */
import * as d3 from 'd3';

export const palette = {
  /** Given (prompt / context) tokens: neutral dark. */
  given: '#37474f',
  /** Masked / open positions: gray. */
  open: '#cfd4da',
  /** Committed at the current step (full probability): green. */
  current: '#1a9850',
  /** The pale end of the current-step green (probability 0). */
  currentPale: '#d9f0d3',
  /** Committed at an earlier step: blue. */
  earlier: '#3a6fc4',
  /** Mask cells. */
  allowed: '#2f4b7c',
  blocked: '#eef0f3',
  padding: '#f3dfc1',
  /** Text and lines. */
  ink: '#1f2328',
  inkOnDark: '#ffffff',
  muted: '#5f6670',
  rule: '#8a9099',
  background: '#ffffff',
  /** Outline for the hovered cell, highlighted group, current step. */
  highlight: '#f0a30a',
  /** Loss chart series. */
  train: '#3a6fc4',
  val: '#d95f02',
  stage: '#7a7f87',
} as const;

/** Token / cell state shared by CommitTimeline, TokenStrip and GroupOrder. */
export type TokenState = 'given' | 'open' | 'current' | 'earlier';

export const stateLabel: Record<TokenState, string> = {
  given: 'given (prompt)',
  open: 'masked / open',
  current: 'committed this step (shade = probability)',
  earlier: 'committed at an earlier step',
};

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 1);

/** Green of a token committed at the current step, darker for higher probability (solid colour, works on canvas). */
export function currentFill(prob?: number): string {
  const p = prob === undefined ? 1 : clamp01(prob);
  return d3.rgb(d3.interpolateRgb(palette.currentPale, palette.current)(0.3 + 0.7 * p)).formatHex();
}

/** Fill of a token / cell in a given state. */
export function stateFill(state: TokenState, prob?: number): string {
  switch (state) {
    case 'given':
      return palette.given;
    case 'open':
      return palette.open;
    case 'current':
      return currentFill(prob);
    case 'earlier':
      return palette.earlier;
  }
}

/** Sequential colour of "the step (or group rank) that committed it": rank 0 .. n-1, early = dark purple, late = yellow. */
export function stepColor(rank: number, n: number): string {
  const t = n <= 1 ? 0 : Math.min(1, Math.max(0, rank / (n - 1)));
  return d3.rgb(d3.interpolateViridis(0.08 + 0.84 * t)).formatHex();
}

/** Attention weight colour: white (0) to dark orange (max). Distinct from the green/blue state colours. */
export function attentionColor(weight: number, max = 1): string {
  const t = max > 0 && Number.isFinite(weight) ? Math.min(1, Math.max(0, weight / max)) : 0;
  return d3.rgb(d3.interpolateOranges(0.04 + 0.96 * t)).formatHex();
}

/** Readable text colour on a background: dark ink on light fills, white on dark fills. */
export function textOn(background: string): string {
  const l = d3.lab(background).l;
  return Number.isFinite(l) && l > 62 ? palette.ink : palette.inkOnDark;
}

/** Typography sized for a projector. */
export const fonts = {
  ui: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  mono: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
  size: 14,
  title: 17,
  token: 16,
  small: 12,
} as const;
