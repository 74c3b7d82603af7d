/**
 * Where the page keeps fine-tuning checkpoints: IndexedDB in the browser, a Map in tests.
 *
 * Every training run gets a fresh id (newRunId) and each of its stages one checkpoint (key `run/stage`,
 * replaced as that stage goes on). So a new run never replaces another run's checkpoints, and a run that
 * diverges (the Trainer stops it before saving) leaves every earlier checkpoint as it was. Nothing is deleted
 * except by `delete` or `deleteRun`.
 *
 * A checkpoint holds the weights (manifest + shards, the shipped format), the trainer state, what the run
 * trains on (so resuming needs no upload) and the run's loss series so far across its stages (so a resumed
 * run gets its chart back). Listing reads the metadata alone: IndexedDB keeps it in an object store of its
 * own, apart from the weights.
 *
 * tf-free: the page may import the helpers (resumableRuns, isRunFinished).
 *
 * Longer than most: the checkpoint record, its legacy upgrade and both stores (Map and IndexedDB) are one
 * format, kept together so the two stores and the migration cannot drift apart.
 */
import type { Curriculum } from './curriculum';
import { recentLoss } from './divergence';
import type { TrainerState } from './trainer';

/** Steps between a page fine-tune's checkpoints (besides the one at the end of each stage): the worker saves at this rate, the Checkpoints list says so. */
export const CHECKPOINT_EVERY = 10;

/** One step's loss in a run: `step` counts within its stage (as StepLog.step). */
export interface LossPoint {
  stageIndex: number;
  step: number;
  loss: number;
}

/** What a run trains on. `batch` and `seed` are null in checkpoints saved before runs recorded them. */
export interface RunSpec {
  text: string;
  plan: Curriculum;
  batch: number | null;
  seed: number | null;
}

/** The fields every checkpoint has had (schema 1 on); the page's list shows them. */
export interface CheckpointSummary {
  key: string;
  /** e.g. "run 3f2a · blocks s=2 @ step 40", for messages. */
  label: string;
  savedAt: number;
  /** Steps done in this stage. */
  step: number;
  /** The stage's name. */
  stage: string;
}

/** What list() returns: everything but the weights, the optimizer state and the text. */
export interface CheckpointMeta extends CheckpointSummary {
  runId: string;
  runStartedAt: number;
  stageIndex: number;
  /** Steps the stage has in the plan, and stages the plan has: a run is finished at stageSteps of its last stage. */
  stageSteps: number;
  stageCount: number;
  /** Mean loss of the stage's last 10 steps (nats/token); null when no step was done. */
  loss: number | null;
  /** The run's losses up to this checkpoint, every stage so far. */
  losses: LossPoint[];
}

export interface StoredCheckpoint extends CheckpointMeta {
  files: Record<string, ArrayBuffer | string>;
  state: TrainerState;
  run: RunSpec;
}

/**
 * A checkpoint as saved before run ids (IndexedDB schema 1, keyed by seed + stage): found in old databases and
 * still written by callers that do not pass a run id yet. put() and the schema upgrade turn it into a
 * StoredCheckpoint whose run id is its old key.
 */
export interface LegacyCheckpoint {
  key: string;
  label: string;
  savedAt: number;
  step: number;
  /** The stage's display name, and its index in the run's plan (names may repeat); absent in older checkpoints. */
  stage: string;
  stageIndex?: number;
  files: Record<string, ArrayBuffer | string>;
  state: TrainerState;
  run: { text: string; plan: unknown };
}

export interface CheckpointStore {
  /** Saves, replacing the checkpoint with the same key (the same run and stage) and nothing else. */
  put(ckpt: StoredCheckpoint | LegacyCheckpoint): Promise<void>;
  get(key: string): Promise<StoredCheckpoint | undefined>;
  /** Newest first. */
  list(): Promise<CheckpointMeta[]>;
  delete(key: string): Promise<void>;
  /** Every checkpoint of one run. */
  deleteRun(runId: string): Promise<void>;
}

// ---------------------------------------------------------------------------
// Runs and records

/** A fresh run id: time (sortable) and 32 random bits (two runs in one millisecond still differ). */
export function newRunId(now = Date.now()): string {
  const random = crypto.getRandomValues(new Uint32Array(1))[0];
  return `run-${now.toString(36)}-${random.toString(16).padStart(8, '0')}`;
}

export function checkpointKey(runId: string, stageIndex: number): string {
  return `${runId}/${stageIndex}`;
}

/** A run's id as the page shows it: its last four hex digits ("run 3f2a"). */
export const shortRun = (runId: string): string => runId.slice(-4);

export interface CheckpointInput {
  runId: string;
  runStartedAt: number;
  run: RunSpec;
  stageIndex: number;
  files: Record<string, ArrayBuffer | string>;
  /** The stage's Trainer state at this point (its history is this stage's losses). */
  state: TrainerState;
  /** The run's losses in the stages before this one (lossesBefore of the checkpoint a resumed run came from). */
  earlierLosses: readonly LossPoint[];
  savedAt?: number;
}

