/**
 * How token pieces are shown. A byte-level BPE token can hold part of a UTF-8 character (curly quotes,
 * dashes, accents, emoji and CJK take 2-4 bytes, and a merge boundary can fall inside them), so decoding
 * each token alone shows U+FFFD where the text has "’" or "é". Here the byte sequence is decoded across
 * the pieces, as one stream: each piece shows the characters whose last byte it holds, and is marked
 * `partial` when it ends inside a character that a later piece completes. Joining every piece's `text`
 * gives exactly `TextDecoder` of all the bytes (`Tokenizer.decode` of the ids), invalid bytes included.
 *
 * Pure TypeScript, no tfjs: the page, the views and Node use the same function.
 */
import { SPECIAL_TOKENS, type Tokenizer } from './tokenizer';

export interface PieceText {
  /** The characters this piece completes ('' when it only starts one, or holds its middle). */
  text: string;
  /** The piece ends inside a character a later piece completes (or that the sequence never completes). */
  partial: boolean;
}

/** Shown for a piece that holds only part of a character: a thin dotted circle, not text. */
export const PARTIAL_PIECE_MARK = '◌';

/** Bytes still needed after lead byte `b` (0 for ASCII or a byte that cannot start a sequence). */
function sequenceLength(b: number): number {
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf4) return 4;
  return 0;
}

/** The allowed range of the byte after lead `b` (UTF-8 excludes overlong forms and surrogates). */
function secondByteRange(b: number): [number, number] {
  if (b === 0xe0) return [0xa0, 0xbf];
  if (b === 0xed) return [0x80, 0x9f];
  if (b === 0xf0) return [0x90, 0xbf];
  if (b === 0xf4) return [0x80, 0x8f];
  return [0x80, 0xbf];
}

/**
 * Whether `bytes[0..end)` ends inside a well-formed but unfinished character. A lead byte always starts
 * a new sequence in a UTF-8 decoder (whatever came before it), and a sequence is at most 4 bytes, so
 * looking at the last 3 bytes is enough.
 */
function endsInsideCharacter(bytes: Uint8Array, end: number): boolean {
  for (let lead = end - 1; lead >= Math.max(0, end - 3); lead--) {
    const need = sequenceLength(bytes[lead]);
    const b = bytes[lead];
    if (need === 0) {
      if (b >= 0x80 && b <= 0xbf) continue; // a continuation byte: the lead is further back
      return false; // ASCII or an invalid byte: nothing is pending
    }
    const have = end - lead;
    if (have >= need) return false; // the sequence is complete (or broken) within the bytes
    for (let k = lead + 1; k < end; k++) {
      const [lo, hi] = k === lead + 1 ? secondByteRange(b) : [0x80, 0xbf];
      if (bytes[k] < lo || bytes[k] > hi) return false; // broken: the decoder already replaced it
    }
    return true;
  }
  return false;
}

/**
 * The display of each piece of a byte sequence cut into pieces (see the top of the file).
 * `continues`: more bytes follow (a prefix of a longer text), so an unfinished last character stays pending.
 */
export function piecesText(pieces: readonly Uint8Array[], continues = false): PieceText[] {
  const total = pieces.reduce((n, p) => n + p.length, 0);
  const all = new Uint8Array(total);
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const out: PieceText[] = [];
  let end = 0;
  for (const piece of pieces) {
    all.set(piece, end);
    end += piece.length;
    out.push({ text: decoder.decode(piece, { stream: true }), partial: endsInsideCharacter(all, end) });
  }
  if (continues) return out;
  // An unfinished character at the very end becomes U+FFFD, as in a one-shot decode; the last piece shows it.
  const rest = decoder.decode();
  if (rest && out.length) out[out.length - 1] = { text: out[out.length - 1].text + rest, partial: false };
  return out;
}

const NO_BYTES = new Uint8Array(0);

/** The display of each token of `ids` in context, as `Tokenizer.decode` renders them: specials by name, <pad> as nothing. */
export function tokenPiecesText(tokenizer: Pick<Tokenizer, 'tokenBytes'>, ids: ArrayLike<number>): PieceText[] {
  return piecesText(Array.from(ids, (id) => (id === SPECIAL_TOKENS.pad ? NO_BYTES : tokenizer.tokenBytes(id))));
}

/** One piece as a chip label: its characters, the partial mark when it holds part of one. */
export function pieceLabel(p: PieceText): string {
  return p.partial ? `${p.text}${PARTIAL_PIECE_MARK}` : p.text;
}
