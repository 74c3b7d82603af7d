/** A WorkerCore in Node (no Worker, no IndexedDB): fixture model files served by a fake fetch, events collected. */
import { PRESETS } from '@/lib/a3/config';
import { disposeModel, initModel } from '@/lib/a3/model';
import { Tokenizer } from '@/lib/a3/tokenizer';
import { serializeModel } from '@/lib/a3/weights';
import type { WorkerEvent } from '@/lib/train/protocol';
import { MemoryCheckpointStore } from '@/lib/train/storage';
import { WorkerCore, type DecodeHandler } from '@/lib/train/worker-core';

export const TEXT = 'The quick brown fox jumps over the lazy dog. A small cat sat on the warm mat and looked at the moon. '.repeat(12);

/** manifest.json + shards + tokenizer.json of a tiny model (maxLen 32) with a tokenizer trained on TEXT. */
export async function fixtureFiles(): Promise<Record<string, ArrayBuffer | string>> {
  const tokenizer = Tokenizer.train(TEXT, 40);
  const model = initModel({ ...PRESETS.tiny, vocabSize: tokenizer.vocabSize, maxLen: 32 }, 5);
  const { manifest, shards } = await serializeModel(model);
  disposeModel(model);
  return { 'manifest.json': JSON.stringify(manifest), 'tokenizer.json': JSON.stringify(tokenizer.toJSON()), ...shards };
}

export function fakeFetch(files: Record<string, ArrayBuffer | string>): typeof fetch {
  return (async (url: string | URL) => {
    const name = String(url).split('/').pop()!;
    const body = files[name];
    if (body === undefined) return new Response('missing', { status: 404 });
    return new Response(body);
  }) as typeof fetch;
}

/** `onEvent` sees every event as it is posted (to act at a precise moment of a run); `decode` replaces the echoing engine. */
export function harness(files: Record<string, ArrayBuffer | string>, onEvent?: (e: WorkerEvent, core: WorkerCore) => void, decode?: DecodeHandler) {
  const events: WorkerEvent[] = [];
  const store = new MemoryCheckpointStore();
  const core: WorkerCore = new WorkerCore({
    post: (e) => {
      events.push(e);
      onEvent?.(e, core);
    },
    store,
    decode: decode ?? ((_m, tok, req) => ({ echo: req, vocab: tok.vocabSize })),
    fetchImpl: fakeFetch(files),
  });
  const of = <T extends WorkerEvent['type']>(type: T) => events.filter((e): e is Extract<WorkerEvent, { type: T }> => e.type === type);
  return { core, events, store, of };
}
