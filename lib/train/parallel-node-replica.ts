/** Worker-thread entry of a data-parallel replica (see parallel-node.ts): the replica on parentPort. */
import { parentPort } from 'node:worker_threads';
import { serveReplica } from './parallel-replica';

const port = parentPort;
if (!port) throw new Error('parallel-node-replica.ts runs as a worker thread (started by nodeReplicas), not on its own');
serveReplica({
  post: (message, transfer) => port.postMessage(message, transfer),
  listen: (onMessage) => port.on('message', onMessage),
});
