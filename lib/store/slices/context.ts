/**
 * What every store slice is built from: zustand's set/get over the whole studio state, the options the
 * store was created with, the worker client, and the error sink. A slice is a function of this context that
 * returns its state and actions (and, where the worker's events concern it, an event handler).
 */
import type { StoreApi } from 'zustand/vanilla';
import type { AnswerTo, RequestBody, RequestType, SignalCommand, WorkerEvent } from '../../worker/protocol';
import type { StudioState } from '../studio-store';
import type { CellId } from './errors';

/** What the store needs from the worker: WorkerClient satisfies it, tests pass a fake. */
export interface StudioClient {
  /** Sends a request; resolves with the event that answers it (protocol.ts ANSWER), rejects on its error. */
  request<T extends RequestType>(cmd: RequestBody<T>, onSent?: (id: number) => void): Promise<AnswerTo<T>>;
  send(cmd: SignalCommand): void;
}

export interface StudioOptions {
  /** The page's query string at start (URL state and `?backend=`). */
  search?: string;
  client?: StudioClient;
  /** Where shipped weights live (default '/weights/'). */
  weightsBase?: string;
  tokenizerUrl?: string;
  /** Used to read manifests (existence and size); default globalThis.fetch. */
  fetchImpl?: typeof fetch;
  now?: () => number;
  /** Small settings that survive a reload (the last fine-tune); default localStorage where there is one. */
  storage?: KeyValueStorage | null;
}

export type KeyValueStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export interface SliceContext {
  set: StoreApi<StudioState>['setState'];
  get: () => StudioState;
  search: string;
  weightsBase: string;
  tokenizerUrl: string;
  /** null where no fetch exists (then nothing is probed). */
  fetch: typeof fetch | null;
  now: () => number;
  storage: KeyValueStorage | null;
  /** The attached client; throws before `attach`. */
  client(): StudioClient;
  /** The attached client or null: signals to a worker that is not there are dropped. */
  clientOrNull(): StudioClient | null;
  /** Shows `e` in `cell`. */
  fail(cell: CellId, e: unknown): void;
}

/** What a slice module builds: its part of the state, and what it does with worker events. */
export interface Slice<T> {
  slice: T;
  onEvent?(e: WorkerEvent): void;
}

export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
