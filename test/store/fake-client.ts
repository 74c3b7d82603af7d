import type { StudioClient } from '@/lib/store';
import { ANSWER, type AnswerTo, type RequestBody, type RequestCommand, type RequestType, type WorkerCommand, type WorkerEvent } from '@/lib/worker/protocol';

type Handler = (cmd: RequestCommand, emit: (e: WorkerEvent) => void) => WorkerEvent | Promise<WorkerEvent>;

/**
 * A scripted worker: each command type answers through a handler; events go to the store's handleEvent.
 * An answer of the wrong type for its request (protocol.ts ANSWER) fails the test, as the real client would hang.
 */
export function fakeClient(handlers: Partial<Record<RequestCommand['type'], Handler>>, onEvent: () => (e: WorkerEvent) => void) {
  let nextId = 1;
  const sent: WorkerCommand[] = [];
  const client: StudioClient = {
    async request<T extends RequestType>(cmd: RequestBody<T>, onSent?: (id: number) => void): Promise<AnswerTo<T>> {
      const id = nextId++;
      onSent?.(id);
      const full = { ...cmd, id } as RequestCommand;
      sent.push(full);
      const h = handlers[full.type];
      if (!h) throw new Error(`no handler for ${full.type}`);
      const emit = (e: WorkerEvent) => onEvent()(e);
      const answer = await h(full, emit);
      emit(answer);
      if (answer.type === 'error') throw new Error(answer.message);
      if (answer.type !== ANSWER[cmd.type]) throw new Error(`the fake answered ${cmd.type} with ${answer.type}, not ${ANSWER[cmd.type]}`);
      return answer as AnswerTo<T>;
    },
    send(cmd) {
      sent.push(cmd);
    },
  };
  return { client, sent };
}

/** A fetch that serves manifests for the given folders and 404s the rest. */
export function fakeFetch(folders: Record<string, number[][]>): typeof fetch {
  return (async (input: RequestInfo | URL) => {
    const url = String(input);
    const m = /\/weights\/(\w+)\/manifest\.json$/.exec(url);
    const shapes = m ? folders[m[1]] : undefined;
    if (!shapes) return new Response('not found', { status: 404 });
    return new Response(JSON.stringify({ tensors: shapes.map((shape) => ({ shape })) }), { status: 200 });
  }) as typeof fetch;
}
