/**
 * Training-step speed vs the backend's own matmul rate, measured in one run.
 * Both are timed in wall-clock and in this process's CPU time: on a machine
 * shared with other work the CPU-time ratio is the steadier per-worker figure
 * (nothing else runs in this process while it is measured).
 */
import * as tf from '@tensorflow/tfjs';
import { PRESETS, type ModelConfig } from '@/lib/a3/config';
import { randomSubsets } from '@/lib/a3/groups';
import { a3Loss } from '@/lib/a3/likelihood';
import { disposeModel, initModel, trainableVariables, type SequenceBatch } from '@/lib/a3/model';
import { makeRng } from '@/lib/a3/random';
import { AdamW } from '@/lib/train/optim';
import { TRAIN_STEP_FACTOR, twoStreamForwardFlops } from './flops';

/** Milliseconds of wall-clock and of this process's CPU (user + system). */
export interface Timing {
  wallMs: number;
  cpuMs: number;
}

function clocks(): Timing {
  const cpu = process.cpuUsage();
  return { wallMs: performance.now(), cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** Mean time per call of `fn` over `repeats` calls, after one warm-up call (kernel set-up, allocation). */
export async function timeAsync(fn: () => unknown, repeats: number): Promise<Timing> {
  await fn();
  const t0 = clocks();
  for (let i = 0; i < repeats; i++) await fn();
  const t1 = clocks();
  return { wallMs: (t1.wallMs - t0.wallMs) / repeats, cpuMs: (t1.cpuMs - t0.cpuMs) / repeats };
}

/** GFLOP/s for `flops` done in `t`, by either clock. */
function rates(flops: number, t: Timing): { gflops: number; cpuGflops: number } {
  return { gflops: flops / (t.wallMs * 1e6), cpuGflops: flops / (t.cpuMs * 1e6) };
}

/** Plain matmul rate in GFLOP/s for one shape [m,k]·[k,n]. */
async function matmulRate(m: number, k: number, n: number, repeats: number): Promise<{ gflops: number; cpuGflops: number }> {
  const a = tf.randomNormal([m, k]);
  const b = tf.randomNormal([k, n]);
  // The callback returns nothing: a typed array returned from tf.tidy is walked element by element.
  const t = await timeAsync(() => tf.tidy(() => void tf.matMul(a, b).dataSync()), repeats);
  tf.dispose([a, b]);
  return rates(2 * m * k * n, t);
}

/**
 * The backend's plain matmul rate: the best of a square 512³ and the model's
 * own layer shapes, so the ratio below is against the fastest thing it can do.
 */
export async function matmulGflops(cfg: ModelConfig, rows: number, repeats = 10): Promise<{ gflops: number; cpuGflops: number; shapes: string }> {
  const shapes: [number, number, number][] = [
    [512, 512, 512],
    [rows, cfg.dModel, cfg.ffnDim],
    [rows, cfg.dModel, cfg.dModel],
  ];
  const measured: { gflops: number; cpuGflops: number }[] = [];
  for (const [m, k, n] of shapes) measured.push(await matmulRate(m, k, n, repeats));
  return {
    gflops: Math.max(...measured.map((r) => r.gflops)),
    cpuGflops: Math.max(...measured.map((r) => r.cpuGflops)),
    shapes: shapes.map(([m, k, n], i) => `${m}x${k}x${n}: ${measured[i].gflops.toFixed(1)}`).join(', '),
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
  cpuMsPerStep: number;
  tokensPerSec: number;
  gflops: number;
  cpuGflops: number;
}

export async function benchTrainStep(cfg: ModelConfig, batch: number, length: number, repeats = 5): Promise<TrainStepReport> {
  const model = initModel(cfg, 0);
  const opt = new AdamW(trainableVariables(model));
  const seq = randomBatch(cfg, batch, length, 1);
  const t = await timeAsync(() => opt.minimize(() => a3Loss(model, seq), 1e-3), repeats);
  opt.dispose();
  disposeModel(model);
  const flops = TRAIN_STEP_FACTOR * twoStreamForwardFlops(cfg, batch, length);
  return { msPerStep: t.wallMs, cpuMsPerStep: t.cpuMs, tokensPerSec: (batch * length) / (t.wallMs / 1000), ...rates(flops, t) };
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
