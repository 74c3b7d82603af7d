/**
 * Model files: a JSON manifest plus float32 binary shards, tensor names as in
 * Hugging Face LLaMA (`model.layers.{i}.self_attn.q_proj.weight`, ... with
 * matrices [out, in]) plus `query_embed` for A3's vector w.
 *
 * Where the bytes come from is a `WeightSource`: a URL (the page), a folder
 * (Node, see weights-node.ts) or in-memory buffers (uploads, IndexedDB).
 */
import * as tf from '@tensorflow/tfjs';
import { validateConfig, type ModelConfig } from './config';
import { createModel, namedParams, parameterSpecs, type A3Model } from './model';
import { MANIFEST_FILE } from './model-files';

export { MANIFEST_FILE };
export const WEIGHTS_FORMAT = 'a3-studio-weights';
const SHARD_BYTES = 4 * 1024 * 1024;

export interface TensorEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
  shard: string;
  /** Byte offset inside the shard. */
  offset: number;
}

export interface WeightsManifest {
  format: typeof WEIGHTS_FORMAT;
  version: 1;
  config: ModelConfig;
  tensors: TensorEntry[];
  /** Free-form provenance (training run, data hash ...). */
  meta?: Record<string, unknown>;
}

export interface WeightSource {
  /** Human-readable origin for error messages. */
  describe: string;
  readText(file: string): Promise<string>;
  readBinary(file: string): Promise<ArrayBuffer>;
}

export function urlSource(baseUrl: string, fetchImpl: typeof fetch = fetch): WeightSource {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const get = async (file: string) => {
    const res = await fetchImpl(base + file);
    if (!res.ok) throw new Error(`cannot fetch ${base + file}: HTTP ${res.status}`);
    return res;
  };
  return {
    describe: base,
    readText: async (file) => (await get(file)).text(),
    readBinary: async (file) => (await get(file)).arrayBuffer(),
  };
}

export function bufferSource(files: Record<string, ArrayBuffer | string>, describe = 'in-memory files'): WeightSource {
  const find = (file: string) => {
    const v = files[file];
    if (v === undefined) throw new Error(`${describe}: file ${file} is missing`);
    return v;
  };
  return {
    describe,
    readText: async (file) => {
      const v = find(file);
      return typeof v === 'string' ? v : new TextDecoder().decode(v);
    },
    readBinary: async (file) => {
      const v = find(file);
      return typeof v === 'string' ? (new TextEncoder().encode(v).buffer as ArrayBuffer) : v;
    },
  };
}

/** Weights in the HF layout ([out, in] matrices), read from the model's variables (asynchronously: WebGPU-safe). */
export async function exportTensor(variable: tf.Variable, transposed: boolean): Promise<Float32Array> {
  const t = transposed ? tf.transpose(variable) : variable;
  const data = (await t.data()) as Float32Array;
  if (transposed) t.dispose();
  return data;
}

/** Manifest + shard buffers of a model. */
export async function serializeModel(model: A3Model, meta?: Record<string, unknown>): Promise<{ manifest: WeightsManifest; shards: Record<string, ArrayBuffer> }> {
  const tensors: TensorEntry[] = [];
  const shardParts: Float32Array[][] = [[]];
  let shardBytes = 0;
  for (const p of namedParams(model)) {
    const data = await exportTensor(p.variable, p.transposed);
    if (shardBytes > 0 && shardBytes + data.byteLength > SHARD_BYTES) {
      shardParts.push([]);
      shardBytes = 0;
    }
    const shape = p.transposed ? [...p.variable.shape].reverse() : [...p.variable.shape];
    tensors.push({ name: p.name, shape, dtype: 'float32', shard: shardName(shardParts.length - 1), offset: shardBytes });
    shardParts[shardParts.length - 1].push(data);
    shardBytes += data.byteLength;
  }
  const shards: Record<string, ArrayBuffer> = {};
  shardParts.forEach((parts, i) => {
    const total = parts.reduce((s, p) => s + p.length, 0);
    const buf = new Float32Array(total);
    let at = 0;
    for (const p of parts) {
      buf.set(p, at);
      at += p.length;
    }
    shards[shardName(i)] = buf.buffer;
  });
  return { manifest: { format: WEIGHTS_FORMAT, version: 1, config: model.config, tensors, meta }, shards };
}

function shardName(i: number): string {
  return `weights-${String(i).padStart(3, '0')}.bin`;
}

