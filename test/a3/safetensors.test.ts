/**
 * Export / import as Hugging Face files (lib/a3/safetensors.ts): bit-exact round trip, HF LLaMA names and
 * [out, in] matrices, the container format byte by byte, one clear error per kind of malformed input,
 * another architecture refused, and no tensor left behind (cpu backend).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfig } from '@/lib/a3/config';
import { disposeModel, forward, namedParams, parameterSpecs, type A3Model } from '@/lib/a3/model';
import {
  configFromHf,
  decodeSafetensors,
  encodeSafetensors,
  exportHfFiles,
  exportSafetensors,
  EXPORT_FILES,
  hfConfig,
  importSafetensors,
  type HostTensor,
} from '@/lib/a3/safetensors';
import { parseTokenizerJSON } from '@/lib/a3/hf-tokenizer';
import { Tokenizer } from '@/lib/a3/tokenizer';
import { randomModel, tiny, useCpu } from '../helpers/tf';

// Distinct V, d and ffn so [out, in] vs [in, out] cannot be confused.
const odd: ModelConfig = { ...tiny, vocabSize: 11, dModel: 8, nHeads: 2, ffnDim: 24, nLayers: 2, normEps: 1e-6, ropeBase: 5000.5 };
let model: A3Model;
let tied: A3Model;
let weights: ArrayBuffer;
let config: string;

beforeAll(async () => {
  await useCpu();
  model = randomModel(odd, 3, 0.3);
  tied = randomModel({ ...odd, tieEmbeddings: true }, 4, 0.3);
  const files = await exportSafetensors(model);
  weights = files['model.safetensors'];
  config = files['config.json'];
});

afterAll(() => {
  disposeModel(model);
  disposeModel(tied);
});

/** Float bits, so -0 vs 0 and NaN payloads would count as differences. */
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

async function expectBitExact(a: A3Model, b: A3Model) {
  expect(b.config).toEqual(a.config);
  const pa = namedParams(a);
  const pb = namedParams(b);
  expect(pb.map((p) => p.name)).toEqual(pa.map((p) => p.name));
  for (let i = 0; i < pa.length; i++) {
    expect(pb[i].variable.shape).toEqual(pa[i].variable.shape);
    expect(bits((await pb[i].variable.data()) as Float32Array)).toEqual(bits((await pa[i].variable.data()) as Float32Array));
  }
  const seq = { batch: 1, tokens: Int32Array.from([1, 5, 10, 3, 7]), groupIds: Int32Array.from([0, 1, 1, 2, 3]) };
  const logits = (m: A3Model) => tf.tidy(() => forward(m, seq).logits);
  const [la, lb] = [logits(a), logits(b)];
  expect(bits((await lb.data()) as Float32Array)).toEqual(bits((await la.data()) as Float32Array));
  tf.dispose([la, lb]);
}

/** A file with a hand-written header: for inputs encodeSafetensors would never produce. */
function rawFile(header: unknown, data: Uint8Array | number = 0, headerText?: string): ArrayBuffer {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out.buffer;
}

/** The exported tensors, decoded, as a mutable list (to build altered files). */
function exportedTensors(): [string, HostTensor][] {
  return [...decodeSafetensors(weights).tensors.entries()];
}