/** The record the worker saves for one stage of a run. */
export function checkpointRecord(o: CheckpointInput): StoredCheckpoint {
  const stage = o.run.plan.stages[o.stageIndex];
  if (!stage) throw new Error(`stage ${o.stageIndex} is not in the run's plan (${o.run.plan.stages.length} stages)`);
  const losses = [
    ...o.earlierLosses.filter((p) => p.stageIndex < o.stageIndex),
    ...o.state.history.map((h) => ({ stageIndex: o.stageIndex, step: h.step, loss: h.loss })),
  ];
  return {
    key: checkpointKey(o.runId, o.stageIndex),
    label: `run ${shortRun(o.runId)} · ${stage.name} @ step ${o.state.step}`,
    runId: o.runId,
    runStartedAt: o.runStartedAt,
    stageIndex: o.stageIndex,
    stage: stage.name,
    stageSteps: stage.steps,
    stageCount: o.run.plan.stages.length,
    step: o.state.step,
    loss: recentLoss(o.state.history),
    savedAt: o.savedAt ?? Date.now(),
    losses,
    files: o.files,
    state: o.state,
    run: o.run,
  };
}

/** The run's losses before stage `stageIndex`: what a run resumed from this checkpoint carries on from. */
export function lossesBefore(ckpt: CheckpointMeta, stageIndex: number): LossPoint[] {
  return ckpt.losses.filter((p) => p.stageIndex < stageIndex);
}

export function isRunFinished(c: CheckpointMeta): boolean {
  return c.stageIndex === c.stageCount - 1 && c.step >= c.stageSteps;
}

/** Each unfinished run's latest checkpoint (furthest stage, then step), newest first: what "resume run X from step N" offers. */
export function resumableRuns(list: readonly CheckpointMeta[]): CheckpointMeta[] {
  const latest = new Map<string, CheckpointMeta>();
  for (const c of list) {
    const seen = latest.get(c.runId);
    if (!seen || c.stageIndex > seen.stageIndex || (c.stageIndex === seen.stageIndex && c.step > seen.step)) latest.set(c.runId, c);
  }
  return [...latest.values()].filter((c) => !isRunFinished(c)).sort((a, b) => b.savedAt - a.savedAt);
}

function isLegacy(c: StoredCheckpoint | LegacyCheckpoint): c is LegacyCheckpoint {
  return !('runId' in c);
}

/** A schema-1 record as a StoredCheckpoint: stage index and sizes from its plan where it has one. */
export function upgradeLegacy(c: LegacyCheckpoint): StoredCheckpoint {
  const plan = c.run.plan as Partial<Curriculum> | null; // the worker wrote its command's Curriculum here
  const stages = Array.isArray(plan?.stages) ? plan.stages : [];
  const stageIndex = Math.max(0, stages.findIndex((s) => s?.name === c.stage));
  const history = Array.isArray(c.state?.history) ? c.state.history : [];
  const seed = /^run-(\d+)-/.exec(c.key); // schema-1 keys were run-<seed>-<stage name>
  return {
    key: c.key,
    label: c.label,
    runId: c.key,
    runStartedAt: c.savedAt,
    stageIndex,
    stage: c.stage,
    stageSteps: stages[stageIndex]?.steps ?? c.step,
    stageCount: Math.max(1, stages.length),
    step: c.step,
    loss: recentLoss(history),
    savedAt: c.savedAt,
    losses: history.map((h) => ({ stageIndex, step: h.step, loss: h.loss })),
    files: c.files,
    state: c.state,
    run: { text: c.run.text, plan: plan as Curriculum, batch: null, seed: seed ? Number(seed[1]) : null },
  };
}

const normalize = (c: StoredCheckpoint | LegacyCheckpoint): StoredCheckpoint => (isLegacy(c) ? upgradeLegacy(c) : c);

function metaOf(c: StoredCheckpoint): CheckpointMeta {
  const { files: _files, state: _state, run: _run, ...summary } = c;
  return summary;
}

const newestFirst = (a: CheckpointMeta, b: CheckpointMeta) => b.savedAt - a.savedAt;

// ---------------------------------------------------------------------------
// Stores

export class MemoryCheckpointStore implements CheckpointStore {
  private readonly items = new Map<string, StoredCheckpoint>();
  async put(c: StoredCheckpoint | LegacyCheckpoint): Promise<void> {
    const record = normalize(c);
    this.items.set(record.key, structuredClone(record));
  }
  async get(key: string): Promise<StoredCheckpoint | undefined> {
    const c = this.items.get(key);
    return c && structuredClone(c);
  }
  async list(): Promise<CheckpointMeta[]> {
    return [...this.items.values()].map((c) => structuredClone(metaOf(c))).sort(newestFirst);
  }
  async delete(key: string): Promise<void> {
    this.items.delete(key);
  }
  async deleteRun(runId: string): Promise<void> {
    for (const [key, c] of this.items) if (c.runId === runId) this.items.delete(key);
  }
}

const DB_NAME = 'a3-studio';
/** 2: metadata and weights in two object stores, keyed by run and stage. 1: one store keyed by seed + stage. */
const DB_VERSION = 2;
const META_STORE = 'checkpoint-meta';
const DATA_STORE = 'checkpoint-data';
const LEGACY_STORE = 'checkpoints';

