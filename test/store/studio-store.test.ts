import { describe, expect, it } from 'vitest';
import { createStudioStore, type StudioStore } from '@/lib/store';
import type { LoadedModel, WorkerEvent } from '@/lib/worker/protocol';
import { defaultCurriculum } from '@/lib/train/curriculum';
import { PRESETS } from '@/lib/a3/config';
import { fakeClient, fakeFetch } from './fake-client';
import { checkpointMeta } from '../helpers/checkpoint-meta';

const CKPT = checkpointMeta({ runId: 'run-1', plan: defaultCurriculum(2), stageIndex: 0, losses: [3, 2], savedAt: 1 });

const model = (kind: LoadedModel['kind']): LoadedModel => ({ kind, config: PRESETS.tiny, parameters: 1234, bytes: 4936, vocabSize: 16 });
const snapshot = (n: number, gids?: number[]) => ({
  tokens: Array.from({ length: n }, (_, i) => i),
  labels: Array.from({ length: n }, (_, i) => `t${i}`),
  groupIds: gids ?? Array.from({ length: n }, (_, i) => i),
  weights: [[[[1]]]],
});

function setup(folders: Record<string, number[][]>, search = '') {
  let store!: StudioStore;
  const { client, sent } = fakeClient(
    {
      init: (c) => ({ type: 'ready', id: c.id, backend: 'cpu', reason: 'cpu [plain JS]: requested' }),
      load: (c, emit) => {
        if (c.type !== 'load') throw new Error();
        emit({ type: 'load-progress', id: c.id, loadedBytes: 10 });
        emit({ type: 'memory', numTensors: 7, numBytes: 4096 });
        return { type: 'loaded', id: c.id, model: model(c.kind) };
      },
      inspect: (c) => {
        if (c.type !== 'inspect') throw new Error();
        if (c.text === '') return { type: 'error', id: c.id, message: 'nothing to inspect: the text is empty' };
        return { type: 'inspected', id: c.id, snapshot: snapshot(4, c.groupIds) };
      },
      checkpoints: (c) => ({ type: 'checkpoints', id: c.id, list: [CKPT] }),
      train: (c, emit) => {
        if (c.type !== 'train') throw new Error();
        const stage = c.plan.stages[0].name;
        emit({ type: 'train-state', state: 'running' });
        for (let i = 1; i <= 2; i++) {
          emit({ type: 'train-event', id: c.id, event: { type: 'step', stage, stageIndex: 0, step: i, steps: 2, loss: 5 - i, lr: 1e-3, gradNorm: 1, tokensPerSec: 50, etaSec: 2 - i, elapsedSec: i } });
        }
        // An event of another (older) run is ignored.
        emit({ type: 'train-event', id: 999, event: { type: 'step', stage, stageIndex: 0, step: 1, steps: 2, loss: 99, lr: 1, gradNorm: 1, tokensPerSec: 1, etaSec: 1, elapsedSec: 1 } });
        emit({ type: 'train-event', id: c.id, event: { type: 'done', stage, stageIndex: 0, step: 2, reason: 'finished' } });
        emit({ type: 'train-state', state: 'idle' });
        return { type: 'done', id: c.id };
      },
    },
    () => (e: WorkerEvent) => store.getState().handleEvent(e),
  );
  store = createStudioStore({ search, client, fetchImpl: fakeFetch(folders) });
  return { store, sent };
}

