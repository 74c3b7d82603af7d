/** Worker-thread entry of a data-parallel replica (see parallel-node.ts): the replica on parentPort. */
import { parentHost } from './parallel-node';
import type { FromReplica, ToReplica } from './parallel';
import { serveReplica } from './parallel-replica';

serveReplica(parentHost<FromReplica, ToReplica>());
