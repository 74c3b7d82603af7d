/**
 * Trainer checkpoints on disk: each in its own folder (weights as the shipped
 * format, optimizer moments as one binary, state as JSON), then a `latest`
 * pointer written last, so a kill at any moment leaves the previous one usable.
 */
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { A3Model } from '@/lib/a3/model';
import { loadModel } from '@/lib/a3/weights';
import { fileSource, saveModelToDir } from '@/lib/a3/weights-node';
import type { TrainerState } from '@/lib/train/trainer';

const KEEP = 2;

/** `keep`: how many recent checkpoints stay on disk (a committed run folder keeps 1: its size goes into git). */
export async function saveCheckpoint(dir: string, model: A3Model, state: TrainerState, meta: Record<string, unknown> = {}, keep = KEEP): Promise<string> {
  const name = `step-${String(state.step).padStart(6, '0')}`;
  const folder = join(dir, name);
  await saveModelToDir(model, folder, meta);
  const moments = state.optimizer.slots.flatMap((s) => [s.m, s.v]);
  const total = moments.reduce((n, a) => n + a.length, 0);
  const packed = new Float32Array(total);
  let at = 0;
  for (const a of moments) {
    packed.set(a, at);
    at += a.length;
  }
  await writeFile(join(folder, 'optimizer.bin'), new Uint8Array(packed.buffer));
  const slots = state.optimizer.slots.map((s) => ({ name: s.name, size: s.m.length }));
  await writeFile(join(folder, 'state.json'), JSON.stringify({ ...state, optimizer: { step: state.optimizer.step, slots } }));
  writeFileSync(join(dir, 'latest.tmp'), name);
  renameSync(join(dir, 'latest.tmp'), join(dir, 'latest'));
  prune(dir, name, keep);
  return folder;
}

/** Keeps `current` and the `keep - 1` most recently written others: step numbers restart at each adaptation stage, so names do not order them. */
function prune(dir: string, current: string, keep: number): void {
  const written = (f: string) => statSync(join(dir, f)).mtimeMs;
  const others = readdirSync(dir)
    .filter((f) => f.startsWith('step-') && f !== current)
    .sort((a, b) => written(b) - written(a) || b.localeCompare(a));
  for (const old of others.slice(Math.max(0, keep - 1))) rmSync(join(dir, old), { recursive: true, force: true });
}

export function latestCheckpoint(dir: string): string | null {
  const pointer = join(dir, 'latest');
  if (!existsSync(pointer)) return null;
  const folder = join(dir, readFileSync(pointer, 'utf8').trim());
  return existsSync(join(folder, 'state.json')) ? folder : null;
}

export async function loadCheckpoint(folder: string): Promise<{ model: A3Model; state: TrainerState }> {
  // Check the optimizer state before building the model, so a torn checkpoint leaks nothing.
  const state = await loadTrainerState(folder);
  const { model } = await loadModel(fileSource(folder));
  return { model, state };
}

async function loadTrainerState(folder: string): Promise<TrainerState> {
  const raw = JSON.parse(await readFile(join(folder, 'state.json'), 'utf8')) as Omit<TrainerState, 'optimizer'> & {
    optimizer: { step: number; slots: { name: string; size: number }[] };
  };
  const buf = await readFile(join(folder, 'optimizer.bin'));
  if (buf.byteLength % 4 !== 0) throw new Error(`${folder}/optimizer.bin is torn: ${buf.byteLength} bytes is not a whole number of float32 values`);
  const packed = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  let at = 0;
  const slots = raw.optimizer.slots.map((s) => {
    const m = packed.slice(at, at + s.size);
    const v = packed.slice(at + s.size, at + 2 * s.size);
    at += 2 * s.size;
    return { name: s.name, m, v };
  });
  if (at !== packed.length) throw new Error(`${folder}/optimizer.bin has ${packed.length} values, state.json describes ${at}`);
  return { ...raw, optimizer: { step: raw.optimizer.step, slots } };
}
