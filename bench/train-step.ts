/**
 * Training-step speed vs the backend's own matmul rate, measured in one run.
 */
import * as tf from '@tensorflow/tfjs';
import { PRESETS, type ModelConfig } from '@/lib/a3/config';
import { randomSubsets } from '@/lib/a3/groups';
import { a3Loss } from '@/lib/a3/likelihood';
import { disposeModel, initModel, trainableVariables, type SequenceBatch } from '@/lib/a3/model';
import { makeRng } from '@/lib/a3/random';
import { AdamW } from '@/lib/train/optim';
import { TRAIN_STEP_FACTOR, twoStreamForwardFlops } from './flops';

function timeIt(fn: () => void, repeats: number): number {
  fn(); // warm-up: kernel compilation, allocation
  const t0 = performance.now();
  for (let i = 0; i < repeats; i++) fn();
  return (performance.now() - t0) / repeats;
}

/** Plain matmul rate in GFLOP/s for one shape [m,k]·[k,n]. */
function matmulRate(m: number, k: number, n: number, repeats: number): number {
  const a = tf.randomNormal([m, k]);
  const b = tf.randomNormal([k, n]);
  // The callback returns nothing: a typed array returned from tf.tidy is walked element by element.
  const ms = timeIt(() => tf.tidy(() => void tf.matMul(a, b).dataSync()), repeats);
  tf.dispose([a, b]);
  return (2 * m * k * n) / (ms * 1e6);
}

/**
 * The backend's plain matmul rate: the best of a square 512³ and the model's
 * own layer shapes, so the ratio below is against the fastest thing it can do.
 */
export function matmulGflops(cfg: ModelConfig, rows: number, repeats = 10): { gflops: number; shapes: string } {
  const shapes: [number, number, number][] = [
    [512, 512, 512],
    [rows, cfg.dModel, cfg.ffnDim],
    [rows, cfg.dModel, cfg.dModel],
  ];
  const rates = shapes.map(([m, k, n]) => matmulRate(m, k, n, repeats));
  return {
    gflops: Math.max(...rates),
    shapes: shapes.map(([m, k, n], i) => `${m}x${k}x${n}: ${rates[i].toFixed(1)}`).join(', '),
  };
}

export function randomBatch(cfg: ModelConfig, batch: number, length: number, seed: number, groupSize = 4): SequenceBatch {
  const rng = makeRng(seed);
  const tokens = Int32Array.from({ length: batch * length }, () => Math.floor(rng() * cfg.vocabSize));
  const groupIds = new Int32Array(batch * length);
  groupIds.set(randomSubsets(length, groupSize, rng)); // one grouping per batch, as in the paper
  for (let b = 1; b < batch; b++) groupIds.set(groupIds.subarray(0, length), b * length);
  return { batch, tokens, groupIds };
}

export interface TrainStepReport {
  msPerStep: number;
  tokensPerSec: number;
  gflops: number;
}

export async function benchTrainStep(cfg: ModelConfig, batch: number, length: number, repeats = 5): Promise<TrainStepReport> {
  const model = initModel(cfg, 0);
  const opt = new AdamW(trainableVariables(model));
  const seq = randomBatch(cfg, batch, length, 1);
  await opt.minimize(() => a3Loss(model, seq), 1e-3); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < repeats; i++) await opt.minimize(() => a3Loss(model, seq), 1e-3);
  const ms = (performance.now() - t0) / repeats;
  opt.dispose();
  disposeModel(model);
  const flops = TRAIN_STEP_FACTOR * twoStreamForwardFlops(cfg, batch, length);
  return { msPerStep: ms, tokensPerSec: (batch * length) / (ms / 1000), gflops: flops / (ms * 1e6) };
}

/** Per-kernel time of one training step, largest first. */
export async function profileTrainStep(cfg: ModelConfig, batch: number, length: number): Promise<{ kernel: string; ms: number; calls: number }[]> {
  const model = initModel(cfg, 0);
  const opt = new AdamW(trainableVariables(model));
  const seq = randomBatch(cfg, batch, length, 1);
  await opt.minimize(() => a3Loss(model, seq), 1e-3);
  const info = await tf.profile(async () => {
    await opt.minimize(() => a3Loss(model, seq), 1e-3);
  });
  opt.dispose();
  disposeModel(model);
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const key = `${k.name} ${k.inputShapes.map((s) => `[${s}]`).join('')}`;
    const e = byKernel.get(key) ?? { ms: 0, calls: 0 };
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    e.calls += 1;
    byKernel.set(key, e);
  }
  return [...byKernel.entries()].map(([kernel, e]) => ({ kernel, ...e })).sort((a, b) => b.ms - a.ms);
}

export const BENCH_CONFIG: ModelConfig = { ...PRESETS.base };