interface CheckpointData {
  key: string;
  files: StoredCheckpoint['files'];
  state: TrainerState;
  run: RunSpec;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

/** Resolves when the transaction has committed (a request's success comes before that). */
function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
  });
}

/** One clear message for a full disk; the transaction was rolled back, so nothing saved before is lost. */
function storageError(e: unknown): Error {
  if ((e as { name?: string } | null)?.name === 'QuotaExceededError') {
    return new Error('browser storage is full: delete old checkpoints to save new ones (the checkpoints already saved are intact)');
  }
  return e instanceof Error ? e : new Error(String(e));
}

/** Schema 1 -> 2 inside the upgrade transaction; the old store goes only when every record moved over. */
function migrateLegacy(db: IDBDatabase, tx: IDBTransaction): void {
  const all = tx.objectStore(LEGACY_STORE).getAll();
  all.onsuccess = () => {
    let kept = 0;
    for (const old of all.result as LegacyCheckpoint[]) {
      try {
        const c = upgradeLegacy(old);
        tx.objectStore(META_STORE).put(metaOf(c));
        tx.objectStore(DATA_STORE).put({ key: c.key, files: c.files, state: c.state, run: c.run } satisfies CheckpointData);
      } catch {
        kept += 1; // malformed: left in the old store rather than lost
      }
    }
    if (kept === 0) db.deleteObjectStore(LEGACY_STORE);
  };
}

export class IndexedDbCheckpointStore implements CheckpointStore {
  private db: Promise<IDBDatabase> | null = null;

  /** `factory`: the browser's indexedDB by default; tests pass fake-indexeddb's. */
  constructor(private readonly factory: IDBFactory | undefined = globalThis.indexedDB) {}

  private open(): Promise<IDBDatabase> {
    const factory = this.factory;
    if (!factory) return Promise.reject(new Error('IndexedDB is not available here: checkpoints cannot be saved'));
    this.db ??= new Promise((resolve, reject) => {
      const r = factory.open(DB_NAME, DB_VERSION);
      r.onupgradeneeded = (ev) => {
        const db = r.result;
        const tx = r.transaction as IDBTransaction; // always set during an upgrade
        if (!db.objectStoreNames.contains(META_STORE)) db.createObjectStore(META_STORE, { keyPath: 'key' });
        if (!db.objectStoreNames.contains(DATA_STORE)) db.createObjectStore(DATA_STORE, { keyPath: 'key' });
        if (ev.oldVersion === 1 && db.objectStoreNames.contains(LEGACY_STORE)) migrateLegacy(db, tx);
      };
      r.onblocked = () => reject(new Error('checkpoint storage is being upgraded: close the other A3 Studio tabs and reload'));
      r.onsuccess = () => {
        // Let a later version (another tab) upgrade instead of waiting on this connection.
        r.result.onversionchange = () => r.result.close();
        resolve(r.result);
      };
      r.onerror = () => reject(r.error ?? new Error('cannot open IndexedDB'));
    });
    return this.db;
  }

  private async transaction(mode: IDBTransactionMode): Promise<IDBTransaction> {
    return (await this.open()).transaction([META_STORE, DATA_STORE], mode);
  }

  async put(c: StoredCheckpoint | LegacyCheckpoint): Promise<void> {
    const record = normalize(c);
    try {
      const tx = await this.transaction('readwrite');
      tx.objectStore(META_STORE).put(metaOf(record));
      tx.objectStore(DATA_STORE).put({ key: record.key, files: record.files, state: record.state, run: record.run } satisfies CheckpointData);
      await committed(tx);
    } catch (e) {
      throw storageError(e);
    }
  }

  async get(key: string): Promise<StoredCheckpoint | undefined> {
    const tx = await this.transaction('readonly');
    const [meta, data] = await Promise.all([
      request(tx.objectStore(META_STORE).get(key)) as Promise<CheckpointMeta | undefined>,
      request(tx.objectStore(DATA_STORE).get(key)) as Promise<CheckpointData | undefined>,
    ]);
    return meta && data ? { ...meta, files: data.files, state: data.state, run: data.run } : undefined;
  }

  async list(): Promise<CheckpointMeta[]> {
    const tx = await this.transaction('readonly');
    const all = (await request(tx.objectStore(META_STORE).getAll())) as CheckpointMeta[];
    return all.sort(newestFirst);
  }

  async delete(key: string): Promise<void> {
    await this.deleteKeys([key]);
  }

  async deleteRun(runId: string): Promise<void> {
    await this.deleteKeys((await this.list()).filter((c) => c.runId === runId).map((c) => c.key));
  }

  /** Metadata and weights go together, in one transaction. */
  private async deleteKeys(keys: string[]): Promise<void> {
    const tx = await this.transaction('readwrite');
    for (const key of keys) {
      tx.objectStore(META_STORE).delete(key);
      tx.objectStore(DATA_STORE).delete(key);
    }
    await committed(tx);
  }
}
