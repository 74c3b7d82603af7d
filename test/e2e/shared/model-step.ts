/**
 * The tiny two-stream model's forward and one AdamW step, written once and run
 * both in Node (cpu) and in Chromium (webgpu) so the two can be compared.
 */
import * as tf from '@tensorflow/tfjs';
import { PRESETS } from '@/lib/a3/config';
import { a3Loss } from '@/lib/a3/likelihood';
import { disposeModel, forward, initModel, trainableVariables } from '@/lib/a3/model';
import { decodeDynamic } from '@/lib/a3/decode/dynamic';
import { decodeGroupwise } from '@/lib/a3/decode/groupwise';
import { AdamW } from '@/lib/train/optim';

export interface ModelStepResult {
  logits: number[];
  lossBefore: number;
  lossAfter: number;
  tensorsLeaked: number;
  /** Greedy decodes (cached KV): group-wise s=2 and dynamic k=2, on the trained weights. */
  decoded: number[][];
}

export async function modelStep(): Promise<ModelStepResult> {
  const before = tf.memory().numTensors;
  const model = initModel({ ...PRESETS.tiny }, 3);
  const seq = {
    batch: 2,
    tokens: Int32Array.from([1, 5, 9, 2, 7, 7, 3, 0, 4, 4, 12, 15, 6, 1, 8, 2]),
    // gid = [1,0,2,2,0,2,3,3] (the A3.md example, extended) and a left-to-right row.
    groupIds: Int32Array.from([1, 0, 2, 2, 0, 2, 3, 3, 0, 1, 2, 3, 4, 5, 6, 7]),
  };
  const logitsT = tf.tidy(() => forward(model, seq).logits);
  const logits = Array.from(await logitsT.data());
  logitsT.dispose();
  const opt = new AdamW(trainableVariables(model));
  const step = await opt.minimize(() => a3Loss(model, seq), 1e-2);
  const problem = { tokens: [1, 5, 0, 0, 0, 0, 7, 2], given: [true, true, false, false, false, false, true, true] };
  const decoded = [
    (await decodeGroupwise(model, problem, { groupSize: 2, sampling: { greedy: true } })).tokens,
    (await decodeDynamic(model, problem, { perStep: 2, sampling: { greedy: true } })).tokens,
  ];
  const after = a3Loss(model, seq);
  const lossAfter = (await after.data())[0];
  after.dispose();
  opt.dispose();
  disposeModel(model);
  return { logits, lossBefore: step.loss, lossAfter, tensorsLeaked: tf.memory().numTensors - before, decoded };
}
