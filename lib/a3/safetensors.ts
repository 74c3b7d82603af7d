/**
 * Export / import of a model as Hugging Face files: `model.safetensors` (float32, HF LLaMA tensor names,
 * matrices [out, in]), `config.json` (LlamaConfig fields plus an `a3` block) and `tokenizer.json` in HF's
 * `tokenizers` format (hf-tokenizer.ts). The content stream is a plain LLaMA (RMSNorm, rotate-half RoPE,
 * SwiGLU), so `LlamaForCausalLM` can load these files as a left-to-right model; `query_embed` (A3's vector w)
 * is the one extra tensor.
 *
 * safetensors (https://github.com/huggingface/safetensors): 8-byte little-endian header length N, N bytes
 * of UTF-8 JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}`,
 * then the raw little-endian data; offsets are relative to the data section, which they cover exactly
 * (no holes, no overlaps). Decoding checks all of that and says what is wrong.
 *
 * Pure TS + tfjs: no DOM, runs in Node, a Worker and the page.
 *
 * Longer than most: the safetensors codec, the HF config mapping and the export/import that use them
 * form one file format, kept together so what is written and what is read back stay in step.
 */
import { headDim, validateConfig, type ModelConfig } from './config';
import type { ExportFiles } from './export-bundle';
import { CONFIG_FILE, SAFETENSORS_FILE, TOKENIZER_FILE } from './model-files';
import { hfTokenizerFile } from './hf-tokenizer';
import { createModel, namedParams, parameterSpecs, type A3Model } from './model';
import { SPECIAL_TOKENS, type Tokenizer } from './tokenizer';
import { exportTensor, transposeHost } from './weights';

// The file names live in the tf-free model-files.ts (the page needs them without tfjs).
export { CONFIG_FILE, EXPORT_FILES, SAFETENSORS_FILE, TOKENIZER_FILE } from './model-files';

/** The `a3` block's format tag and version: what an importer checks before anything else. */
export const A3_FORMAT = 'a3-studio';
export const A3_VERSION = 1;

/** The safetensors spec caps the header at 100 MB; a larger claim means a corrupt or foreign file. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;
/** Every dtype the format defines: a known-but-unsupported one gets a different message than garbage. */
const KNOWN_DTYPES = new Set(['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64']);

export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsContents {
  tensors: Map<string, HostTensor>;
  metadata: Record<string, string>;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

// ---------------------------------------------------------------------------
// The container format

/** One safetensors file (all F32), tensors in the given order, header padded to 8 bytes as the reference writer does. */
export function encodeSafetensors(tensors: Iterable<[string, HostTensor]>, metadata?: Record<string, string>): ArrayBuffer {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  const list = [...tensors];
  let offset = 0;
  for (const [name, t] of list) {
    if (name === '__metadata__') throw new Error('a tensor cannot be named __metadata__');
    if (t.data.length !== sizeOf(t.shape)) throw new Error(`tensor ${name}: ${t.data.length} values for shape [${t.shape}]`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = Math.ceil(json.length / 8) * 8;
  const out = new ArrayBuffer(8 + headerLen + offset);
  const view = new DataView(out);
  view.setUint32(0, headerLen, true);
  view.setUint32(4, 0, true);
  const bytes = new Uint8Array(out);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, 8 + headerLen); // spaces: still valid JSON
  const dataStart = 8 + headerLen;
  for (const [name, t] of list) {
    const [begin] = (header[name] as { data_offsets: [number, number] }).data_offsets;
    writeF32(view, dataStart + begin, t.data);
  }
  return out;
}

function writeF32(view: DataView, at: number, data: Float32Array): void {
  if (LITTLE_ENDIAN_HOST) new Uint8Array(view.buffer, at, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  else for (let i = 0; i < data.length; i++) view.setFloat32(at + 4 * i, data[i], true);
}

function readF32(buf: ArrayBuffer, at: number, count: number): Float32Array {
  if (LITTLE_ENDIAN_HOST) return new Float32Array(buf.slice(at, at + 4 * count)); // a copy: aligned, and independent of the file
  const view = new DataView(buf);
  return Float32Array.from({ length: count }, (_, i) => view.getFloat32(at + 4 * i, true));
}

interface HeaderEntry {
  name: string;
  shape: number[];
  begin: number;
  end: number;
}

/** Parses and checks a safetensors file; every problem names the file and what is wrong. */
export function decodeSafetensors(buf: ArrayBuffer, where = SAFETENSORS_FILE): SafetensorsContents {
  if (buf.byteLength < 8) throw new Error(`${where} is truncated: ${buf.byteLength} bytes, not even the 8-byte header length`);
  const view = new DataView(buf);
  const headerLen = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerLen > MAX_HEADER_BYTES) throw new Error(`${where} is not a safetensors file: it claims a ${headerLen}-byte header (the format allows 100 MB)`);
  if (8 + headerLen > buf.byteLength) throw new Error(`${where} is truncated: the header needs ${headerLen} bytes but only ${buf.byteLength - 8} follow`);
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(buf, 8, headerLen)));
  } catch (e) {
    throw new Error(`${where}: the header is not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${where}: the header must be a JSON object`);
  const dataLen = buf.byteLength - 8 - headerLen;
  const { __metadata__: meta, ...rest } = raw as Record<string, unknown>;
  const metadata = parseMetadata(meta, where);
  const entries = Object.entries(rest).map(([name, e]) => headerEntry(name, e, dataLen, where));
  checkCoverage(entries, dataLen, where);
  const tensors = new Map<string, HostTensor>();
  for (const e of entries) tensors.set(e.name, { shape: e.shape, data: readF32(buf, 8 + headerLen + e.begin, sizeOf(e.shape)) });
  return { tensors, metadata };
}

