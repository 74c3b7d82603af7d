/**
 * A page training run with several workers (WorkerCore + run.ts + gradients.ts), in Node with worker threads
 * standing in for the page's nested Web Workers: `workers` in the train command reaches the Trainer (step
 * events say how many ran), the losses equal a one-worker run's for the same seed, and a worker that dies ends
 * the run with a message naming it while the checkpoint saved before stays whole.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultCurriculum, type Curriculum } from '@/lib/train/curriculum';
import type { ReplicaPort, SpawnReplica } from '@/lib/train/parallel';
import { nodeReplicas } from '@/lib/train/parallel-node';
import type { WorkerEvent } from '@/lib/worker/protocol';
import { useCpu } from '../helpers/tf';
import { TEXT, fixtureFiles, harness } from '../helpers/worker-harness';

const oneStage = (steps: number): Curriculum => ({ ...defaultCurriculum(steps, 5e-3), stages: defaultCurriculum(steps, 5e-3).stages.slice(0, 1) });
const stepEvents = (events: WorkerEvent[]) => events.flatMap((e) => (e.type === 'train-event' && e.event.type === 'step' ? [e.event] : []));

/** Worker threads whose replica `index` dies (as a crashed Web Worker would) when asked for step `at`. */
function dyingAt(index: number, at: number): SpawnReplica {
  return (i) => {
    const real = nodeReplicas(i);
    let death: (reason: string) => void = () => undefined;
    const port: ReplicaPort = {
      post: (message, transfer) => (i === index && message.type === 'step' && message.step === at ? death('simulated crash') : real.post(message, transfer)),
      listen: (onMessage, onDeath) => {
        death = onDeath;
        real.listen(onMessage, onDeath);
      },
      terminate: () => real.terminate(),
    };
    return port;
  };
}

let files: Record<string, ArrayBuffer | string>;
beforeAll(async () => {
  await useCpu();
  files = await fixtureFiles();
});

async function train(workers: number, steps: number, replicas: SpawnReplica = nodeReplicas) {
  const h = harness(files, { replicas });
  await h.core.handle({ type: 'init', id: 1, backend: 'cpu' });
  await h.core.handle({ type: 'load', id: 2, kind: 'a3', baseUrl: '/w/', tokenizerUrl: '/w/tokenizer.json' });
  await h.core.handle({ type: 'train', id: 3, text: TEXT, plan: oneStage(steps), batch: 4, seed: 5, workers });
  return h;
}

describe('a fine-tune on several workers', () => {
  it('reports the workers in its steps and reaches the one-worker losses', async () => {
    const one = await train(1, 4);
    const two = await train(2, 4);
    expect(two.of('error')).toEqual([]);
    const a = stepEvents(one.events);
    const b = stepEvents(two.events);
    expect(a.map((e) => e.workers)).toEqual([1, 1, 1, 1]);
    expect(b.map((e) => e.workers)).toEqual([2, 2, 2, 2]);
    for (const [k, e] of b.entries()) expect(e.loss).toBeCloseTo(a[k].loss, 4);
    expect(two.of('done').map((e) => e.id)).toEqual([3]);
  }, 120_000);

  it('a worker that dies ends the run with a message; the checkpoint saved before stays whole', async () => {
    const h = await train(2, 14, dyingAt(1, 12));
    const [error] = h.of('error');
    expect(error.id).toBe(3);
    expect(error.message).toMatch(/^training worker 2 of 2 died at step 12: simulated crash\. The run stopped; the checkpoints saved so far are kept\.$/);
    expect(h.of('done')).toEqual([]);
    expect(h.of('train-state').at(-1)?.state).toBe('idle');
    const saved = await h.store.list();
    expect(saved.map((c) => c.step)).toEqual([10]);
    const ckpt = await h.store.get(saved[0].key);
    expect(ckpt?.state.step).toBe(10);
  }, 120_000);

  it('simulate-worker-crash needs ?faults=1 and a running training worker', async () => {
    let crashes = 0;
    const h = harness(files, { crashReplica: () => crashes++ > 0 });
    await h.core.handle({ type: 'init', id: 1, backend: 'cpu' });
    await h.core.handle({ type: 'simulate-worker-crash' });
    expect(h.of('error').at(-1)?.message).toMatch(/fault simulation is off/);
    await h.core.handle({ type: 'init', id: 2, backend: 'cpu', faults: true });
    await h.core.handle({ type: 'simulate-worker-crash' });
    expect(h.of('error').at(-1)?.message).toBe('no training worker is running: start a fine-tune with 2 or more workers');
    const before = h.of('error').length;
    await h.core.handle({ type: 'simulate-worker-crash' });
    expect(h.of('error').length).toBe(before);
  });
});