describe('studio store', () => {
  it('boots: backend from ?backend=, A3 falls back to base when a3 is not shipped', async () => {
    const { store, sent } = setup({ base: [[16, 16], [4]] }, '?backend=cpu');
    await store.getState().boot();
    const s = store.getState();
    expect(sent[0]).toMatchObject({ type: 'init', backend: 'cpu' });
    expect(sent[1]).toMatchObject({ type: 'checkpoints' }); // listed before the model loads: they survive reloads
    expect(s.backend).toMatchObject({ status: 'ready', name: 'cpu', requested: 'cpu' });
    expect(sent.find((c) => c.type === 'load')).toMatchObject({ type: 'load', kind: 'a3', baseUrl: '/weights/base/', tokenizerUrl: '/weights/tokenizer.json' });
    expect(s.models.a3).toMatchObject({ status: 'loaded', source: 'base', totalBytes: (256 + 4) * 4 });
    expect(s.models.a3.note).toMatch(/not shipped yet/);
    expect(s.memory).toEqual({ numTensors: 7, numBytes: 4096 });
    await new Promise((r) => setTimeout(r, 0));
    expect(store.getState().shipped).toEqual({ a3: false, base: true, mdlm: false });
    expect(s.errors).toEqual([]);
  });

  it('boots with only the A3 slot loaded: the base and MDLM folders are only asked whether they are there (HEAD, no body)', async () => {
    const asked: { url: string; method: string }[] = [];
    const served = fakeFetch({ a3: [[2]], base: [[2]], mdlm: [[2]] });
    let store!: StudioStore;
    const { client, sent } = fakeClient(
      {
        init: (c) => ({ type: 'ready', id: c.id, backend: 'cpu', reason: 'cpu: requested' }),
        load: (c) => ({ type: 'loaded', id: c.id, model: model(c.type === 'load' ? c.kind : 'a3') }),
        checkpoints: (c) => ({ type: 'checkpoints', id: c.id, list: [] }),
      },
      () => (e: WorkerEvent) => store.getState().handleEvent(e),
    );
    const fetchImpl = ((input: RequestInfo | URL, init?: RequestInit) => {
      asked.push({ url: String(input), method: init?.method ?? 'GET' });
      return served(input, init);
    }) as typeof fetch;
    store = createStudioStore({ client, fetchImpl });
    await store.getState().boot();
    await new Promise((r) => setTimeout(r, 0)); // the presence probes
    expect(sent.filter((c) => c.type === 'load').map((c) => (c as { kind: string }).kind)).toEqual(['a3']);
    expect(store.getState().shipped).toEqual({ a3: true, base: true, mdlm: true });
    expect(store.getState().models.base.status).toBe('idle');
    expect(asked.filter((a) => a.method === 'GET').map((a) => a.url)).toEqual(['/weights/a3/manifest.json']);
    expect(asked.filter((a) => a.method === 'HEAD').map((a) => a.url).sort()).toEqual(['/weights/base/manifest.json', '/weights/mdlm/manifest.json']);
  });

  it('loads a3 when shipped; a missing folder is reported, not thrown', async () => {
    const { store } = setup({ a3: [[2]], base: [[2]] });
    await store.getState().boot();
    expect(store.getState().models.a3).toMatchObject({ status: 'loaded', source: 'a3' });
    expect(await store.getState().loadModel('mdlm')).toBe(false);
    expect(store.getState().models.mdlm.status).toBe('missing');
    expect(store.getState().models.mdlm.note).toMatch(/not shipped yet/);
  });

  it('with nothing shipped, the model cell gets the message and no error is thrown', async () => {
    const { store } = setup({});
    await store.getState().boot();
    expect(store.getState().models.a3.status).toBe('missing');
  });

  it('inspect: tokenises first, then sends the plan\'s group ids; errors land in the inspect cell', async () => {
    const { store, sent } = setup({ base: [[2]] });
    await store.getState().boot();
    store.getState().setInspectPlan({ kind: 'contiguous', size: 2 });
    await store.getState().runInspect();
    const inspects = sent.filter((c) => c.type === 'inspect');
    expect(inspects).toHaveLength(2);
    expect(inspects[1]).toMatchObject({ groupIds: [0, 0, 1, 1] });
    expect(store.getState().inspect.snapshot?.groupIds).toEqual([0, 0, 1, 1]);
    // Same text: one round trip.
    store.getState().setInspectPlan({ kind: 'left-to-right' });
    await store.getState().runInspect();
    expect(sent.filter((c) => c.type === 'inspect')).toHaveLength(3);
    // Custom: clicking a token assigns the brush group.
    store.getState().setInspectView({ brush: 0 });
    store.getState().assignGroup(3);
    expect(store.getState().inspect.plan).toEqual({ kind: 'explicit', gids: [0, 1, 2, 0] });
    // Errors.
    store.getState().setInspectText('');
    await store.getState().runInspect();
    expect(store.getState().inspect.status).toBe('error');
    expect(store.getState().errors).toMatchObject([{ cell: 'inspect', message: 'nothing to inspect: the text is empty' }]);
    store.getState().setInspectText('ok');
    await store.getState().runInspect();
    expect(store.getState().errors).toEqual([]);
  });

  it('training: events become loss series, checkpoints refresh, controls send commands', async () => {
    const { store, sent } = setup({ base: [[2]] });
    await store.getState().boot();
    const plan = { ...defaultCurriculum(2), stages: defaultCurriculum(2).stages.slice(0, 1) };
    await store.getState().startTraining({ text: 'x', plan, batch: 2, seed: 1 });
    const t = store.getState().training;
    expect(t.train).toEqual([{ step: 1, loss: 4 }, { step: 2, loss: 3 }]);
    expect(t.stages).toEqual([{ index: 0, name: plan.stages[0].name, startStep: 0 }]);
    expect(t.state).toBe('idle');
    expect(t.ended).toBe('finished');
    expect(t.checkpoints.map((c) => c.key)).toEqual([CKPT.key]);
    store.getState().pauseTraining();
    store.getState().stepTraining();
    store.getState().resumeTraining();
    store.getState().stopTraining();
    expect(sent.slice(-4).map((c) => c.type)).toEqual(['pause', 'step', 'resume', 'stop']);
  });

  it('two starts at once: the second is refused before it reaches the worker, the first keeps its events', async () => {
    const { store, sent } = setup({ base: [[2]] });
    await store.getState().boot();
    const plan = { ...defaultCurriculum(2), stages: defaultCurriculum(2).stages.slice(0, 1) };
    // Both clicks land before the worker's 'running' arrives.
    const first = store.getState().startTraining({ text: 'x', plan, batch: 2, seed: 1 });
    const second = store.getState().startTraining({ text: 'y', plan, batch: 2, seed: 2 });
    await Promise.all([first, second]);
    expect(sent.filter((c) => c.type === 'train')).toHaveLength(1);
    expect(store.getState().errors).toMatchObject([{ cell: 'finetune', message: 'a run is already in progress: pause, stop or wait for it' }]);
    expect(store.getState().training.train).toEqual([{ step: 1, loss: 4 }, { step: 2, loss: 3 }]);
  });

  it('a device fault: the backend shown changes and the run shows the worker\'s sentence; ?faults=1 enables simulation', async () => {
    const { store, sent } = setup({ base: [[2]] }, '?faults=1');
    await store.getState().boot();
    expect(store.getState().faultsEnabled).toBe(true);
    expect(sent[0]).toMatchObject({ type: 'init', faults: true });
    const message = 'WebGPU device lost: switched to webgl, resumed from checkpoint s @ step 10.';
    store.getState().handleEvent({ type: 'fault', id: 1, kind: 'device-lost', from: 'webgpu', to: 'webgl', reason: 'webgl [GPU]: fallback from webgpu', resumedFrom: 'checkpoint s @ step 10', message });
    expect(store.getState().backend).toMatchObject({ status: 'ready', name: 'webgl' });
    expect(store.getState().backend.reason).toContain(message);
    expect(store.getState().training.fault).toBe(message);
    store.getState().simulateFault('oom');
    expect(sent.at(-1)).toEqual({ type: 'simulate-fault', kind: 'oom' });
    expect(createStudioStore().getState().faultsEnabled).toBe(false);
  });

  it('a fault with no run going: the backend shown changes, the run shows nothing; a failed reload marks the slot not loaded and loading works again', async () => {
    const { store } = setup({ base: [[2]] }, '?faults=1');
    await store.getState().boot();
    const message = 'WebGPU device lost: switched to webgl; base could not be reloaded (load again).';
    store.getState().handleEvent({ type: 'fault', kind: 'device-lost', from: 'webgpu', to: 'webgl', reason: 'webgl [GPU]: fallback from webgpu', message });
    expect(store.getState().backend).toMatchObject({ status: 'ready', name: 'webgl' });
    expect(store.getState().backend.reason).toContain(message);
    expect(store.getState().training.fault).toBeNull();
    const why = 'the a3 model could not be reloaded on webgl after the fault (HTTP 404): it is not loaded, load it again';
    store.getState().handleEvent({ type: 'unloaded', kind: 'a3', message: why });
    expect(store.getState().models.a3).toMatchObject({ status: 'error', info: null, note: why });
    // The Model cell's load action (loadA3) fills the slot again.
    await store.getState().loadA3();
    expect(store.getState().models.a3).toMatchObject({ status: 'loaded', source: 'base' });
    expect(store.getState().models.a3.info).not.toBeNull();
  });

  it('errors: worker failures become cell messages; unknown commands and errorless events are safe', async () => {
    const { store } = setup({ base: [[2]] });
    // No handler for export in the fake: the request rejects.
    expect(await store.getState().exportModel()).toBeNull();
    expect(store.getState().errors[0]).toMatchObject({ cell: 'finetune', message: 'no handler for export' });
    store.getState().handleEvent({ type: 'error', message: 'the worker received a malformed command' });
    expect(store.getState().errors.map((e) => e.cell)).toEqual(['finetune', 'global']);
    store.getState().handleEvent({ type: 'error', id: 3, message: 'owned by a request' });
    expect(store.getState().errors).toHaveLength(2);
    // Same message twice: shown once.
    store.getState().pushError('global', 'the worker received a malformed command');
    expect(store.getState().errors).toHaveLength(2);
    store.getState().dismissError(store.getState().errors[0].id);
    expect(store.getState().errors.map((e) => e.cell)).toEqual(['global']);
    store.getState().clearErrors('global');
    expect(store.getState().errors).toEqual([]);
  });

  it('a failing backend init is an error in the model cell, and nothing loads', async () => {
    let store!: StudioStore;
    const { client, sent } = fakeClient(
      { init: (c) => ({ type: 'error', id: c.id, message: 'initBackend: no backend worked' }) },
      () => (e) => store.getState().handleEvent(e),
    );
    store = createStudioStore({ client, fetchImpl: fakeFetch({}) });
    await store.getState().boot();
    expect(store.getState().backend.status).toBe('error');
    expect(store.getState().errors).toMatchObject([{ cell: 'model', message: 'initBackend: no backend worked' }]);
    expect(sent).toHaveLength(1);
  });

  it('without a fetch given, the page\'s own fetch is called as the browser requires (not as a method of the store)', async () => {
    const real = globalThis.fetch;
    const calls: string[] = [];
    // The browser's fetch throws "Illegal invocation" unless `this` is the window (or undefined).
    globalThis.fetch = function (this: unknown, input: RequestInfo | URL) {
      if (this !== undefined && this !== globalThis) throw new TypeError("Failed to execute 'fetch' on 'Window': Illegal invocation");
      calls.push(String(input));
      return Promise.resolve(new Response('not found', { status: 404 }));
    } as typeof fetch;
    try {
      let store!: StudioStore;
      const { client } = fakeClient(
        { init: (c) => ({ type: 'ready', id: c.id, backend: 'cpu', reason: 'cpu' }), checkpoints: (c) => ({ type: 'checkpoints', id: c.id, list: [] }) },
        () => (e: WorkerEvent) => store.getState().handleEvent(e),
      );
      store = createStudioStore({ client });
      await store.getState().boot();
      expect(calls).toContain('/weights/a3/manifest.json');
      expect(store.getState().models.a3.note).toMatch(/HTTP 404/);
      expect(await store.getState().loadTokenizer()).toBeNull();
      expect(calls).toContain('/weights/tokenizer.json');
    } finally {
      globalThis.fetch = real;
    }
  });

  it('stores are independent (one per tree, no global)', () => {
    const a = createStudioStore();
    const b = createStudioStore();
    a.getState().setPlayground({ seed: 4 });
    expect(b.getState().playground.seed).toBe(0);
  });
});
