/**
 * The worker side of data-parallel training (parallel.ts): one model replica
 * on its own tfjs backend. Each step it loads the coordinator's weights,
 * computes the gradients of its row share's mean loss and sends them back as
 * one transferable buffer. Transport-neutral: a Node worker thread
 * (parallel-node-replica.ts) or a Web Worker passes its own `ReplicaHost`.
 */
import * as tf from '@tensorflow/tfjs';
import { BACKEND_NAMES, initBackend, isBackendName } from '../a3/backend';
import type { ModelConfig } from '../a3/config';
import { createModel, disposeModel, trainableVariables, type A3Model } from '../a3/model';
import { trainLoss, type TrainBatch } from './losses';
import type { FromReplica, ToReplica } from './parallel';
import { serveMessages, type Reply, type WorkerHost } from './worker-pool';

/** The replica's view of its transport (`self` in a Web Worker, `parentPort` in a worker thread). */
export type ReplicaHost = WorkerHost<FromReplica, ToReplica>;

async function useBackend(name: string): Promise<string> {
  if (!isBackendName(name)) throw new Error(`unknown backend "${name}"`);
  // Exactly the coordinator's backend: a fallback would compute different numbers.
  const choice = await initBackend(name, { exclude: BACKEND_NAMES.filter((b) => b !== name) });
  return choice.name;
}

/** A replica starts from zeros: the real weights arrive with every step. */
function emptyModel(config: ModelConfig): A3Model {
  return createModel(config, (_name, shape) => new Float32Array(shape.reduce((a, b) => a * b, 1)));
}

function loadWeights(model: A3Model, weights: Float32Array): void {
  const variables = trainableVariables(model);
  const size = variables.reduce((n, v) => n + v.size, 0);
  if (weights.length !== size) throw new Error(`weights have ${weights.length} values, the replica's model has ${size}`);
  let at = 0;
  tf.tidy(() => {
    for (const v of variables) {
      v.assign(tf.tensor(weights.subarray(at, at + v.size), v.shape));
      at += v.size;
    }
  });
}

/** Gradients of share · mean loss: the coordinator then only adds them up. */
async function shareGradients(model: A3Model, step: number, batch: TrainBatch, share: number): Promise<Extract<FromReplica, { type: 'grads' }>> {
  const variables = trainableVariables(model);
  // The unweighted mean is reported; keep it past variableGrads' own clean-up.
  const kept: { mean?: tf.Scalar } = {};
  const { value, grads } = tf.variableGrads(() => {
    kept.mean = tf.keep(trainLoss(model, batch));
    return tf.mul(kept.mean, share) as tf.Scalar;
  }, variables);
  const flat = new Float32Array(variables.reduce((n, v) => n + v.size, 0));
  const present = new Uint8Array(variables.length);
  try {
    let at = 0;
    for (const [k, v] of variables.entries()) {
      const g = grads[v.name];
      if (g) {
        flat.set(await g.data(), at);
        present[k] = 1;
      }
      at += v.size;
    }
    if (!kept.mean) throw new Error('the loss function did not run');
    const [loss] = await kept.mean.data();
    return { type: 'grads', step, loss, grads: flat, present, tensors: 0 };
  } finally {
    tf.dispose([value, ...(kept.mean ? [kept.mean] : []), ...Object.values(grads)]);
  }
}

/** Answers the coordinator's messages until the worker is terminated. */
export function serveReplica(host: ReplicaHost): void {
  let model: A3Model | null = null;
  const handle = async (message: ToReplica): Promise<Reply<FromReplica>> => {
    if (message.type === 'init') {
      const backend = await useBackend(message.backend);
      if (model) disposeModel(model);
      model = emptyModel(message.config);
      return { reply: { type: 'ready', backend } };
    }
    if (!model) throw new Error('step before init');
    loadWeights(model, message.weights);
    const reply = await shareGradients(model, message.step, message.batch, message.share);
    reply.tensors = tf.memory().numTensors;
    return { reply, transfer: [reply.grads.buffer as ArrayBuffer] };
  };
  serveMessages(host, handle, (message, error): FromReplica => ({ type: 'failed', step: message.type === 'step' ? message.step : null, message: error }));
}
