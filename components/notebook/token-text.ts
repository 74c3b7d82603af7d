'use client';
/**
 * Token pieces as the cells show them, decoded across pieces (lib/a3/token-display) with the page's
 * tokenizer, so "’", "é", "😀" or "中" split over several tokens show once, whole, on the token that
 * completes them. Before the tokenizer has loaded (or where it cannot), the worker's per-token labels
 * are shown as they are.
 */
import { useMemo } from 'react';
import { pieceLabel, piecesText, tokenPiecesText, type PieceText } from '@/lib/a3/token-display';
import type { Tokenizer } from '@/lib/a3/tokenizer';
import { useStudio } from './StudioProvider';

export interface TokenTexts {
  /** Per position: the characters it completes; joined, they are the decoded text. */
  pieces: readonly PieceText[];
  /** Per position: its chip label (its characters, ◌ where it holds part of one). */
  labels: readonly string[];
  /** Candidate token `id` at position `pos`, read after the tokens before it (which may hold the start of its character). */
  candidate(pos: number, id: number): string;
}

/** A UTF-8 character is at most 4 bytes, so its start lies within the 3 tokens before the one that completes it. */
const CONTEXT_TOKENS = 3;

export function tokenTexts(tokenizer: Tokenizer | null, tokens: readonly number[] | undefined, fallback: readonly string[]): TokenTexts {
  if (!tokenizer || !tokens || tokens.length !== fallback.length) {
    return {
      pieces: fallback.map((text) => ({ text, partial: false })),
      labels: fallback,
      candidate: (_pos, id) => (tokenizer ? tokenizer.decodeToken(id) : `#${id}`),
    };
  }
  const pieces = tokenPiecesText(tokenizer, tokens);
  return {
    pieces,
    labels: pieces.map(pieceLabel),
    candidate(pos, id) {
      const before = tokens.slice(Math.max(0, pos - CONTEXT_TOKENS), pos).map((t) => tokenizer.tokenBytes(t));
      const shown = piecesText([...before, tokenizer.tokenBytes(id)], true);
      return pieceLabel(shown[shown.length - 1]);
    },
  };
}

/** `tokenTexts` with the store's tokenizer, recomputed only when the tokens change. */
export function useTokenTexts(tokens: readonly number[] | undefined, fallback: readonly string[]): TokenTexts {
  const tokenizer = useStudio((s) => s.tokenizer);
  return useMemo(() => tokenTexts(tokenizer, tokens, fallback), [tokenizer, tokens, fallback]);
}
