/** A WorkerCore in Node (no Worker, no IndexedDB): fixture model files served by a fake fetch, events collected. */
import { PRESETS } from '@/lib/a3/config';
import { disposeModel, initModel } from '@/lib/a3/model';
import { Tokenizer } from '@/lib/a3/tokenizer';
import { serializeModel } from '@/lib/a3/weights';
import type { SpawnReplica } from '@/lib/train/parallel';
import { MemoryCheckpointStore } from '@/lib/train/storage';
import { WorkerCore, type DecodeHandler } from '@/lib/worker/core';
import type { WorkerEvent } from '@/lib/worker/protocol';
import { fakeDecodeResult } from '../store/fake-decode';

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
    const name = String(url).split('/').pop() ?? '';
    const body = files[name];
    if (body === undefined) return new Response('missing', { status: 404 });
    return new Response(body);
  }) as typeof fetch;
}

/**
 * A stand-in for the decoding engine (tested on its own): a well-formed result whose text says what reached it,
 * the request's text and the vocabulary of the tokenizer the core passed.
 */
export const echoDecode: DecodeHandler = async (_model, tokenizer, request) => ({ ...fakeDecodeResult(request), text: `${request.text} | vocab ${tokenizer.vocabSize}` });

export interface HarnessOptions {
  /** Sees every event as it is posted (to act at a precise moment of a run). */
  onEvent?: (e: WorkerEvent, core: WorkerCore) => void;
  /** Replaces the echoing engine. */
  decode?: DecodeHandler;
  /** Data-parallel replicas for `train` with `workers` > 1 (worker threads in Node). */
  replicas?: SpawnReplica;
  /** Test-only crash of a running replica (parallel-web's crashReplica in the page). */
  crashReplica?: () => boolean;
}

export function harness(files: Record<string, ArrayBuffer | string>, o: HarnessOptions = {}) {
  const events: WorkerEvent[] = [];
  const store = new MemoryCheckpointStore();
  /** What GPUDevice.lost calls in the browser (watchDeviceLost hooks only a real WebGPU device): tests call it. */
  let deviceLost: (detail: string) => void = () => undefined;
  const core: WorkerCore = new WorkerCore({
    post: (e) => {
      events.push(e);
      o.onEvent?.(e, core);
    },
    store,
    decode: o.decode ?? echoDecode,
    fetchImpl: fakeFetch(files),
    watchDeviceLost: (onLost) => (deviceLost = onLost),
    ...(o.replicas ? { replicas: o.replicas } : {}),
    ...(o.crashReplica ? { crashReplica: o.crashReplica } : {}),
  });
  const of = <T extends WorkerEvent['type']>(type: T) => events.filter((e): e is Extract<WorkerEvent, { type: T }> => e.type === type);
  return { core, events, store, of, loseDevice: (detail: string) => deviceLost(detail) };
}