function parseMetadata(meta: unknown, where: string): Record<string, string> {
  if (meta === undefined) return {};
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta) || !Object.values(meta).every((v) => typeof v === 'string')) {
    throw new Error(`${where}: __metadata__ must map strings to strings`);
  }
  return meta as Record<string, string>;
}

function headerEntry(name: string, e: unknown, dataLen: number, where: string): HeaderEntry {
  const label = `${where}: tensor ${name}`;
  if (typeof e !== 'object' || e === null) throw new Error(`${label} has no dtype/shape/data_offsets entry`);
  const { dtype, shape, data_offsets: offsets } = e as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof dtype !== 'string' || !KNOWN_DTYPES.has(dtype)) throw new Error(`${label} has an unknown dtype ${JSON.stringify(dtype)}`);
  if (dtype !== 'F32') throw new Error(`${label} is ${dtype}; only F32 is supported here (convert the weights to float32 first)`);
  if (!Array.isArray(shape) || !shape.every((s) => Number.isSafeInteger(s) && s >= 0)) throw new Error(`${label} has an invalid shape ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o))) {
    throw new Error(`${label} has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin < 0 || end < begin || end > dataLen) throw new Error(`${label}: data_offsets [${begin}, ${end}] are out of range (the data section has ${dataLen} bytes)`);
  const need = 4 * sizeOf(shape as number[]);
  if (end - begin !== need) throw new Error(`${label}: shape [${shape}] needs ${need} bytes but data_offsets span ${end - begin}`);
  return { name, shape: shape as number[], begin, end };
}

/** The tensors must tile the data section: no overlap, no hole, nothing after the last one. */
function checkCoverage(entries: HeaderEntry[], dataLen: number, where: string): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let prev: HeaderEntry | null = null;
  for (const e of sorted) {
    // Overlap needs a tensor before this one (at > 0 only after one), so prev is set whenever this throws.
    if (e.begin < at) throw new Error(`${where}: tensors ${prev?.name} and ${e.name} overlap (bytes ${e.begin}..${Math.min(at, e.end)})`);
    if (e.begin > at) throw new Error(`${where}: bytes ${at}..${e.begin} of the data are not covered by any tensor`);
    at = e.end;
    prev = e;
  }
  if (at !== dataLen) throw new Error(`${where}: ${dataLen - at} bytes after the last tensor are not covered by any tensor`);
}

// ---------------------------------------------------------------------------
// config.json

