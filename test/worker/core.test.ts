/**
 * The worker's command handling in Node (cpu backend): load, inspect,
 * fine-tune with pause/step/resume/stop, checkpoints, export/import, and
 * clear errors for bad input. The decoding engine is injected (tested on its own in test/a3/decode).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PRESETS } from '@/lib/a3/config';
import { EXPORT_FILES } from '@/lib/a3/model-files';
import { decodeSafetensors } from '@/lib/a3/safetensors';
import { defaultCurriculum } from '@/lib/train/curriculum';
import { TEXT, fixtureFiles, harness } from '../helpers/worker-harness';
import type { DecodeRequest } from '@/lib/a3/decode/request';

const REQ: DecodeRequest = { text: 'the quick [____] fox', strategy: 'dynamic', perStep: 2 };
import { useCpu } from '../helpers/tf';

describe('WorkerCore', () => {
  let files: Record<string, ArrayBuffer | string>;
  beforeAll(async () => {
    await useCpu();
    files = await fixtureFiles();
  });

  it('initialises, loads, decodes through the injected engine and inspects', async () => {
    const { core, of } = harness(files);
    await core.handle({ type: 'init', id: 1, backend: 'cpu' });
    expect(of('ready')[0].backend).toBe('cpu');
    await core.handle({ type: 'load', id: 2, kind: 'a3', baseUrl: '/w/', tokenizerUrl: '/w/tokenizer.json' });
    expect(of('loaded')[0].model.config.maxLen).toBe(32);
    await core.handle({ type: 'decode', id: 3, kind: 'a3', request: REQ });
    // The engine got the request and the loaded tokenizer; its DecodeResult came back whole.
    const [decoded] = of('decoded');
    expect(decoded.result.text).toBe(`${REQ.text} | vocab ${of('loaded')[0].model.vocabSize}`);
    expect(decoded.result.trace.steps.length).toBe(2); // the fake commits k = 2 of 4 open positions per step
    await core.handle({ type: 'inspect', id: 4, text: 'the fox', groupIds: undefined });
    const snap = of('inspected')[0].snapshot;
    expect(snap.weights.length).toBe(PRESETS.tiny.nLayers);
    expect(snap.weights[0].length).toBe(PRESETS.tiny.nHeads);
    expect(snap.weights[0][0].length).toBe(2 * snap.tokens.length);
  });

  it('reports bad input as errors and keeps the loaded model', async () => {
    const { core, of } = harness(files);
    await core.handle({ type: 'init', id: 1, backend: 'cpu' });
    await core.handle({ type: 'decode', id: 2, kind: 'a3', request: REQ });
    expect(of('error')[0].message).toMatch(/not loaded/);
    await core.handle({ type: 'load', id: 3, kind: 'a3', baseUrl: '/w/', tokenizerUrl: '/w/tokenizer.json' });
    const broken = { ...files, 'manifest.json': '{"format": "nope"}' };
    await core.handle({ type: 'import', id: 4, files: broken });
    expect(of('error').at(-1)!.message).toMatch(/format/);
    await core.handle({ type: 'import', id: 41, files: { 'model.safetensors': new ArrayBuffer(16) } });
    expect(of('error').at(-1)!.message).toMatch(/config\.json is missing/);
    await core.handle({ type: 'import', id: 42, files: { 'notes.txt': 'hello' } });
    expect(of('error').at(-1)!.message).toMatch(/select model\.safetensors and config\.json/);
    await core.handle({ type: 'train', id: 5, text: '   ', plan: defaultCurriculum(2), batch: 2, seed: 1 });
    expect(of('error').at(-1)!.message).toMatch(/empty/);
    await core.handle({ type: 'inspect', id: 6, text: 'x '.repeat(100) });
    expect(of('error').at(-1)!.message).toMatch(/context/);
    await core.handle({ type: 'inspect', id: 7, text: 'the fox' });
    expect(of('inspected').length).toBe(1); // the model survived the failed import
  });

  it('fine-tunes with pause, single step, resume and checkpoints; export/import round-trips', async () => {
    const { core, of, store } = harness(files);
    await core.handle({ type: 'init', id: 1, backend: 'cpu' });
    await core.handle({ type: 'load', id: 2, kind: 'a3', baseUrl: '/w/', tokenizerUrl: '/w/tokenizer.json' });
    const plan = { ...defaultCurriculum(12, 5e-3), stages: defaultCurriculum(12, 5e-3).stages.slice(0, 2) };
    const before = tf.memory().numTensors;
    const run = core.handle({ type: 'train', id: 3, text: TEXT, plan, batch: 2, seed: 9 });
    await new Promise((r) => setTimeout(r, 50));
    await core.handle({ type: 'pause' });
    const pausedAt = of('train-event').filter((e) => e.event.type === 'step').length;
    await new Promise((r) => setTimeout(r, 100));
    expect(of('train-event').filter((e) => e.event.type === 'step').length).toBeLessThanOrEqual(pausedAt + 1);
    await core.handle({ type: 'step' });
    await new Promise((r) => setTimeout(r, 100));
    await core.handle({ type: 'resume' });
    await run;
    const steps = of('train-event').map((e) => e.event).filter((e) => e.type === 'step');
    expect(steps.length).toBe(24);
    expect(of('done').length).toBe(1);
    expect(of('train-state').map((e) => e.state)).toEqual(expect.arrayContaining(['running', 'paused', 'idle']));
    const first = steps.slice(0, 3).reduce((s, e) => s + (e.type === 'step' ? e.loss : 0), 0);
    const last = steps.slice(-3).reduce((s, e) => s + (e.type === 'step' ? e.loss : 0), 0);
    expect(last).toBeLessThan(first);
    const list = await store.list();
    expect(list.length).toBeGreaterThan(0);
    await core.handle({ type: 'export', id: 4 });
    const exported = of('exported')[0].files;
    expect(Object.keys(exported).sort()).toEqual([...EXPORT_FILES].sort());
    expect([...EXPORT_FILES].sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    expect(decodeSafetensors(exported['model.safetensors'] as ArrayBuffer).tensors.has('model.layers.0.self_attn.q_proj.weight')).toBe(true);
    await core.handle({ type: 'import', id: 5, files: exported });
    expect(of('loaded').length).toBe(2);
    expect(of('error')).toEqual([]);
    await core.handle({ type: 'restore', id: 6, key: list[0].key });
    expect(of('loaded').length).toBe(3);
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 2);
  }, 120_000);

  it('refuses a second run while one is going', async () => {
    const { core, of } = harness(files);
    await core.handle({ type: 'init', id: 1, backend: 'cpu' });
    await core.handle({ type: 'load', id: 2, kind: 'a3', baseUrl: '/w/', tokenizerUrl: '/w/tokenizer.json' });
    const plan = { ...defaultCurriculum(4), stages: defaultCurriculum(4).stages.slice(0, 1) };
    const first = core.handle({ type: 'train', id: 3, text: TEXT, plan, batch: 2, seed: 1 });
    await core.handle({ type: 'train', id: 4, text: TEXT, plan, batch: 2, seed: 2 });
    expect(of('error').find((e) => e.id === 4)!.message).toMatch(/already in progress/);
    await core.handle({ type: 'stop' });
    await first;
    expect(of('done').length).toBe(1);
  }, 60_000);
});
