/**
 * Page side of the worker protocol: numbered requests, each resolved by the event that answers it
 * (protocol.ts ANSWER) or rejected by an error with its id; every event also goes to `onEvent` (the store).
 */
import { ANSWER, type AnswerTo, type RequestBody, type RequestType, type SignalCommand, type WorkerEvent } from '../worker/protocol';
import type { StudioClient } from './slices/context';

interface Pending {
  /** The event type that settles this request. */
  answer: WorkerEvent['type'];
  resolve(e: WorkerEvent): void;
  reject(err: Error): void;
}

export interface MessagePort_ {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent) => void): void;
  terminate?(): void;
}

export class WorkerClient implements StudioClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly port: MessagePort_,
    private readonly onEvent: (e: WorkerEvent) => void,
  ) {
    port.addEventListener('message', (e: MessageEvent) => this.receive(e.data as WorkerEvent));
  }

  private receive(event: WorkerEvent): void {
    this.onEvent(event);
    const id = 'id' in event ? event.id : undefined;
    const p = id === undefined ? undefined : this.pending.get(id);
    if (id === undefined || !p || (event.type !== 'error' && event.type !== p.answer)) return; // progress, training events
    this.pending.delete(id);
    if (event.type === 'error') p.reject(new Error(event.message));
    else p.resolve(event);
  }

  /**
   * Send a command that expects an answer; resolves with the answering event.
   * `onSent` receives the request's id, so a caller can match the progress and
   * training events (which carry it) to this request.
   */
  request<T extends RequestType>(cmd: RequestBody<T>, onSent?: (id: number) => void): Promise<AnswerTo<T>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // receive() resolves only with an event of type ANSWER[cmd.type], which is exactly AnswerTo<T>.
      this.pending.set(id, { answer: ANSWER[cmd.type], resolve: resolve as (e: WorkerEvent) => void, reject });
      onSent?.(id);
      this.port.postMessage({ ...cmd, id });
    });
  }

  /** Fire-and-forget commands: pause, resume, step, stop (and the test-only simulate-fault). */
  send(cmd: SignalCommand): void {
    this.port.postMessage(cmd);
  }

  dispose(): void {
    for (const p of this.pending.values()) p.reject(new Error('the worker was closed'));
    this.pending.clear();
    this.port.terminate?.();
  }
}