/** The config.json we write: LlamaConfig's fields (what HF tools read) plus the `a3` block (what we read). */
export interface HfLlamaConfig {
  architectures: string[];
  model_type: 'llama';
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim: number;
  hidden_act: 'silu';
  vocab_size: number;
  max_position_embeddings: number;
  rms_norm_eps: number;
  rope_theta: number;
  rope_scaling: null;
  attention_bias: false;
  mlp_bias: false;
  tie_word_embeddings: boolean;
  torch_dtype: 'float32';
  bos_token_id: number;
  eos_token_id: number;
  pad_token_id: number;
  a3: {
    format: typeof A3_FORMAT;
    version: typeof A3_VERSION;
    /** The tensor holding the query stream's start vector w ([hidden_size]). */
    query_embed: 'query_embed';
    note: string;
  };
}

export function hfConfig(config: ModelConfig): HfLlamaConfig {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: config.dModel,
    intermediate_size: config.ffnDim,
    num_hidden_layers: config.nLayers,
    num_attention_heads: config.nHeads,
    num_key_value_heads: config.nHeads,
    head_dim: headDim(config),
    hidden_act: 'silu',
    vocab_size: config.vocabSize,
    max_position_embeddings: config.maxLen,
    rms_norm_eps: config.normEps,
    rope_theta: config.ropeBase,
    rope_scaling: null,
    attention_bias: false,
    mlp_bias: false,
    tie_word_embeddings: config.tieEmbeddings,
    torch_dtype: 'float32',
    bos_token_id: SPECIAL_TOKENS.bos,
    eos_token_id: SPECIAL_TOKENS.eos,
    pad_token_id: SPECIAL_TOKENS.pad,
    a3: {
      format: A3_FORMAT,
      version: A3_VERSION,
      query_embed: 'query_embed',
      note: 'A3 any-order LM (A3 Studio): a LLaMA decoder whose query stream starts from query_embed; LlamaForCausalLM loads the content stream alone (left to right).',
    },
  };
}

