import { describe, expect, it } from 'vitest';
import { PRESETS } from '@/lib/a3/config';
import { AR_PRESET } from '@/lib/a3/decode/strategies';
import type { DecodeRequest } from '@/lib/a3/decode/request';
import type { SpeculativeTrace } from '@/lib/a3/decode/speculative';
import { Tokenizer } from '@/lib/a3/tokenizer';
import { DEFAULT_PLAYGROUND, DEFAULT_TEMPLATE, compareRows, decodeModelKind, createStudioStore, parseUrlState, playgroundRequest, writeUrlState, type StudioStore } from '@/lib/store';
import type { LoadedModel, WorkerCommand, WorkerEvent } from '@/lib/worker/protocol';
import { fakeClient, fakeFetch } from './fake-client';
import { fakeDecodeResult } from './fake-decode';

const model = (kind: LoadedModel['kind']): LoadedModel => ({ kind, config: PRESETS.tiny, parameters: 1234, bytes: 4936, vocabSize: 16 });

function setup(folders: Record<string, number[][]>, opts: { search?: string; fail?: string; fetchImpl?: typeof fetch } = {}) {
  let store!: StudioStore;
  const { client, sent } = fakeClient(
    {
      init: (c) => ({ type: 'ready', id: c.id, backend: 'cpu', reason: 'cpu: requested' }),
      load: (c) => ({ type: 'loaded', id: c.id, model: model(c.type === 'load' ? c.kind : 'a3') }),
      checkpoints: (c) => ({ type: 'checkpoints', id: c.id, list: [] }),
      decode: (c) => {
        if (c.type !== 'decode') throw new Error();
        const req = c.request as DecodeRequest;
        if (opts.fail && req.text.includes(opts.fail)) return { type: 'error', id: c.id, message: 'prompt plus gaps is 300 tokens, longer than the model\'s context of 128' };
        return { type: 'decoded', id: c.id, result: fakeDecodeResult(req) };
      },
    },
    () => (e: WorkerEvent) => store.getState().handleEvent(e),
  );
  store = createStudioStore({ search: opts.search, client, fetchImpl: opts.fetchImpl ?? fakeFetch(folders) });
  return { store, sent: sent as WorkerCommand[] };
}
const decodes = (sent: WorkerCommand[]) => sent.filter((c): c is Extract<WorkerCommand, { type: 'decode' }> => c.type === 'decode');

