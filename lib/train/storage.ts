/**
 * Where the page keeps models and fine-tuning checkpoints: IndexedDB in the
 * browser, a Map in tests. A checkpoint is the weights files (manifest +
 * shards, the shipped format) plus the trainer state, so a reloaded tab can
 * list and resume it.
 */
import type { TrainerState } from './trainer';

export interface StoredCheckpoint {
  key: string;
  label: string;
  savedAt: number;
  step: number;
  /** The stage's display name, and its index in the run's plan (names may repeat); absent in older checkpoints. */
  stage: string;
  stageIndex?: number;
  files: Record<string, ArrayBuffer | string>;
  state: TrainerState;
  /** What the run was training on, to resume it (text is kept by the store, not re-uploaded). */
  run: { text: string; plan: unknown };
}

export type CheckpointSummary = Pick<StoredCheckpoint, 'key' | 'label' | 'savedAt' | 'step' | 'stage'>;

export interface CheckpointStore {
  put(ckpt: StoredCheckpoint): Promise<void>;
  get(key: string): Promise<StoredCheckpoint | undefined>;
  list(): Promise<CheckpointSummary[]>;
  delete(key: string): Promise<void>;
}

function summary(c: StoredCheckpoint): CheckpointSummary {
  return { key: c.key, label: c.label, savedAt: c.savedAt, step: c.step, stage: c.stage };
}

export class MemoryCheckpointStore implements CheckpointStore {
  private readonly items = new Map<string, StoredCheckpoint>();
  async put(c: StoredCheckpoint): Promise<void> {
    this.items.set(c.key, structuredClone(c));
  }
  async get(key: string): Promise<StoredCheckpoint | undefined> {
    const c = this.items.get(key);
    return c && structuredClone(c);
  }
  async list(): Promise<CheckpointSummary[]> {
    return [...this.items.values()].map(summary).sort((a, b) => b.savedAt - a.savedAt);
  }
  async delete(key: string): Promise<void> {
    this.items.delete(key);
  }
}

const DB_NAME = 'a3-studio';
const STORE = 'checkpoints';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

export class IndexedDbCheckpointStore implements CheckpointStore {
  private db: Promise<IDBDatabase> | null = null;

  private open(): Promise<IDBDatabase> {
    if (typeof indexedDB === 'undefined') return Promise.reject(new Error('IndexedDB is not available here: checkpoints cannot be saved'));
    this.db ??= new Promise((resolve, reject) => {
      const r = indexedDB.open(DB_NAME, 1);
      r.onupgradeneeded = () => r.result.createObjectStore(STORE, { keyPath: 'key' });
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error ?? new Error('cannot open IndexedDB'));
    });
    return this.db;
  }

  private async store(mode: IDBTransactionMode): Promise<IDBObjectStore> {
    return (await this.open()).transaction(STORE, mode).objectStore(STORE);
  }

  async put(c: StoredCheckpoint): Promise<void> {
    await request((await this.store('readwrite')).put(c));
  }
  async get(key: string): Promise<StoredCheckpoint | undefined> {
    return request((await this.store('readonly')).get(key)) as Promise<StoredCheckpoint | undefined>;
  }
  async list(): Promise<CheckpointSummary[]> {
    const all = (await request((await this.store('readonly')).getAll())) as StoredCheckpoint[];
    return all.map(summary).sort((a, b) => b.savedAt - a.savedAt);
  }
  async delete(key: string): Promise<void> {
    await request((await this.store('readwrite')).delete(key));
  }
}
