/**
 * Page side of the worker protocol: numbered requests resolved by the events
 * that carry the same id; every other event goes to `onEvent` (the store).
 */
import type { WorkerCommand, WorkerEvent } from '../train/protocol';

type Pending = { resolve(e: WorkerEvent): void; reject(err: Error): void };
type WithoutId<C> = C extends { id: number } ? Omit<C, 'id'> : C;

/** Events that settle a request. Progress and training events do not. */
const FINAL = new Set<WorkerEvent['type']>(['ready', 'loaded', 'decoded', 'inspected', 'checkpoints', 'exported', 'done', 'error']);

export interface MessagePort_ {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent) => void): void;
  terminate?(): void;
}

export class WorkerClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly port: MessagePort_, private readonly onEvent: (e: WorkerEvent) => void) {
    port.addEventListener('message', (e: MessageEvent) => this.receive(e.data as WorkerEvent));
  }

  private receive(event: WorkerEvent): void {
    this.onEvent(event);
    const id = 'id' in event ? event.id : undefined;
    if (id === undefined || !FINAL.has(event.type)) return;
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (event.type === 'error') p.reject(new Error(event.message));
    else p.resolve(event);
  }

  /**
   * Send a command that expects an answer; resolves with the answering event.
   * `onSent` receives the request's id, so a caller can match the progress and
   * training events (which carry it) to this request.
   */
  request<C extends WorkerCommand & { id: number }>(cmd: WithoutId<C>, onSent?: (id: number) => void): Promise<WorkerEvent> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      onSent?.(id);
      this.port.postMessage({ ...cmd, id });
    });
  }

  /** Fire-and-forget commands: pause, resume, step, stop (and the test-only simulate-fault). */
  send(cmd: Extract<WorkerCommand, { type: 'pause' | 'resume' | 'step' | 'stop' | 'simulate-fault' }>): void {
    this.port.postMessage(cmd);
  }

  dispose(): void {
    for (const p of this.pending.values()) p.reject(new Error('the worker was closed'));
    this.pending.clear();
    this.port.terminate?.();
  }
}
