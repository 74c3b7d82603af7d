import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trainingFacts } from '@/lib/notebook/model-facts';

const ROOT = join(__dirname, '../..');
/** Serves public/ as the app does. */
const servePublic = (async (url: string) => {
  try {
    return new Response(readFileSync(join(ROOT, 'public', url)));
  } catch {
    return new Response('not found', { status: 404 });
  }
}) as unknown as typeof fetch;

describe('trainingFacts (shipped training.json)', () => {
  it('reads the tokens the shipped models saw', async () => {
    const base = JSON.parse(readFileSync(join(ROOT, 'public/weights/base/training.json'), 'utf8'));
    const a3 = JSON.parse(readFileSync(join(ROOT, 'public/weights/a3/training.json'), 'utf8'));
    expect(await trainingFacts('a3', '/weights/', servePublic)).toEqual({ pretrainTokens: base.tokensSeen, adaptTokens: a3.adaptTokensInAll ?? a3.totalTokens });
    expect(await trainingFacts('base', '/weights/', servePublic)).toEqual({ pretrainTokens: base.tokensSeen, adaptTokens: null });
    expect(base.tokensSeen).toBeGreaterThan(1e6);
  });

  it('missing files give unknown figures, not an error', async () => {
    expect(await trainingFacts('a3', '/nowhere/', servePublic)).toEqual({ pretrainTokens: null, adaptTokens: null });
  });
});
