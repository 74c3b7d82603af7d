/**
 * Workers that answer one request at a time, shared by data-parallel training
 * (parallel.ts) and parallel scoring (scripts/lib/eval-workers.ts): the port a
 * transport implements on each side, the worker's serving loop, and the
 * coordinator's pool, in which the first failure wins — every waiting request
 * is rejected with a message naming the worker and what it was doing, and the
 * other workers are stopped, so nothing waits forever on a dead worker.
 *
 * Transport-neutral (no Node or DOM imports): Node worker threads
 * (parallel-node.ts) and Web Workers (parallel-web.ts) implement the ports.
 */

/** The coordinator's handle on one worker (a worker thread, a Web Worker, ...). */
export interface WorkerPort<In, Out> {
  post(message: In, transfer: ArrayBuffer[]): void;
  /** Called once. `onDeath`: the worker is gone (uncaught error, exit), with a reason for people. */
  listen(onMessage: (message: Out) => void, onDeath: (reason: string) => void): void;
  terminate(): Promise<void>;
}

/** The worker's view of its transport (`self` in a Web Worker, `parentPort` in a worker thread). */
export interface WorkerHost<Out, In> {
  post(message: Out, transfer: ArrayBuffer[]): void;
  listen(onMessage: (message: In) => void): void;
}

/** What a worker answers when handling a request threw; the pool turns it into the run's error. */
export interface FailedReply {
  type: 'failed';
  message: string;
}

/** A reply and the buffers that travel with it (moved, not copied). */
export interface Reply<Out> {
  reply: Out;
  transfer?: ArrayBuffer[];
}

/**
 * The worker side: handles the coordinator's messages one at a time, in order
 * (the coordinator never sends a second request before the first reply), and
 * answers `failed(message, error text)` when handling one throws.
 */
export function serveMessages<In, Out>(host: WorkerHost<Out, In>, handle: (message: In) => Promise<Reply<Out>>, failed: (message: In, error: string) => Out): void {
  let queue = Promise.resolve();
  const run = async (message: In): Promise<void> => {
    try {
      const { reply, transfer = [] } = await handle(message);
      host.post(reply, transfer);
    } catch (e) {
      host.post(failed(message, e instanceof Error ? e.message : String(e)), []);
    }
  };
  host.listen((message) => {
    queue = queue.then(() => run(message));
  });
}

interface Pending<Out> {
  /** What the worker is doing, for messages: "at step 3", "while starting", "on gap item 5". */
  during: string;
  resolve(message: Out): void;
  reject(error: Error): void;
}

function isFailed(message: { type: string }): message is FailedReply {
  return message.type === 'failed';
}

export class WorkerPool<In, Out extends { type: string }> {
  private ports: WorkerPort<In, Out>[];
  private pending: (Pending<Out> | null)[];
  private error: Error | null = null;
  private closing = false;

  /** Starts `size` workers at once; `name(i)` names worker i (0-based) in messages, e.g. "training worker 2 of 4". */
  constructor(
    readonly size: number,
    spawn: (index: number) => WorkerPort<In, Out>,
    private readonly name: (index: number) => string,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`workers must be a positive integer, got ${size}`);
    this.pending = Array.from({ length: size }, () => null);
    this.ports = Array.from({ length: size }, (_, i) => this.start(i, spawn(i)));
  }

  /** The first failure (a worker's error, a worker's death, or one passed to `fail`); null while all is well. */
  get failure(): Error | null {
    return this.error;
  }

  /** Sends `message` to worker `index` and resolves with its reply; rejects with the pool's failure. */
  request(index: number, message: In, transfer: ArrayBuffer[], during: string): Promise<Out> {
    if (this.error) return Promise.reject(this.error);
    if (this.closing) return Promise.reject(new Error('the worker pool is closed'));
    if (this.pending[index]) return Promise.reject(new Error(`${this.name(index)} already has a request in flight`));
    return new Promise<Out>((resolve, reject) => {
      this.pending[index] = { during, resolve, reject };
      this.ports[index].post(message, transfer);
    });
  }

  /** The first failure wins: every waiting request is rejected with it and the workers are stopped. */
  fail(error: Error): void {
    if (this.error) return;
    this.error = error;
    const waiting = this.pending;
    this.pending = this.pending.map(() => null);
    for (const p of waiting) p?.reject(error);
    void this.close();
  }

  /** Stops every worker. Safe to call twice, and after a failure. */
  async close(): Promise<void> {
    this.closing = true;
    const ports = this.ports;
    this.ports = [];
    await Promise.all(ports.map((p) => p.terminate()));
  }

  private start(index: number, port: WorkerPort<In, Out>): WorkerPort<In, Out> {
    const who = this.name(index);
    port.listen(
      (message) => {
        const pending = this.pending[index];
        if (isFailed(message)) {
          this.fail(new Error(`${who} failed ${pending?.during ?? 'while idle'}: ${message.message}`));
          return;
        }
        this.pending[index] = null;
        pending?.resolve(message);
      },
      (reason) => {
        if (this.closing) return;
        this.fail(new Error(`${who} died ${this.pending[index]?.during ?? 'while idle'}: ${reason}`));
      },
    );
    return port;
  }
}
