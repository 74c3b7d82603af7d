import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_SPLIT,
  HELDOUT_BROWN,
  HELDOUT_GUTENBERG,
  assignSplit,
  chunkParagraphs,
  cleanGutenbergText,
  detagBrownFile,
  detagSentence,
  detagToken,
  detokenize,
  isVerseParagraph,
  joinDocs,
  splitDocs,
  splitSentences,
  storyWindows,
  stripGutenbergBoilerplate,
  stripItalics,
} from '@/lib/train/corpus';

const ROOT = join(__dirname, '../..');
const fixture = (name: string): string => readFileSync(join(ROOT, 'test/fixtures', name), 'utf8');

describe('Brown detagging', () => {
  it('splits word/tag at the last slash', () => {
    expect(detagToken('jury/nn')).toBe('jury');
    expect(detagToken('1/2/cd')).toBe('1/2');
    expect(detagToken('//in')).toBe('/');
    expect(detagToken("didn't/dod*")).toBe("didn't");
  });

  it('re-attaches punctuation and converts `` and \'\' to double quotes', () => {
    expect(detokenize(['word', ',', 'word', '.'])).toBe('word, word.');
    expect(detokenize(['a', '(', 'b', ')', 'c', ';', 'd', ':', 'e', '?'])).toBe('a (b) c; d: e?');
    expect(detokenize(['``', 'Hi', "''", ',', 'he', 'said'])).toBe('"Hi," he said');
    expect(detokenize(['it', '--', 'not', 'once'])).toBe('it--not once');
  });

  it('pairs single quotes and fixes doubled periods and semicolons', () => {
    expect(detokenize(['said', ',', "'", 'Go', 'home', "'", '.'])).toBe("said, 'Go home'.");
    expect(detokenize(['Allen', 'Jr.', '.'])).toBe('Allen Jr.');
    expect(detokenize(['low', ';', ';'])).toBe('low;');
    expect(detokenize(['``', 'Stop', '!', "''", '.'])).toBe('"Stop!"');
  });

  it('parses a fixture file into paragraphs, headlines on their own', () => {
    expect(detagSentence('The/at jury/nn said/vbd ./.')).toBe('The jury said.');
    expect(detagBrownFile(fixture('brown-sample.txt'))).toEqual([
      'The jury said, "we feel fine." Mr. Pye, Jr.',
      'Merger proposed',
      "However, the price (1/2 cent) was low; and it didn't rise--not once? He said, 'Go home'.",
    ]);
  });
});

describe('Gutenberg cleaning', () => {
  it('drops header line and licence footer, normalises CRLF', () => {
    const body = stripGutenbergBoilerplate(fixture('gutenberg-sample.txt'));
    // eslint-disable-next-line no-control-regex -- the ^Z (EOF) mark is the control character under test
    expect(body).not.toMatch(/Project Gutenberg|A Little Book by Nobody|\r|\x1a/);
    expect(body).toContain('CHAPTER I');
  });

  it('unwraps prose, keeps verse lines, strips italics and illustrations', () => {
    expect(cleanGutenbergText(fixture('gutenberg-sample.txt'))).toEqual([
      'CHAPTER I',
      'Once there was a little yellow Tulip, and she lived down in a little dark house under the ground. ' +
        'One day she heard a tap, tap, tap, at the door.',
      "There's a garden that I ken,\nFull of little gentlemen;\nLittle caps of blue they wear.",
      '"Who is that?" said Mr. Rain to the Tulip.',
    ]);
  });

  it('drops paragraphs mentioning the boilerplate even without an END marker', () => {
    const raw = 'A real paragraph of the story.\n\nThis eBook is for the use of anyone, Project Gutenberg.\n';
    expect(cleanGutenbergText(raw)).toEqual(['A real paragraph of the story.']);
  });

  it('strips italics across unwrapped lines', () => {
    expect(stripItalics('a _very_ good _Le Morte d\'Arthur_ b')).toBe("a very good Le Morte d'Arthur b");
  });

  it('tells wrapped prose from verse', () => {
    const prose = ['x'.repeat(70), 'y'.repeat(66), 'short end'];
    expect(isVerseParagraph(prose)).toBe(false);
    expect(isVerseParagraph(['Piping down the valleys wild,', 'Piping songs of pleasant glee,'])).toBe(true);
    expect(isVerseParagraph(['one line only'])).toBe(false);
  });

  it('chunks at paragraph boundaries and merges a short tail', () => {
    const paras = Array.from({ length: 10 }, (_, i) => `${i}`.padEnd(99, '.'));
    const chunks = chunkParagraphs(paras, 300);
    expect(chunks.flat()).toEqual(paras);
    expect(chunks.map((c) => c.length)).toEqual([3, 3, 4]);
  });
});