const importError = (w: ArrayBuffer, c = config) => {
  try {
    disposeModel(importSafetensors(w, c));
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the import succeeded');
};

describe('safetensors export / import', () => {
  it('round-trips bit-exactly, untied and tied, with the config exactly', async () => {
    const back = importSafetensors(weights, config);
    await expectBitExact(model, back);
    disposeModel(back);
    const t = await exportSafetensors(tied);
    expect(decodeSafetensors(t['model.safetensors']).tensors.has('lm_head.weight')).toBe(false);
    const tiedBack = importSafetensors(t['model.safetensors'], t['config.json']);
    await expectBitExact(tied, tiedBack);
    disposeModel(tiedBack);
    expect(configFromHf(JSON.stringify(hfConfig(odd)))).toEqual(odd);
  });

  it('writes HF LLaMA names, [out, in] matrices and a LlamaConfig', async () => {
    const { tensors, metadata } = decodeSafetensors(weights);
    expect([...tensors.keys()]).toEqual(parameterSpecs(odd).map((s) => s.name));
    const shape = (n: string) => tensors.get(n)!.shape;
    const { dModel: d, ffnDim: f, vocabSize: v } = odd;
    expect(shape('model.embed_tokens.weight')).toEqual([v, d]);
    expect(shape('model.layers.0.self_attn.q_proj.weight')).toEqual([d, d]);
    expect(shape('model.layers.1.mlp.gate_proj.weight')).toEqual([f, d]);
    expect(shape('model.layers.1.mlp.up_proj.weight')).toEqual([f, d]);
    expect(shape('model.layers.1.mlp.down_proj.weight')).toEqual([d, f]);
    expect(shape('lm_head.weight')).toEqual([v, d]);
    expect(shape('query_embed')).toEqual([d]);
    // HF's gate_proj[out][in] is our gate[in][out].
    const ours = (await model.layers[1].gate.array()) as number[][];
    const hf = tensors.get('model.layers.1.mlp.gate_proj.weight')!.data;
    for (let o = 0; o < f; o++) for (let i = 0; i < d; i++) expect(hf[o * d + i]).toBe(Math.fround(ours[i][o]));
    expect(metadata.format).toBe('pt');
    const c = JSON.parse(config);
    expect(c).toMatchObject({
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      hidden_size: d,
      intermediate_size: f,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      num_key_value_heads: 2,
      vocab_size: v,
      max_position_embeddings: odd.maxLen,
      rms_norm_eps: 1e-6,
      rope_theta: 5000.5,
      tie_word_embeddings: false,
      a3: { format: 'a3-studio', version: 1, query_embed: 'query_embed' },
    });
  });

  it('lays out the container as the spec says: LE length, padded JSON header, contiguous LE data', () => {
    const file = encodeSafetensors([['b', { shape: [2], data: Float32Array.from([1.5, -2]) }], ['a', { shape: [1, 1], data: Float32Array.from([3]) }]], { k: 'v' });
    const view = new DataView(file);
    const n = view.getUint32(0, true);
    expect(view.getUint32(4, true)).toBe(0);
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(file, 8, n)));
    expect(header).toEqual({ __metadata__: { k: 'v' }, b: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, a: { dtype: 'F32', shape: [1, 1], data_offsets: [8, 12] } });
    expect(file.byteLength).toBe(8 + n + 12);
    expect([0, 1, 2].map((i) => view.getFloat32(8 + n + 4 * i, true))).toEqual([1.5, -2, 3]);
    const back = decodeSafetensors(file);
    expect(back.metadata).toEqual({ k: 'v' });
    expect(Array.from(back.tensors.get('a')!.data)).toEqual([3]);
  });

  it('says what is wrong with a malformed file', () => {
    const f32 = (n: number) => new Uint8Array(4 * n);
    const cases: [string, ArrayBuffer, RegExp][] = [
      ['shorter than the length field', new ArrayBuffer(5), /truncated: 5 bytes/],
      ['header cut off', weights.slice(0, 100), /truncated: the header needs \d+ bytes but only 92 follow/],
      ['data cut off', weights.slice(0, weights.byteLength - 4), /out of range/],
      ['absurd header length', (() => { const b = new ArrayBuffer(16); new DataView(b).setUint32(4, 1, true); return b; })(), /not a safetensors file/],
      ['bad JSON', rawFile(null, 0, '{"a": [1, 2'), /header is not valid JSON/],
      ['header is an array', rawFile([1, 2]), /must be a JSON object/],
      ['offsets out of range', rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32(1)), /data_offsets \[0, 8\] are out of range \(the data section has 4 bytes\)/],
      ['overlap', rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32(3)), /tensors a and b overlap/],
      ['hole', rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, f32(3)), /bytes 4\.\.8 .* not covered/],
      ['trailing bytes', rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2)), /4 bytes after the last tensor/],
      ['unknown dtype', rawFile({ a: { dtype: 'Q4', shape: [1], data_offsets: [0, 4] } }, f32(1)), /unknown dtype "Q4"/],
      ['unsupported dtype', rawFile({ a: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, f32(1)), /F16; only F32 is supported/],
      ['shape vs offsets', rawFile({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32(2)), /shape \[3\] needs 12 bytes but data_offsets span 8/],
      ['bad shape', rawFile({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)), /invalid shape/],
      ['bad metadata', rawFile({ __metadata__: { n: 1 } }), /__metadata__ must map strings to strings/],
    ];
    for (const [what, file, message] of cases) expect(() => decodeSafetensors(file), what).toThrow(message);
  });

  it('checks the tensors against config.json: shapes, missing, extra, NaN', () => {
    const list = exportedTensors();
    const withTensors = (l: [string, HostTensor][]) => encodeSafetensors(l, { format: 'pt' });
    // Wrong shape: a model with a different MLP width under this config.
    const wide = list.map(([n, t]): [string, HostTensor] => (n === 'model.layers.0.mlp.up_proj.weight' ? [n, { shape: [t.shape[0] + 1, t.shape[1]], data: new Float32Array((t.shape[0] + 1) * t.shape[1]) }] : [n, t]));
    expect(importError(withTensors(wide))).toMatch(/tensor model\.layers\.0\.mlp\.up_proj\.weight has shape \[25,8\] but config\.json needs \[24,8\]/);
    // Transposed by mistake ([in, out] as stored in tfjs): refused, not silently loaded.
    const flipped = list.map(([n, t]): [string, HostTensor] => (n === 'model.layers.0.mlp.up_proj.weight' ? [n, { shape: [...t.shape].reverse(), data: t.data }] : [n, t]));
    expect(importError(withTensors(flipped))).toMatch(/has shape \[8,24\] but config\.json needs \[24,8\]/);
    expect(importError(withTensors(list.filter(([n]) => n !== 'query_embed')))).toMatch(/lacks tensors that config\.json needs: query_embed/);
    expect(importError(withTensors([...list, ['model.layers.2.input_layernorm.weight', { shape: [8], data: new Float32Array(8) }]]))).toMatch(/not part of this architecture: model\.layers\.2\.input_layernorm\.weight/);
    const nan = list.map(([n, t]): [string, HostTensor] => {
      if (n !== 'model.norm.weight') return [n, t];
      const data = Float32Array.from(t.data);
      data[3] = NaN;
      return [n, { shape: t.shape, data }];
    });
    expect(importError(withTensors(nan))).toMatch(/model\.norm\.weight holds NaN at index 3/);
    // A tied config with the untied file: lm_head.weight is extra.
    expect(importError(weights, JSON.stringify(hfConfig({ ...odd, tieEmbeddings: true })))).toMatch(/not part of this architecture: lm_head\.weight/);
  });

  it('refuses another architecture with a clear message', () => {
    const gpt2 = JSON.stringify({ architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', n_embd: 768, n_layer: 12, vocab_size: 50257 });
    expect(importError(weights, gpt2)).toMatch(/describes a "gpt2" model \(GPT2LMHeadModel\), not an A3 model/);
    const { a3: _a3, ...plainLlama } = hfConfig(odd);
    expect(importError(weights, JSON.stringify(plainLlama))).toMatch(/plain LLaMA config without the "a3" block/);
    expect(importError(weights, JSON.stringify({ ...hfConfig(odd), num_key_value_heads: 1 }))).toMatch(/grouped-query attention .* not supported/);
    expect(importError(weights, JSON.stringify({ ...hfConfig(odd), hidden_act: 'gelu' }))).toMatch(/hidden_act "gelu" is not supported/);
    expect(importError(weights, JSON.stringify({ ...hfConfig(odd), a3: { format: 'a3-studio', version: 2 } }))).toMatch(/expected "a3-studio" version 1/);
    expect(importError(weights, JSON.stringify({ ...hfConfig(odd), hidden_size: 7 }))).toMatch(/config\.json: .*dModel \(7\) must be divisible by nHeads/);
    expect(importError(weights, '{"model_type": "llama",')).toMatch(/config\.json is not valid JSON/);
    // GPT-2 tensor names under our config: refused by name.
    const gptFile = encodeSafetensors([['transformer.h.0.attn.c_attn.weight', { shape: [2, 2], data: new Float32Array(4) }]]);
    expect(importError(gptFile)).toMatch(/not part of this architecture: transformer\.h\.0\.attn\.c_attn\.weight\. Is it another kind of model\?/);
  });

  it('leaves no tensor behind: export, import, and every failed import', async () => {
    const before = tf.memory().numTensors;
    const files = await exportSafetensors(model);
    disposeModel(importSafetensors(files['model.safetensors'], files['config.json']));
    importError(files['model.safetensors'].slice(0, 200));
    importError(files['model.safetensors'], '{}');
    const nan = exportedTensors().map(([n, t]): [string, HostTensor] => [n, n === 'query_embed' ? { shape: t.shape, data: new Float32Array(t.data.length).fill(NaN) } : t]);
    importError(encodeSafetensors(nan));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('exportHfFiles writes the three files; the HF tokenizer.json and the weights import back', async () => {
    const tok = Tokenizer.train('the cat sat on the mat. the cat ran. '.repeat(20), 12);
    const m = randomModel({ ...odd, vocabSize: tok.vocabSize }, 5, 0.3);
    const before = tf.memory().numTensors;
    const files = await exportHfFiles(m, tok);
    expect(Object.keys(files).sort()).toEqual([...EXPORT_FILES].sort());
    const tokJson = JSON.parse(files['tokenizer.json'] as string);
    expect(tokJson.model.type).toBe('BPE');
    expect(parseTokenizerJSON(tokJson).toJSON()).toEqual(tok.toJSON());
    const back = importSafetensors(files['model.safetensors'] as ArrayBuffer, files['config.json'] as string);
    await expectBitExact(m, back);
    disposeModel(back);
    expect(tf.memory().numTensors).toBe(before);
    await expect(exportHfFiles(model, tok)).rejects.toThrow(/the tokenizer has \d+ tokens, the model 11/);
    disposeModel(m);
  });
});
