/**
 * Web Worker entry of a data-parallel replica: started by the training worker (lib/train/parallel-web.ts), it
 * holds its own tfjs backend and model copy and answers gradient requests (lib/train/parallel-replica.ts).
 */
import type { FromReplica, ToReplica } from '../train/parallel';
import { serveReplica } from '../train/parallel-replica';
import { REPLICA_CRASH } from './protocol';

const scope = self as unknown as { postMessage(m: FromReplica, transfer: Transferable[]): void; onmessage: ((e: MessageEvent<ToReplica>) => void) | null };

serveReplica({
  post: (message, transfer) => scope.postMessage(message, transfer),
  listen: (onMessage) => {
    scope.onmessage = (e) => {
      const message: unknown = e.data;
      if ((message as { type?: unknown }).type === REPLICA_CRASH) {
        // Outside the message handler's promise chain: an uncaught error, which ends up in the Worker's onerror.
        setTimeout(() => {
          throw new Error('simulated crash');
        });
        return;
      }
      onMessage(e.data);
    };
  },
});