describe('split assignment', () => {
  const names = Array.from({ length: 4000 }, (_, i) => `brown/c${i}`);

  it('is deterministic and independent of order', () => {
    const a = names.map((n) => assignSplit(n));
    const b = [...names].reverse().map((n) => assignSplit(n)).reverse();
    expect(a).toEqual(b);
    expect(assignSplit('brown/ca01', { ...DEFAULT_SPLIT, seed: 'other' })).toMatch(/train|val|test/);
  });

  it('gives disjoint splits covering all docs with roughly 5/5/90 %', () => {
    const docs = names.map((name) => ({ name }));
    const s = splitDocs(docs);
    const all = [...s.train, ...s.val, ...s.test].map((d) => d.name).sort();
    expect(all).toEqual([...names].sort());
    expect(new Set(all).size).toBe(names.length);
    expect(s.val.length / names.length).toBeGreaterThan(0.035);
    expect(s.val.length / names.length).toBeLessThan(0.065);
    expect(s.test.length / names.length).toBeGreaterThan(0.035);
    expect(s.test.length / names.length).toBeLessThan(0.065);
  });

  it('joins documents with a blank line', () => {
    const docs = [
      { name: 'a', source: 'a', paragraphs: ['p1', 'p2'] },
      { name: 'b', source: 'b', paragraphs: ['p3'] },
    ];
    expect(joinDocs(docs)).toBe('p1\np2\n\np3\n');
  });
});

describe('sentences and story windows', () => {
  it('splits sentences but not after abbreviations or initials', () => {
    expect(splitSentences('Mr. Brown met G. K. Smith. "Hello!" he said. She left? Yes.')).toEqual([
      'Mr. Brown met G. K. Smith.',
      '"Hello!" he said.',
      'She left?',
      'Yes.',
    ]);
    expect(splitSentences('"Stop!" cried the Duck. It was late.')).toEqual(['"Stop!" cried the Duck.', 'It was late.']);
  });

  it('makes 5-sentence windows inside one story, never across a heading', () => {
    const s = (i: number): string => `The little hen number ${i} walked home.`;
    const story1 = [Array.from({ length: 7 }, (_, i) => s(i)).join(' ')];
    const story2 = [s(10) + ' ' + s(11), s(12) + ' ' + s(13) + ' ' + s(14)];
    const wins = storyWindows('test/src', [...story1, 'THE SECOND STORY', ...story2]);
    expect(wins.map((w) => w.sentences.length)).toEqual([5, 5]);
    expect(wins[0].sentences[0]).toBe(s(0));
    expect(wins[1].sentences).toEqual([10, 11, 12, 13, 14].map(s));
    expect(wins[1].text).toBe(wins[1].sentences.join(' '));
    expect(wins[0].id).toBe('test/src:000');
  });

  it('never starts a window inside a quotation', () => {
    // "Go. is too short, so the first candidate starts at the sentence that
    // closes the quotation: quotes there are balanced (2) but it starts inside one.
    const para = '"Go. Then we all went home now." The dog sat down. The cat sat down too. ' +
      'The cow sat down last. "Come in now, my friend. Do come in now."';
    const wins = storyWindows('q', [para]);
    expect(wins).toHaveLength(1);
    expect(wins[0].sentences[0]).toBe('The dog sat down.');
  });
});

describe('generated corpus (manifest and held-out set are committed)', () => {
  const manifestPath = join(ROOT, 'data/corpus/manifest.json');
  const heldoutPath = join(ROOT, 'data/heldout-stories.jsonl');

  it('keeps held-out files out of every split, splits disjoint', () => {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    const heldout = new Set<string>([
      ...HELDOUT_GUTENBERG.map((f) => `gutenberg/${f}`),
      ...HELDOUT_BROWN.map((f) => `brown/${f}`),
    ]);
    const seen = new Set<string>();
    for (const split of ['train', 'val', 'test']) {
      for (const f of manifest.splits[split].files as { name: string }[]) {
        expect(seen.has(f.name)).toBe(false);
        seen.add(f.name);
        expect(heldout.has(f.name.replace(/#\d+$/, '.txt'))).toBe(false);
        expect(heldout.has(f.name)).toBe(false);
        expect(assignSplit(f.name)).toBe(split);
      }
    }
    expect(seen.has('gutenberg/bible-kjv#000')).toBe(false);
  });

  it('held-out JSONL is small, well-formed and absent from the split texts', () => {
    const raw = readFileSync(heldoutPath, 'utf8');
    expect(raw.length).toBeLessThan(300_000);
    const rows = raw.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.length).toBeGreaterThan(50);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    for (const r of rows) {
      expect(r.sentences).toHaveLength(5);
      expect(r.text).toBe(r.sentences.join(' '));
    }
    for (const split of ['train', 'val', 'test']) {
      const path = join(ROOT, `data/corpus/${split}.txt`);
      if (!existsSync(path)) continue;
      const text = readFileSync(path, 'utf8');
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
      expect(createHash('sha256').update(text, 'utf8').digest('hex')).toBe(manifest.splits[split].sha256);
      for (const r of rows) for (const s of r.sentences as string[]) if (s.length > 50) expect(text.includes(s)).toBe(false);
    }
  });
});