describe('decode slice', () => {
  it('builds a decode request from the playground (only the running strategy’s knobs; top-k 0 = off)', () => {
    expect(playgroundRequest(DEFAULT_PLAYGROUND)).toEqual({
      text: DEFAULT_TEMPLATE,
      strategy: 'groupwise',
      groupSize: 2,
      order: 'left-to-right',
      sampling: { greedy: false, temperature: 1, topP: 1 },
      seed: 0,
    });
    const dyn = playgroundRequest({ ...DEFAULT_PLAYGROUND, strategy: 'dynamic', k: 3, score: 'entropy', topK: 40, greedy: true, seed: 5 });
    expect(dyn).toEqual({ text: DEFAULT_TEMPLATE, strategy: 'dynamic', perStep: 3, score: 'entropy', sampling: { greedy: true, temperature: 1, topP: 1, topK: 40 }, seed: 5 });
    // An override switching strategy drops the other strategy's knobs.
    expect(playgroundRequest({ ...DEFAULT_PLAYGROUND, strategy: 'dynamic' }, { strategy: 'groupwise', groupSize: 1, order: 'left-to-right' })).not.toHaveProperty('perStep');
    // The default template keeps a fresh URL clean; an edited one goes into the link.
    expect(writeUrlState('', parseUrlState(''))).toBe('');
    expect(parseUrlState(writeUrlState('', { ...parseUrlState(''), playground: { ...DEFAULT_PLAYGROUND, text: 'A [__3__] B' } })).playground.text).toBe('A [__3__] B');
  });

  it('speculative and diffusion requests carry only their own knobs', () => {
    const spec = playgroundRequest({ ...DEFAULT_PLAYGROUND, strategy: 'speculative', draft: 6, order: 'random' });
    expect(spec).toEqual({ text: DEFAULT_TEMPLATE, strategy: 'speculative', draft: 6, order: 'random', sampling: { greedy: false, temperature: 1, topP: 1 }, seed: 0 });
    const diff = playgroundRequest({ ...DEFAULT_PLAYGROUND, strategy: 'diffusion', steps: 12, blockLength: 4, remasking: 'random' });
    expect(diff).toEqual({ text: DEFAULT_TEMPLATE, strategy: 'diffusion', steps: 12, blockLength: 4, remasking: 'random', sampling: { greedy: false, temperature: 1, topP: 1 }, seed: 0 });
    // Block length 0 = one block: left to the decoder.
    expect(playgroundRequest({ ...DEFAULT_PLAYGROUND, strategy: 'diffusion' })).not.toHaveProperty('blockLength');
    expect(playgroundRequest({ ...DEFAULT_PLAYGROUND, strategy: 'speculative' }, { strategy: 'dynamic' })).toMatchObject({ perStep: 2, score: 'confidence' });
    expect(playgroundRequest({ ...DEFAULT_PLAYGROUND, strategy: 'speculative' }, { strategy: 'dynamic' })).not.toHaveProperty('draft');
    expect(decodeModelKind('diffusion')).toBe('mdlm');
    expect(decodeModelKind('speculative')).toBe('a3');
  });

  it('runDecode: speculative runs on A3 with its draft size; diffusion loads MDLM on demand and runs there', async () => {
    const { store, sent } = setup({ a3: [[16, 16]], mdlm: [[16, 16]], base: [[16, 16]] }, { search: '?strategy=speculative&draft=3' });
    await store.getState().boot();
    await store.getState().runDecode();
    expect(decodes(sent)[0]).toMatchObject({ kind: 'a3', request: { strategy: 'speculative', draft: 3 } });
    const d = store.getState().decode;
    expect(d).toMatchObject({ status: 'done', kind: 'a3' });
    const trace = d.result!.trace as SpeculativeTrace;
    expect(trace.steps.map((s) => s.committed.length)).toEqual([0, 2, 0, 2]);
    expect(trace.acceptedPerForward).toBe(1);
    expect(d.step).toBe(3);

    store.getState().setPlayground({ strategy: 'diffusion', steps: 4, remasking: 'random' });
    expect(store.getState().models.mdlm.status).toBe('idle');
    await store.getState().runDecode();
    expect(store.getState().models.mdlm.status).toBe('loaded');
    expect(sent.filter((c) => c.type === 'load').map((c) => (c as { kind: string }).kind)).toEqual(['a3', 'mdlm']);
    expect(decodes(sent)[1]).toMatchObject({ kind: 'mdlm', request: { strategy: 'diffusion', steps: 4, remasking: 'random' } });
    expect(store.getState().decode).toMatchObject({ status: 'done', kind: 'mdlm' });

    // The AR preset is the registry's AR strategy: the base model loads on first use (its slot shows "loading" meanwhile) and runs it.
    const baseStatus: string[] = [store.getState().models.base.status];
    const stop = store.subscribe((s) => baseStatus.at(-1) !== s.models.base.status && baseStatus.push(s.models.base.status));
    store.getState().setPlayground(AR_PRESET);
    await store.getState().runDecode();
    stop();
    expect(baseStatus).toEqual(['idle', 'loading', 'loaded']);
    expect(decodes(sent)[2]).toMatchObject({ kind: 'base', request: { strategy: 'ar' } });
    expect(store.getState().decode).toMatchObject({ status: 'done', kind: 'base' });
  });

  it('diffusion without MDLM weights is an error in the infill cell, nothing is decoded', async () => {
    const { store, sent } = setup({ a3: [[16, 16]] }, { search: '?strategy=diffusion' });
    await store.getState().boot();
    await store.getState().runDecode();
    expect(decodes(sent)).toHaveLength(0);
    expect(store.getState().decode).toMatchObject({ status: 'error', error: expect.stringMatching(/needs the MDLM model.*not shipped/) });
    expect(store.getState().errors.map((e) => e.cell)).toEqual(['infill']);
  });

  it('runDecode sends the playground to the A3 model and keeps the result at its last step', async () => {
    const { store, sent } = setup({ base: [[16, 16]] }, { search: '?strategy=dynamic&k=3&seed=7' });
    await store.getState().boot();
    await store.getState().runDecode();
    const [cmd] = decodes(sent);
    expect(cmd).toMatchObject({ kind: 'a3', request: { strategy: 'dynamic', perStep: 3, seed: 7, text: DEFAULT_TEMPLATE } });
    const d = store.getState().decode;
    expect(d.status).toBe('done');
    expect(d.result!.trace.steps).toHaveLength(2); // 4 open positions, k = 3
    expect(d.step).toBe(1);
    expect(d.request).toEqual(cmd.request);
    expect(store.getState().errors).toEqual([]);
  });

  it('errors show in the infill cell: no model yet, and a worker error (context too long)', async () => {
    const { store, sent } = setup({ base: [[16, 16]] }, { fail: 'LONG' });
    await store.getState().runDecode(); // not booted
    expect(store.getState().decode).toMatchObject({ status: 'error', error: expect.stringMatching(/not loaded/) });
    expect(decodes(sent)).toHaveLength(0);
    await store.getState().boot();
    store.getState().setPlayground({ text: 'LONG [____]' });
    await store.getState().runDecode();
    const s = store.getState();
    expect(s.decode.status).toBe('error');
    expect(s.decode.error).toMatch(/longer than the model's context/);
    expect(s.errors.filter((e) => e.cell === 'infill').map((e) => e.message)).toEqual([s.decode.error]);
    // A good run clears the cell's errors (and keeps no stale error text).
    store.getState().setPlayground({ text: 'short [____]' });
    await store.getState().runDecode();
    expect(store.getState().decode).toMatchObject({ status: 'done', error: null });
    expect(store.getState().errors.filter((e) => e.cell === 'infill')).toEqual([]);
  });

  it('replay: step is clamped, play from the end starts over, ticks stop at the last step', async () => {
    const { store } = setup({ base: [[16, 16]] }, { search: '?s=1' });
    await store.getState().boot();
    await store.getState().runDecode();
    const g = () => store.getState().decode;
    expect(g().result!.trace.steps).toHaveLength(4);
    expect(g().step).toBe(3);
    store.getState().setDecodeStep(99);
    expect(g().step).toBe(3);
    store.getState().setDecodeStep(-5);
    expect(g().step).toBe(0);
    store.getState().stepDecode(1);
    store.getState().stepDecode(1);
    expect(g().step).toBe(2);
    store.getState().stepDecode(-1);
    expect(g().step).toBe(1);
    store.getState().setDecodeStep(3);
    store.getState().setDecodePlaying(true);
    expect(g()).toMatchObject({ playing: true, step: 0 });
    store.getState().tickDecode();
    store.getState().tickDecode();
    expect(g()).toMatchObject({ playing: true, step: 2 });
    store.getState().tickDecode();
    expect(g()).toMatchObject({ playing: false, step: 3 });
    store.getState().tickDecode();
    expect(g()).toMatchObject({ playing: false, step: 3 });
    // Stepping by hand pauses.
    store.getState().setDecodePlaying(true);
    store.getState().stepDecode(1);
    expect(g()).toMatchObject({ playing: false, step: 1 });
    store.getState().setDecodeSpeed(8);
    store.getState().setDecodeSpeed(-1);
    expect(g().speed).toBe(8);
  });

  it('runCompare: the AR baseline on the base model (loaded on demand), A3 left to right, group-wise s, dynamic k, and an honest MDLM row', async () => {
    const { store, sent } = setup({ base: [[16, 16]] }, { search: '?s=4&k=2&greedy=1' });
    await store.getState().boot();
    expect(store.getState().models.base.status).toBe('idle');
    await store.getState().runCompare();
    const rows = store.getState().compare.rows;
    expect(store.getState().compare.status).toBe('done');
    expect(rows.map((r) => [r.key, r.status])).toEqual([
      ['ar', 'done'],
      ['a3-l2r', 'done'],
      ['groupwise', 'done'],
      ['dynamic', 'done'],
      ['mdlm', 'unavailable'],
    ]);
    expect(store.getState().models.base.status).toBe('loaded');
    expect(rows.map((r) => r.result?.trace.nfe)).toEqual([4, 4, 1, 2, undefined]);
    const d = decodes(sent);
    // The AR row is the registry's AR strategy on the base model's weights, not A3 with s = 1; each row names its model.
    expect(d.map((c) => c.kind)).toEqual(['base', 'a3', 'a3', 'a3']);
    expect(rows.map((r) => r.kind)).toEqual(['base', 'a3', 'a3', 'a3', 'mdlm']);
    expect(d[0].request).toMatchObject({ strategy: 'ar', sampling: { greedy: true } });
    expect(d[0].request).not.toHaveProperty('groupSize');
    expect(rows[0]).toMatchObject({ name: 'AR (base model), left to right', note: expect.stringMatching(/only the text before each gap/) });
    expect(d[1].request).toMatchObject({ strategy: 'groupwise', groupSize: 1, order: 'left-to-right', sampling: { greedy: true } });
    expect(d[2].request).toMatchObject({ strategy: 'groupwise', groupSize: 4 });
    expect(d[3].request).toMatchObject({ strategy: 'dynamic', perStep: 2 });
    expect(new Set(d.map((c) => (c.request as DecodeRequest).text))).toEqual(new Set([DEFAULT_TEMPLATE]));
    expect(rows[4].note).toMatch(/No MDLM weights are shipped/);
  });

  it('runCompare without base weights marks that row unavailable; shipped MDLM weights run the diffusion decoder', async () => {
    const { store, sent } = setup({ a3: [[16, 16]], mdlm: [[16, 16]] });
    await store.getState().boot();
    await new Promise((r) => setTimeout(r, 0)); // the shipped probes
    await store.getState().runCompare();
    const rows = store.getState().compare.rows;
    expect(rows.find((r) => r.key === 'ar')).toMatchObject({ status: 'unavailable', note: expect.stringMatching(/not shipped/) });
    expect(rows.find((r) => r.key === 'mdlm')).toMatchObject({ status: 'done', name: 'MDLM diffusion, 2 steps' });
    const d = decodes(sent);
    expect(d.map((c) => c.kind)).toEqual(['a3', 'a3', 'a3', 'mdlm']);
    // As many diffusion steps as the A3 dynamic row's forwards (default k = 2, 4 open tokens).
    expect(d[3].request).toMatchObject({ strategy: 'diffusion', steps: 2 });
    expect(store.getState().models.mdlm.status).toBe('loaded');
    expect(compareRows(DEFAULT_PLAYGROUND).map((r) => r.name)).toContain('A3 group-wise, s = 2, left-to-right');
  });

  it('runCompare: the MDLM row takes at least one step per block of the playground\'s block length', async () => {
    // Dynamic fills the 4 open tokens in 2 forwards; blocks of 1 need 4 steps (fewer would make the schedule throw).
    const { store, sent } = setup({ a3: [[16, 16]], mdlm: [[16, 16]] }, { search: '?block=1' });
    await store.getState().boot();
    await store.getState().runCompare();
    expect(store.getState().compare.rows.find((r) => r.key === 'dynamic')?.result?.trace.nfe).toBe(2);
    expect(decodes(sent).at(-1)).toMatchObject({ kind: 'mdlm', request: { strategy: 'diffusion', steps: 4, blockLength: 1 } });
    // Blocks of 2: two blocks, and the dynamic row's 2 forwards suffice.
    const two = setup({ a3: [[16, 16]], mdlm: [[16, 16]] }, { search: '?block=2' });
    await two.store.getState().boot();
    await two.store.getState().runCompare();
    expect(decodes(two.sent).at(-1)?.request).toMatchObject({ strategy: 'diffusion', steps: 2, blockLength: 2 });
  });

  it('runCompare: MDLM weights not probed yet (shipped unknown) are loaded and run, not reported missing', async () => {
    const { store, sent } = setup({ a3: [[16, 16]], mdlm: [[16, 16]] });
    await store.getState().boot();
    store.setState({ shipped: { ...store.getState().shipped, mdlm: null } });
    await store.getState().runCompare();
    expect(store.getState().compare.rows.find((r) => r.key === 'mdlm')).toMatchObject({ status: 'done' });
    expect(decodes(sent).at(-1)?.kind).toBe('mdlm');
    // Not probed and not there: the load tells, and the row says the weights are not shipped.
    const none = setup({ a3: [[16, 16]] });
    await none.store.getState().boot();
    none.store.setState({ shipped: { ...none.store.getState().shipped, mdlm: null } });
    await none.store.getState().runCompare();
    expect(none.store.getState().compare.rows.find((r) => r.key === 'mdlm')).toMatchObject({ status: 'unavailable', note: expect.stringMatching(/No MDLM weights are shipped/) });
  });

  it('loads the page tokenizer once (null when it cannot be fetched)', async () => {
    const tok = Tokenizer.train('the cat sat on the mat. the cat ate. '.repeat(20), 20);
    let calls = 0;
    const fetchImpl = (async (input: RequestInfo | URL) => {
      calls++;
      return String(input).endsWith('tokenizer.json') ? new Response(JSON.stringify(tok.toJSON())) : new Response('', { status: 404 });
    }) as typeof fetch;
    const { store } = setup({}, { fetchImpl });
    const [a, b] = await Promise.all([store.getState().loadTokenizer(), store.getState().loadTokenizer()]);
    expect(a).toBe(b);
    expect(calls).toBe(1);
    expect(a!.decode(a!.encode(' the cat'))).toBe(' the cat');
    expect(store.getState().tokenizer).toBe(a);
    const none = setup({}).store; // fakeFetch: 404
    expect(await none.getState().loadTokenizer()).toBeNull();
  });

  it('a failed tokenizer load is tried again on the next use', async () => {
    const tok = Tokenizer.train('the cat sat on the mat. the cat ate. '.repeat(20), 20);
    let up = false;
    let calls = 0;
    const fetchImpl = (async (input: RequestInfo | URL) => {
      calls++;
      return up && String(input).endsWith('tokenizer.json') ? new Response(JSON.stringify(tok.toJSON())) : new Response('', { status: 503 });
    }) as typeof fetch;
    const { store } = setup({}, { fetchImpl });
    expect(await store.getState().loadTokenizer()).toBeNull();
    up = true; // the server answers now
    const t = await store.getState().loadTokenizer();
    expect(t?.decode(t.encode(' the cat'))).toBe(' the cat');
    expect(store.getState().tokenizer).toBe(t);
    expect(calls).toBe(2);
  });
});
