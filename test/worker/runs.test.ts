/**
 * Training runs and their checkpoints in the worker (Node, cpu): each run its own id and checkpoints, a
 * diverged run stops with its warning and puts the last good weights back without touching any checkpoint,
 * a stopped run resumes from its checkpoint with its loss history, deletion is per checkpoint or per run,
 * every slot change says which weights it holds, and the export is Hugging Face's format (ours still imports).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultCurriculum, type Curriculum } from '@/lib/train/curriculum';
import { resumableRuns } from '@/lib/train/storage';
import type { WorkerEvent } from '@/lib/worker/protocol';
import type { WorkerCore } from '@/lib/worker/core';
import { useCpu } from '../helpers/tf';
import { TEXT, fixtureFiles, harness } from '../helpers/worker-harness';

const oneStage = (steps: number, lr = 5e-3): Curriculum => ({ ...defaultCurriculum(steps, lr), stages: defaultCurriculum(steps, lr).stages.slice(0, 1) });
const stepsOf = (events: WorkerEvent[], id: number) => events.flatMap((e) => (e.type === 'train-event' && e.id === id && e.event.type === 'step' ? [e.event.step] : []));
const bytesOf = (files: Record<string, ArrayBuffer | string>) => Array.from(new Uint8Array(files['model.safetensors'] as ArrayBuffer));

describe('training runs and their checkpoints', () => {
  let files: Record<string, ArrayBuffer | string>;
  beforeAll(async () => {
    await useCpu();
    files = await fixtureFiles();
  });

  async function loaded(onEvent?: (e: WorkerEvent, core: WorkerCore) => void) {
    const h = harness(files, { onEvent });
    await h.core.handle({ type: 'init', id: 1, backend: 'cpu' });
    await h.core.handle({ type: 'load', id: 2, kind: 'a3', baseUrl: '/w/a3/', tokenizerUrl: '/w/tokenizer.json' });
    return h;
  }

  it('two runs with the same seed keep their own checkpoints; a diverged run stops with its warning and the last good weights come back', async () => {
    const h = await loaded();
    expect(h.of('weights').at(-1)).toEqual({ type: 'weights', kind: 'a3', weights: { kind: 'shipped', folder: 'a3' } });
    await h.core.handle({ type: 'train', id: 3, text: TEXT, plan: oneStage(12), batch: 2, seed: 3 });
    const first = await h.store.list();
    expect(first).toHaveLength(1);
    const [good] = first;
    expect(good).toMatchObject({ stageIndex: 0, step: 12, stageSteps: 12, stageCount: 1 });
    expect(good.losses.map((p) => p.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]); // StepLog steps, from 0
    expect(h.of('run-started')[0]).toMatchObject({ id: 3, runId: good.runId, resumedFrom: null, losses: [] });
    expect(h.of('weights').at(-1)!.weights).toEqual({ kind: 'fine-tuned', runId: good.runId, stage: good.stage, stageIndex: 0, step: 12, key: good.key });
    await h.core.handle({ type: 'export', id: 4 });
    const goodBytes = bytesOf(h.of('exported')[0].files);

    // The same seed at a learning rate far too high: a run of its own, which diverges.
    await h.core.handle({ type: 'train', id: 5, text: TEXT, plan: oneStage(12, 50), batch: 2, seed: 3 });
    expect(h.of('error')).toEqual([]);
    expect(h.of('done').map((e) => e.id)).toEqual([3, 5]);
    const stageDone = h.of('train-event').filter((e) => e.id === 5 && e.event.type === 'done').map((e) => e.event);
    expect(stageDone).toEqual([expect.objectContaining({ reason: 'diverged', warning: expect.stringMatching(/diverged.*earlier checkpoints are kept/) })]);
    const second = h.of('run-started')[1];
    expect(second.runId).not.toBe(good.runId);
    // The good run's checkpoint is exactly as it was; whatever the bad run saved before diverging is its own.
    const after = await h.store.list();
    expect(after.find((c) => c.key === good.key)).toEqual(good);
    expect(after.filter((c) => c.key !== good.key).every((c) => c.runId === second.runId)).toBe(true);
    // The slot holds the last good weights again: the bad run's last checkpoint if it saved one, else the first run's.
    const rolledBack = h.of('weights').at(-1)!.weights;
    const badSaved = after.find((c) => c.runId === second.runId);
    expect(rolledBack).toMatchObject(badSaved ? { kind: 'fine-tuned', runId: second.runId, step: badSaved.step } : { kind: 'fine-tuned', key: good.key });
    await h.core.handle({ type: 'export', id: 6 });
    const nowBytes = bytesOf(h.of('exported')[1].files);
    if (!badSaved) expect(nowBytes).toEqual(goodBytes);
    else {
      await h.core.handle({ type: 'restore', id: 7, key: badSaved.key });
      await h.core.handle({ type: 'export', id: 8 });
      expect(nowBytes).toEqual(bytesOf(h.of('exported')[2].files));
    }

    // Deleting is explicit: one checkpoint, or every checkpoint of one run.
    await h.core.handle({ type: 'delete-run', id: 9, runId: second.runId });
    expect(h.of('checkpoints').at(-1)!.list.map((c) => c.key)).toEqual([good.key]);
    await h.core.handle({ type: 'delete-checkpoint', id: 10, key: good.key });
    expect(h.of('checkpoints').at(-1)!.list).toEqual([]);
  }, 180_000);

  it('a stopped run resumes from its checkpoint: same run id, its loss history, the steps after it', async () => {
    let stopped = false;
    const h = await loaded((e, core) => {
      if (!stopped && e.type === 'train-event' && e.event.type === 'step' && e.event.step === 4) {
        stopped = true;
        void core.handle({ type: 'stop' });
      }
    });
    await h.core.handle({ type: 'train', id: 3, text: TEXT, plan: oneStage(14), batch: 2, seed: 5 });
    const [ckpt] = await h.store.list();
    const at = ckpt.step;
    expect(at).toBeGreaterThanOrEqual(4);
    expect(at).toBeLessThan(14);
    expect(ckpt.losses.map((p) => p.step)).toEqual(Array.from({ length: at }, (_, i) => i));
    expect(resumableRuns(await h.store.list()).map((c) => c.key)).toEqual([ckpt.key]);

    await h.core.handle({ type: 'resume-run', id: 4, key: ckpt.key });
    expect(h.of('error')).toEqual([]);
    expect(h.of('run-started')[1]).toEqual({ type: 'run-started', id: 4, runId: ckpt.runId, plan: oneStage(14), resumedFrom: `checkpoint ${ckpt.label}`, losses: ckpt.losses });
    expect(stepsOf(h.events, 4)).toEqual(Array.from({ length: 14 - at }, (_, i) => at + i + 1));
    const list = await h.store.list();
    expect(list.map((c) => c.key)).toEqual([ckpt.key]); // the same run and stage: replaced as that stage goes on
    expect(list[0].step).toBe(14);
    expect(list[0].losses.map((p) => p.step)).toEqual(Array.from({ length: 14 }, (_, i) => i));
    expect(list[0].losses.slice(0, at)).toEqual(ckpt.losses);
    expect(resumableRuns(list)).toEqual([]);
    await h.core.handle({ type: 'resume-run', id: 5, key: 'run-gone/0' });
    expect(h.of('error').at(-1)).toMatchObject({ id: 5, message: expect.stringMatching(/no checkpoint named run-gone\/0/) });
  }, 180_000);

  it("exports Hugging Face's tokenizer.json; both it and the studio's own format import, and the slot says so", async () => {
    const h = await loaded();
    await h.core.handle({ type: 'export', id: 3 });
    const exported = h.of('exported')[0].files;
    const tok = JSON.parse(exported['tokenizer.json'] as string) as { model?: { type?: string; merges?: unknown[] }; decoder?: unknown };
    expect(tok.model?.type).toBe('BPE');
    expect(Array.isArray(tok.model?.merges)).toBe(true);
    await h.core.handle({ type: 'import', id: 4, files: exported });
    expect(h.of('error')).toEqual([]);
    expect(h.of('weights').at(-1)!.weights).toEqual({ kind: 'imported', name: 'model.safetensors' });
    // The shipped layout with the studio's own tokenizer format.
    expect(JSON.parse(files['tokenizer.json'] as string)).toMatchObject({ type: 'a3-byte-bpe' });
    await h.core.handle({ type: 'import', id: 5, files });
    expect(h.of('error')).toEqual([]);
    expect(h.of('loaded').map((e) => e.id)).toEqual([2, 4, 5]);
  }, 60_000);
});
