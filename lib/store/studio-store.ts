/**
 * The studio's state: one zustand **vanilla** store per React tree (no global store; see
 * components/notebook/StudioProvider.tsx), framework-free so Node tests drive it with a fake worker.
 * This file composes the slices (slices/: models, inspect, decode with replay and compare, training,
 * errors); each owns its part of the state, its actions and the worker events that concern it. The store
 * talks to the worker only through a `StudioClient` (the WorkerClient's request/send).
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { WorkerEvent } from '../worker/protocol';
import { parseUrlState } from './url-params';
import type { KeyValueStorage, Slice, SliceContext, StudioClient, StudioOptions } from './slices/context';
import { messageOf } from './slices/context';
import { decodeSlice, type DecodeActions, type DecodeData } from './slices/decode';
import { errorsSlice, type ErrorsActions, type ErrorsData } from './slices/errors';
import { inspectSlice, type InspectActions, type InspectData } from './slices/inspect';
import { modelsSlice, type ModelsActions, type ModelsData } from './slices/models';
import { trainingSlice, type TrainingActions, type TrainingData } from './slices/training';

export type { StudioClient, StudioOptions } from './slices/context';
export { DECODE_SPEEDS, compareRows, decodeModelKind, playgroundRequest } from './slices/decode';
export type { CompareRow, CompareState, CompareStatus, DecodeState, DecodeStatus } from './slices/decode';
export type { CellId, StudioError } from './slices/errors';
export type { InspectState } from './slices/inspect';
export { MODEL_KINDS, MODEL_LABEL, MODEL_SHORT, modelContext } from './slices/models';
export type { BackendState, LoadStatus, ModelSlot, Shipped } from './slices/models';
export type { StartTraining } from './slices/training';

export interface WorkerLink {
  attach(client: StudioClient): void;
  detach(): void;
  /** Every event from the worker goes here (the WorkerClient's onEvent). */
  handleEvent(e: WorkerEvent): void;
}

/** The state the cells read. */
export type StudioData = ModelsData & InspectData & DecodeData & TrainingData & ErrorsData;
/** What the cells may call: actions only (useStudioActions returns this). */
export type StudioActions = WorkerLink & ModelsActions & InspectActions & DecodeActions & TrainingActions & ErrorsActions;
export type StudioState = StudioData & StudioActions;
export type StudioStore = StoreApi<StudioState>;

/** localStorage where the page has it (null in Node, or where the browser refuses it). */
function browserStorage(): KeyValueStorage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

export function createStudioStore(options: StudioOptions = {}): StudioStore {
  const search = options.search ?? '';
  const weightsBase = options.weightsBase ?? '/weights/';
  const url = parseUrlState(search);
  let client: StudioClient | null = options.client ?? null;

  return createStore<StudioState>()((set, get) => {
    const ctx: SliceContext = {
      set,
      get,
      search,
      weightsBase,
      tokenizerUrl: options.tokenizerUrl ?? `${weightsBase}tokenizer.json`,
      // Called as ctx.fetch(...): the browser's fetch refuses any `this` but the window ("Illegal invocation").
      fetch: options.fetchImpl ?? (typeof fetch === 'function' ? (input, init) => fetch(input, init) : null),
      now: options.now ?? (() => Date.now()),
      storage: options.storage !== undefined ? options.storage : browserStorage(),
      client() {
        if (!client) throw new Error('the worker is not running yet');
        return client;
      },
      clientOrNull: () => client,
      fail: (cell, e) => get().pushError(cell, messageOf(e)),
    };
    const parts: Slice<object>[] = [];
    const use = <T extends object>(part: Slice<T>): T => {
      parts.push(part);
      return part.slice;
    };
    const link: WorkerLink = {
      attach(c) {
        client = c;
      },
      detach() {
        client = null;
      },
      handleEvent(e) {
        for (const part of parts) part.onEvent?.(e);
      },
    };
    return {
      ...use(modelsSlice(ctx)),
      ...use(inspectSlice(ctx, url.inspect)),
      ...use(decodeSlice(ctx, url.playground)),
      ...use(trainingSlice(ctx)),
      ...use(errorsSlice(ctx)),
      ...link,
    };
  });
}