/** Parse and check a manifest; every problem names what is wrong. */
export function parseManifest(text: string, where = 'manifest'): WeightsManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (typeof raw !== 'object' || raw === null) throw new Error(`${where}: expected a JSON object`);
  const m = raw as Partial<WeightsManifest>;
  if (m.format !== WEIGHTS_FORMAT) throw new Error(`${where}: format is ${JSON.stringify(m.format)}, expected "${WEIGHTS_FORMAT}"`);
  if (m.version !== 1) throw new Error(`${where}: unsupported version ${JSON.stringify(m.version)}`);
  if (typeof m.config !== 'object' || m.config === null) throw new Error(`${where}: missing "config"`);
  try {
    validateConfig(m.config);
  } catch (e) {
    throw new Error(`${where}: bad config: ${(e as Error).message}`, { cause: e });
  }
  if (!Array.isArray(m.tensors)) throw new Error(`${where}: missing "tensors" list`);
  m.tensors.forEach((t, i) => {
    const label = typeof t?.name === 'string' ? `tensor ${t.name}` : `tensor #${i}`;
    if (typeof t !== 'object' || t === null || typeof t.name !== 'string') throw new Error(`${where}: ${label} has no name`);
    if (t.dtype !== 'float32') throw new Error(`${where}: ${label} has dtype ${JSON.stringify(t.dtype)}, only float32 is supported`);
    if (!Array.isArray(t.shape) || !t.shape.every((s) => Number.isInteger(s) && s >= 0)) {
      throw new Error(`${where}: ${label} has an invalid shape ${JSON.stringify(t.shape)}`);
    }
    // Shard names are plain file names: no folders, so a manifest cannot reach outside its own folder.
    if (typeof t.shard !== 'string' || !/^[\w.-]+$/.test(t.shard) || t.shard.startsWith('.') || !Number.isInteger(t.offset) || t.offset < 0 || t.offset % 4 !== 0) {
      throw new Error(`${where}: ${label} has an invalid shard/offset`);
    }
  });
  const seen = new Set<string>();
  for (const t of m.tensors) {
    if (seen.has(t.name)) throw new Error(`${where}: tensor ${t.name} is listed twice`);
    seen.add(t.name);
  }
  return m as WeightsManifest;
}

export interface LoadProgress {
  loadedBytes: number;
  totalShards: number;
  loadedShards: number;
}

/** Load a model; throws a clear error naming the file or tensor at fault. */
export async function loadModel(source: WeightSource, onProgress?: (p: LoadProgress) => void): Promise<{ model: A3Model; manifest: WeightsManifest }> {
  const where = source.describe.endsWith('/') ? source.describe + MANIFEST_FILE : `${source.describe}: ${MANIFEST_FILE}`;
  const manifest = parseManifest(await source.readText(MANIFEST_FILE), where);
  const shardNames = [...new Set(manifest.tensors.map((t) => t.shard))];
  const shards = new Map<string, ArrayBuffer>();
  let loadedBytes = 0;
  for (const name of shardNames) {
    let buf: ArrayBuffer;
    try {
      buf = await source.readBinary(name);
    } catch (e) {
      throw new Error(`shard ${name} (needed by ${manifest.tensors.find((t) => t.shard === name)?.name}) could not be read: ${(e as Error).message}`, { cause: e });
    }
    shards.set(name, buf);
    loadedBytes += buf.byteLength;
    onProgress?.({ loadedBytes, totalShards: shardNames.length, loadedShards: shards.size });
  }
  return { model: modelFromShards(manifest, shards), manifest };
}

function modelFromShards(manifest: WeightsManifest, shards: Map<string, ArrayBuffer>): A3Model {
  const byName = new Map(manifest.tensors.map((t) => [t.name, t]));
  const specs = parameterSpecs(manifest.config);
  const expected = new Set(specs.map((s) => s.name));
  for (const t of manifest.tensors) {
    if (!expected.has(t.name)) throw new Error(`tensor ${t.name} is not part of a model with this config`);
  }
  const transposedNames = new Set(specs.filter((s) => s.transposed).map((s) => s.name));
  return createModel(manifest.config, (name, shape) => {
    const entry = byName.get(name);
    if (!entry) throw new Error(`tensor ${name} is missing from the manifest`);
    const hfShape = transposedNames.has(name) ? [...shape].reverse() : shape;
    if (entry.shape.join(',') !== hfShape.join(',')) {
      throw new Error(`tensor ${name} has shape [${entry.shape}] but the config needs [${hfShape}]`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    const buf = shards.get(entry.shard);
    if (!buf) throw new Error(`tensor ${name} lives in shard ${entry.shard}, which was not read`);
    if (entry.offset + size * 4 > buf.byteLength) {
      throw new Error(`tensor ${name} needs bytes ${entry.offset}..${entry.offset + size * 4} but shard ${entry.shard} has ${buf.byteLength}`);
    }
    const data = new Float32Array(buf.slice(entry.offset, entry.offset + size * 4));
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad !== -1) throw new Error(`tensor ${name} holds a non-finite value at index ${bad}`);
    return transposedNames.has(name) ? transposeHost(data, hfShape[0], hfShape[1]) : data;
  });
}

/** [rows, cols] -> [cols, rows], on the host: load time only. */
export function transposeHost(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}
