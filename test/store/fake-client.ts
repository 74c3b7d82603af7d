import type { StudioClient } from '@/lib/store';
import type { WorkerCommand, WorkerEvent } from '@/lib/train/protocol';

type Cmd = Extract<WorkerCommand, { id: number }>;
type Handler = (cmd: Cmd, emit: (e: WorkerEvent) => void) => WorkerEvent | Promise<WorkerEvent>;

/** A scripted worker: each command type answers through a handler; events go to the store's handleEvent. */
export function fakeClient(handlers: Partial<Record<Cmd['type'], Handler>>, onEvent: () => (e: WorkerEvent) => void) {
  let nextId = 1;
  const sent: WorkerCommand[] = [];
  const client: StudioClient = {
    async request(cmd, onSent) {
      const id = nextId++;
      onSent?.(id);
      const full = { ...cmd, id } as Cmd;
      sent.push(full);
      const h = handlers[full.type];
      if (!h) throw new Error(`no handler for ${full.type}`);
      const emit = (e: WorkerEvent) => onEvent()(e);
      const answer = await h(full, emit);
      emit(answer);
      if (answer.type === 'error') throw new Error(answer.message);
      return answer;
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