/** Reads config.json back into a ModelConfig; another architecture or an unsupported LLaMA variant is refused by name. */
export function configFromHf(text: string, where = CONFIG_FILE): ModelConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where} is not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${where} must be a JSON object`);
  const c = raw as Record<string, unknown>;
  if (c.model_type !== 'llama') {
    const arch = Array.isArray(c.architectures) ? ` (${c.architectures.join(', ')})` : '';
    throw new Error(`${where} describes a ${JSON.stringify(c.model_type ?? 'unknown')} model${arch}, not an A3 model: only A3 Studio's LLaMA-style two-stream models can be imported`);
  }
  const a3 = c.a3 as { format?: unknown; version?: unknown } | undefined;
  if (typeof a3 !== 'object' || a3 === null) {
    throw new Error(`${where} is a plain LLaMA config without the "a3" block: that model has no query stream (query_embed), so it cannot infill`);
  }
  if (a3.format !== A3_FORMAT || a3.version !== A3_VERSION) {
    throw new Error(`${where}: a3 block is ${JSON.stringify(a3.format)} version ${JSON.stringify(a3.version)}, expected "${A3_FORMAT}" version ${A3_VERSION}`);
  }
  const num = (key: string): number => {
    if (typeof c[key] !== 'number') throw new Error(`${where}: ${key} must be a number, got ${JSON.stringify(c[key])}`);
    return c[key] as number;
  };
  const unsupported = (what: string) => new Error(`${where}: ${what} is not supported by A3 Studio's model`);
  if (c.num_key_value_heads !== undefined && c.num_key_value_heads !== c.num_attention_heads) {
    throw unsupported(`grouped-query attention (num_key_value_heads ${String(c.num_key_value_heads)} ≠ num_attention_heads ${String(c.num_attention_heads)})`);
  }
  if (c.hidden_act !== undefined && c.hidden_act !== 'silu') throw unsupported(`hidden_act ${JSON.stringify(c.hidden_act)}`);
  if (c.rope_scaling != null) throw unsupported('rope_scaling');
  if (c.attention_bias === true || c.mlp_bias === true) throw unsupported('a bias in attention or MLP');
  if (typeof c.tie_word_embeddings !== 'boolean') throw new Error(`${where}: tie_word_embeddings must be true or false`);
  const config: ModelConfig = {
    vocabSize: num('vocab_size'),
    dModel: num('hidden_size'),
    nLayers: num('num_hidden_layers'),
    nHeads: num('num_attention_heads'),
    ffnDim: num('intermediate_size'),
    maxLen: num('max_position_embeddings'),
    ropeBase: num('rope_theta'),
    normEps: num('rms_norm_eps'),
    tieEmbeddings: c.tie_word_embeddings,
  };
  try {
    validateConfig(config);
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`, { cause: e });
  }
  if (c.head_dim !== undefined && c.head_dim !== headDim(config)) throw unsupported(`head_dim ${String(c.head_dim)} ≠ hidden_size / num_attention_heads`);
  return config;
}

// ---------------------------------------------------------------------------
// Model <-> files

/** model.safetensors + config.json of a model (the caller adds tokenizer.json, which it owns). */
export async function exportSafetensors(model: A3Model): Promise<{ [SAFETENSORS_FILE]: ArrayBuffer; [CONFIG_FILE]: string }> {
  const tensors: [string, HostTensor][] = [];
  for (const p of namedParams(model)) {
    const shape = p.transposed ? [...p.variable.shape].reverse() : [...p.variable.shape];
    tensors.push([p.name, { shape, data: await exportTensor(p.variable, p.transposed) }]);
  }
  // format "pt": transformers refuses safetensors files without it.
  const weights = encodeSafetensors(tensors, { format: 'pt', producer: `${A3_FORMAT} v${A3_VERSION}` });
  return { [SAFETENSORS_FILE]: weights, [CONFIG_FILE]: JSON.stringify(hfConfig(model.config), null, 2) };
}

/** The whole export: model.safetensors, config.json and tokenizer.json in HF's `tokenizers` format. */
export async function exportHfFiles(model: A3Model, tokenizer: Tokenizer): Promise<ExportFiles> {
  if (tokenizer.vocabSize !== model.config.vocabSize) {
    throw new Error(`the tokenizer has ${tokenizer.vocabSize} tokens, the model ${model.config.vocabSize}: they do not belong together`);
  }
  const tokenizerText = hfTokenizerFile(tokenizer); // first: it may refuse, and then no weights were read
  return { ...(await exportSafetensors(model)), [TOKENIZER_FILE]: tokenizerText };
}

/**
 * A model from model.safetensors + config.json. Everything is checked on the host before the first tensor
 * is made, so a bad file leaves no tensor behind.
 */
export function importSafetensors(weights: ArrayBuffer, configText: string): A3Model {
  const config = configFromHf(configText);
  const { tensors } = decodeSafetensors(weights);
  const specs = parameterSpecs(config);
  const expected = new Set(specs.map((s) => s.name));
  const missing = specs.filter((s) => !tensors.has(s.name)).map((s) => s.name);
  const extra = [...tensors.keys()].filter((n) => !expected.has(n));
  const few = (names: string[]) => names.slice(0, 3).join(', ') + (names.length > 3 ? `, … (${names.length} in all)` : '');
  if (extra.length) throw new Error(`${SAFETENSORS_FILE} holds tensors that are not part of this architecture: ${few(extra)}. Is it another kind of model?`);
  if (missing.length) throw new Error(`${SAFETENSORS_FILE} lacks tensors that ${CONFIG_FILE} needs: ${few(missing)}`);
  const values = new Map<string, Float32Array>();
  for (const s of specs) {
    const t = tensors.get(s.name);
    if (!t) throw new Error(`${SAFETENSORS_FILE} lacks tensor ${s.name}`); // already caught by \`missing\` above
    const hfShape = s.transposed ? [...s.shape].reverse() : s.shape;
    if (t.shape.join(',') !== hfShape.join(',')) throw new Error(`${SAFETENSORS_FILE}: tensor ${s.name} has shape [${t.shape}] but ${CONFIG_FILE} needs [${hfShape}]`);
    const bad = t.data.findIndex((v) => !Number.isFinite(v));
    if (bad !== -1) throw new Error(`${SAFETENSORS_FILE}: tensor ${s.name} holds ${t.data[bad]} at index ${bad}: the weights are corrupt`);
    values.set(s.name, s.transposed ? transposeHost(t.data, hfShape[0], hfShape[1]) : t.data);
  }
  return createModel(config, (name) => {
    const v = values.get(name);
    if (!v) throw new Error(`${SAFETENSORS_FILE}: no values for ${name}`);
    return v;
  });
}
