/**
 * Device faults during training (lib/worker/recovery.ts + WorkerCore): which errors count, the fallback
 * order, the page's sentence, and in Node (wasm -> cpu) the whole path: a fault in the middle of a run
 * moves the worker to the next backend, rebuilds every model there, resumes from the last checkpoint (or
 * the starting weights) and finishes, with no steps interleaved and no tensors leaked.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DecodeRequest } from '@/lib/a3/decode/request';
import { defaultCurriculum, type Curriculum } from '@/lib/train/curriculum';
import type { DecodeHandler, WorkerCore } from '@/lib/worker/core';
import type { WorkerEvent } from '@/lib/worker/protocol';
import { FaultError, SIMULATED, classifyFault, faultMessage, nextBackend } from '@/lib/worker/recovery';
import { useCpu } from '../helpers/tf';
import { TEXT, echoDecode, fixtureFiles, harness } from '../helpers/worker-harness';

const REQ: DecodeRequest = { text: 'the [____] fox', strategy: 'groupwise' };

const oneStage = (steps: number): Curriculum => ({ ...defaultCurriculum(steps, 5e-3), stages: defaultCurriculum(steps, 5e-3).stages.slice(0, 1) });
const stepsOf = (events: WorkerEvent[]) => events.flatMap((e) => (e.type === 'train-event' && e.event.type === 'step' ? [e.event.step] : []));

describe('fallback rules', () => {
  it('falls back webgpu -> webgl -> wasm -> cpu, skipping backends that failed before', () => {
    expect(nextBackend('webgpu')).toBe('webgl');
    expect(nextBackend('webgl')).toBe('wasm');
    expect(nextBackend('wasm')).toBe('cpu');
    expect(nextBackend('cpu')).toBeNull();
    expect(nextBackend('webgpu', ['webgl'])).toBe('wasm');
    expect(nextBackend('webgl', ['wasm', 'cpu'])).toBeNull();
  });

  it('recognises lost devices and out-of-memory errors by their messages, and nothing else', () => {
    expect(classifyFault(new Error('Device is lost'))).toMatchObject({ kind: 'device-lost', simulated: false });
    expect(classifyFault(new Error('WebGL context lost.'))).toMatchObject({ kind: 'device-lost' });
    expect(classifyFault(new Error('GPUOutOfMemoryError: buffer allocation of 268435456 bytes'))).toMatchObject({ kind: 'oom' });
    expect(classifyFault(new RangeError('Array buffer allocation failed'))).toMatchObject({ kind: 'oom' });
    expect(classifyFault(new Error(`${SIMULATED}out of memory`))).toMatchObject({ kind: 'oom', simulated: true });
    const f = { kind: 'device-lost' as const, detail: 'x', simulated: false };
    expect(classifyFault(new FaultError(f))).toBe(f);
    for (const other of ['Tensor is disposed.', 'the text is empty', 'Error in matMul: inner shapes (3) and (4) of Tensors must match']) {
      expect(classifyFault(new Error(other))).toBeNull();
    }
  });

  it('says what happened in one sentence', () => {
    expect(faultMessage({ kind: 'device-lost', detail: '', simulated: false }, 'webgpu', 'webgl', 'checkpoint stage-1 @ step 10')).toBe(
      'WebGPU device lost: switched to webgl, resumed from checkpoint stage-1 @ step 10.',
    );
    expect(faultMessage({ kind: 'oom', detail: '', simulated: true }, 'webgl', 'wasm', 'x')).toBe('WebGL ran out of memory (simulated): switched to wasm, resumed from x.');
  });
});

describe('WorkerCore under a device fault (Node: wasm -> cpu)', () => {
  let files: Record<string, ArrayBuffer | string>;
  beforeAll(async () => {
    await useCpu();
    files = await fixtureFiles();
  });

  /** init on wasm with faults allowed, load the A3 slot and (to check it is rebuilt too) the base slot. */
  async function started(onEvent: (e: WorkerEvent, core: WorkerCore) => void) {
    const h = harness(files, { onEvent });
    await h.core.handle({ type: 'init', id: 1, backend: 'wasm', faults: true });
    expect(h.of('ready')[0].backend).toBe('wasm');
    await h.core.handle({ type: 'load', id: 2, kind: 'a3', baseUrl: '/w/', tokenizerUrl: '/w/tokenizer.json' });
    await h.core.handle({ type: 'load', id: 3, kind: 'base', baseUrl: '/w/', tokenizerUrl: '/w/tokenizer.json' });
    return h;
  }

  it('a lost device after a checkpoint: switches to cpu, resumes from that checkpoint, finishes the run', async () => {
    let faulted = false;
    const h = await started((e, core) => {
      // Right after the step-10 checkpoint (checkpointEvery 10): the same signal GPUDevice.lost gives.
      if (!faulted && e.type === 'train-event' && e.event.type === 'checkpoint') {
        faulted = true;
        void core.handle({ type: 'simulate-fault', kind: 'device-lost' });
      }
    });
    const before = tf.memory().numTensors;
    await h.core.handle({ type: 'train', id: 4, text: TEXT, plan: oneStage(12), batch: 2, seed: 3 });
    expect(h.of('error')).toEqual([]);
    const [fault] = h.of('fault');
    expect(fault).toMatchObject({ id: 4, kind: 'device-lost', from: 'wasm', to: 'cpu' });
    expect(fault.resumedFrom).toMatch(/^checkpoint .* @ step 10$/);
    // Before the (slow) move, the page hears where the run will go on from: no stale "step 12 / 12" meanwhile.
    const recovering = h.events.findIndex((e) => e.type === 'recovering');
    expect(h.events[recovering]).toEqual({ type: 'recovering', id: 4, from: 'wasm', to: 'cpu', stageIndex: 0, step: 10 });
    expect(recovering).toBeLessThan(h.events.indexOf(fault));
    expect(fault.message).toMatch(/^WebAssembly device lost \(simulated\): switched to cpu, resumed from checkpoint .* @ step 10\.$/);
    expect(tf.getBackend()).toBe('cpu');
    // Steps 1..10 before the fault, 11..12 after: none repeated, none from the abandoned run.
    expect(stepsOf(h.events)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(h.of('done').map((e) => e.id)).toEqual([4]);
    expect(h.of('train-state').at(-1)!.state).toBe('idle');
    // Both slots work on the new backend.
    await h.core.handle({ type: 'inspect', id: 5, text: 'the fox' });
    await h.core.handle({ type: 'decode', id: 6, kind: 'base', request: REQ });
    expect(h.of('inspected').length).toBe(1);
    expect(h.of('decoded').length).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it('out of memory before any checkpoint: restarts from the starting weights', async () => {
    let sent = false;
    const h = await started((e, core) => {
      if (!sent && e.type === 'train-event' && e.event.type === 'step' && e.event.step === 2) {
        sent = true;
        void core.handle({ type: 'simulate-fault', kind: 'oom' });
      }
    });
    await h.core.handle({ type: 'train', id: 4, text: TEXT, plan: oneStage(4), batch: 2, seed: 3 });
    expect(h.of('error')).toEqual([]);
    expect(h.of('fault')[0].message).toBe('WebAssembly ran out of memory (simulated): switched to cpu, resumed from the weights the run started from (no checkpoint yet).');
    expect(stepsOf(h.events)).toEqual([1, 2, 1, 2, 3, 4]); // the page's loss chart drops the replayed steps
    expect(h.of('done').length).toBe(1);
  }, 120_000);

  it('a second run restarts from the weights it started with (the first run\'s), not the shipped ones', async () => {
    let armed = false;
    const h = await started((e, core) => {
      if (armed && e.type === 'train-event' && e.event.type === 'step' && e.event.step === 1) {
        armed = false;
        void core.handle({ type: 'simulate-fault', kind: 'oom' });
      }
    });
    const lossesOf = (id: number) => h.events.flatMap((e) => (e.type === 'train-event' && e.id === id && e.event.type === 'step' ? [e.event.loss] : []));
    await h.core.handle({ type: 'train', id: 4, text: TEXT, plan: oneStage(8), batch: 2, seed: 3 });
    armed = true;
    await h.core.handle({ type: 'train', id: 5, text: TEXT, plan: oneStage(2), batch: 2, seed: 4 });
    expect(h.of('error')).toEqual([]);
    const [before, after] = [lossesOf(5)[0], lossesOf(5)[1]];
    // Same weights and batch before and after the fault (wasm vs cpu rounding aside)...
    expect(after).toBeCloseTo(before, 4);
    // ...and they are the first run's weights: its last loss is far below where it started.
    expect(lossesOf(4).at(-1)!).toBeLessThan(lossesOf(4)[0] - 0.05);
  }, 120_000);

  it('with no backend left the run stops with a clear error and the checkpoint is kept', async () => {
    let sent = false;
    const h = harness(files, { onEvent: (e, core) => {
      if (!sent && e.type === 'train-event' && e.event.type === 'checkpoint') {
        sent = true;
        void core.handle({ type: 'simulate-fault', kind: 'device-lost' });
      }
    } });
    await h.core.handle({ type: 'init', id: 1, backend: 'cpu', faults: true });
    await h.core.handle({ type: 'load', id: 2, kind: 'a3', baseUrl: '/w/', tokenizerUrl: '/w/tokenizer.json' });
    await h.core.handle({ type: 'train', id: 3, text: TEXT, plan: oneStage(12), batch: 2, seed: 3 });
    expect(h.of('error').find((e) => e.id === 3)!.message).toMatch(/^CPU device lost \(simulated\) .*no backend is left to fall back to: training stopped, saved checkpoints are kept/);
    expect(h.of('train-state').at(-1)!.state).toBe('idle');
    expect((await h.store.list()).map((c) => c.step)).toEqual([10]);
  }, 120_000);

  it('a run whose model cannot be rebuilt after a fault stops with a clear error; the slot is reported not loaded', async () => {
    const served = { ...files };
    let sent = false;
    const h = harness(served, { onEvent: (e, core) => {
      if (!sent && e.type === 'train-event' && e.event.type === 'step' && e.event.step === 2) {
        sent = true;
        for (const k of Object.keys(served)) if (k !== 'manifest.json' && k !== 'tokenizer.json') delete served[k];
        void core.handle({ type: 'simulate-fault', kind: 'oom' });
      }
    } });
    await h.core.handle({ type: 'init', id: 1, backend: 'wasm', faults: true });
    await h.core.handle({ type: 'load', id: 2, kind: 'a3', baseUrl: '/w/', tokenizerUrl: '/w/tokenizer.json' });
    await h.core.handle({ type: 'train', id: 3, text: TEXT, plan: oneStage(6), batch: 2, seed: 3 });
    expect(h.of('unloaded').map((e) => e.kind)).toEqual(['a3']);
    expect(h.of('fault')[0]).toMatchObject({ id: 3, from: 'wasm', to: 'cpu' });
    expect(h.of('fault')[0].message).toMatch(/^WebAssembly ran out of memory \(simulated\): switched to cpu, but the a3 model could not be reloaded/);
    expect(h.of('error').find((e) => e.id === 3)!.message).toMatch(/it is not loaded, load it again\. Training stopped, saved checkpoints are kept\.$/);
    expect(h.of('train-state').at(-1)!.state).toBe('idle');
    expect(h.of('done')).toEqual([]);
    await h.core.handle({ type: 'inspect', id: 4, text: 'the fox' });
    expect(h.of('error').at(-1)!.message).toBe('the a3 model is not loaded yet');
  }, 60_000);

  it('refuses simulate-fault unless enabled; idle with no backend left it says so and the worker still answers', async () => {
    const h = harness(files);
    await h.core.handle({ type: 'init', id: 1, backend: 'cpu' });
    await h.core.handle({ type: 'simulate-fault', kind: 'oom' });
    expect(h.of('error').at(-1)!.message).toMatch(/fault simulation is off: open the page with \?faults=1/);
    await h.core.handle({ type: 'init', id: 2, backend: 'cpu', faults: true });
    await h.core.handle({ type: 'simulate-fault', kind: 'oom' });
    expect(h.of('error').at(-1)).toEqual({ type: 'error', message: expect.stringMatching(/^CPU ran out of memory \(simulated\) .*no backend is left to fall back to: reload the page$/) });
    expect(h.of('fault')).toEqual([]);
    await h.core.handle({ type: 'checkpoints', id: 3 });
    expect(h.of('checkpoints').length).toBe(1); // not hung
  });
});

describe('WorkerCore: a fault with no run going (Node: wasm -> cpu)', () => {
  let files: Record<string, ArrayBuffer | string>;
  beforeAll(async () => {
    await useCpu();
    files = await fixtureFiles();
  });

  async function loaded(served: Record<string, ArrayBuffer | string>, decode?: DecodeHandler) {
    const h = harness(served, { decode });
    await h.core.handle({ type: 'init', id: 1, backend: 'wasm', faults: true });
    await h.core.handle({ type: 'load', id: 2, kind: 'a3', baseUrl: '/w/', tokenizerUrl: '/w/tokenizer.json' });
    await h.core.handle({ type: 'load', id: 3, kind: 'base', baseUrl: '/w/', tokenizerUrl: '/w/tokenizer.json' });
    expect(h.of('loaded').length).toBe(2);
    return h;
  }

  it('simulate-fault while idle: switches to cpu, reloads both models, says so; decode and inspect work there; no tensors leak', async () => {
    const h = await loaded(files);
    const before = tf.memory().numTensors;
    await h.core.handle({ type: 'simulate-fault', kind: 'device-lost' });
    expect(h.of('error')).toEqual([]);
    expect(h.of('fault')).toEqual([
      {
        type: 'fault',
        kind: 'device-lost',
        from: 'wasm',
        to: 'cpu',
        reason: expect.any(String),
        message: 'WebAssembly device lost (simulated): switched to cpu; the models were reloaded.',
      },
    ]);
    expect(tf.getBackend()).toBe('cpu');
    expect(tf.memory().numTensors).toBe(before);
    await h.core.handle({ type: 'decode', id: 4, kind: 'a3', request: { ...REQ, text: 'one [____]' } });
    await h.core.handle({ type: 'decode', id: 5, kind: 'base', request: { ...REQ, text: 'two [____]' } });
    await h.core.handle({ type: 'inspect', id: 6, text: 'the fox' });
    expect(h.of('decoded').map((e) => e.id)).toEqual([4, 5]);
    expect(h.of('decoded').map((e) => e.result.text.split(' | ')[0])).toEqual(['one [____]', 'two [____]']);
    expect(h.of('inspected').length).toBe(1);
    expect(h.of('error')).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  it('a lost-device signal while idle: the next command waits for the recovery and runs on the new backend', async () => {
    const h = await loaded(files);
    // What GPUDevice.lost calls (the harness stands in for watchDeviceLost, which hooks only a real WebGPU device).
    h.loseDevice('Device was lost');
    await h.core.handle({ type: 'inspect', id: 4, text: 'the fox' });
    expect(h.of('fault').map((e) => e.message)).toEqual(['WebAssembly device lost: switched to cpu; the models were reloaded.']);
    expect(h.of('inspected').length).toBe(1);
    expect(h.events.findIndex((e) => e.type === 'fault')).toBeLessThan(h.events.findIndex((e) => e.type === 'inspected'));
    expect(tf.getBackend()).toBe('cpu');
  }, 60_000);

  it('a command failing with a lost device while idle: recovers, then answers with an error asking to retry; the retry works', async () => {
    let fail = true;
    const h = await loaded(files, async (model, tok, req) => {
      if (fail) {
        fail = false;
        throw new Error('Device is lost');
      }
      return echoDecode(model, tok, req);
    });
    await h.core.handle({ type: 'decode', id: 4, kind: 'a3', request: REQ });
    expect(h.of('error')).toEqual([
      { type: 'error', id: 4, message: 'Device is lost — WebAssembly device lost: switched to cpu; the models were reloaded. Please retry.' },
    ]);
    expect(h.of('fault').length).toBe(1);
    await h.core.handle({ type: 'decode', id: 5, kind: 'a3', request: REQ });
    expect(h.of('decoded').map((e) => e.id)).toEqual([5]);
    expect(tf.getBackend()).toBe('cpu');
  }, 60_000);

  it('a reload that fails: the slots are emptied and reported (unloaded), commands say not loaded, loading works again', async () => {
    const served = { ...files };
    const h = await loaded(served);
    const before = tf.memory().numTensors;
    const shards = Object.keys(files).filter((k) => k !== 'manifest.json' && k !== 'tokenizer.json');
    for (const k of shards) delete served[k]; // the weights can no longer be fetched
    await h.core.handle({ type: 'simulate-fault', kind: 'oom' });
    const unloaded = h.of('unloaded');
    expect(unloaded.map((e) => e.kind)).toEqual(['a3', 'base']);
    for (const e of unloaded) expect(e.message).toMatch(new RegExp(`^the ${e.kind} model could not be reloaded on cpu after the fault \\(.+\\): it is not loaded, load it again$`));
    expect(h.of('fault').map((e) => e.message)).toEqual(['WebAssembly ran out of memory (simulated): switched to cpu; a3 and base could not be reloaded (load again).']);
    expect(tf.memory().numTensors).toBeLessThan(before); // the old models are freed, nothing half-built is left
    await h.core.handle({ type: 'decode', id: 4, kind: 'a3', request: REQ });
    expect(h.of('error').at(-1)).toEqual({ type: 'error', id: 4, message: 'the a3 model is not loaded yet' });
    Object.assign(served, files);
    await h.core.handle({ type: 'load', id: 5, kind: 'a3', baseUrl: '/w/', tokenizerUrl: '/w/tokenizer.json' });
    await h.core.handle({ type: 'decode', id: 6, kind: 'a3', request: REQ });
    expect(h.of('decoded').map((e) => e.id)).toEqual([6]);
    await h.core.handle({ type: 'load', id: 7, kind: 'base', baseUrl: '/w/', tokenizerUrl: '/w/tokenizer.json' });
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);
});
