import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useCpu, tiny, randomModel } from '../helpers/tf';
import { disposeModel, forward, namedParams, type A3Model, type SequenceBatch } from '@/lib/a3/model';
import { bufferSource, loadModel, MANIFEST_FILE, serializeModel, WEIGHTS_FORMAT, type WeightsManifest } from '@/lib/a3/weights';
import { fileSource, saveModelToDir } from '@/lib/a3/weights-node';
import { randomSubsets } from '@/lib/a3/groups';
import type { ModelConfig } from '@/lib/a3/config';

// Distinct V, d and ffn so [out, in] vs [in, out] cannot be confused.
const odd: ModelConfig = { ...tiny, vocabSize: 11, dModel: 8, nHeads: 2, ffnDim: 24, nLayers: 2 };
let model: A3Model;
let tiedModel: A3Model;
let tmp: string;

beforeAll(async () => {
  await useCpu();
  model = randomModel(odd, 7, 0.3);
  tiedModel = randomModel({ ...odd, tieEmbeddings: true }, 8, 0.3);
  tmp = await mkdtemp(join(tmpdir(), 'a3-weights-test-'));
});

afterAll(async () => {
  disposeModel(model);
  disposeModel(tiedModel);
  await rm(tmp, { recursive: true, force: true });
});

const seq: SequenceBatch = {
  batch: 2,
  tokens: Int32Array.from([1, 5, 10, 3, 0, 7, 2, 2, 9, 4, 6, 8]),
  groupIds: Int32Array.from([...randomSubsets(6, 2, 1), ...randomSubsets(6, 3, 2)]),
};

function logitsOf(m: A3Model): Float32Array {
  return tf.tidy(() => forward(m, seq).logits).dataSync() as Float32Array;
}

function expectSameModel(a: A3Model, b: A3Model) {
  expect(b.config).toEqual(a.config);
  const pa = namedParams(a);
  const pb = namedParams(b);
  expect(pb.map((p) => p.name)).toEqual(pa.map((p) => p.name));
  pa.forEach((p, i) => {
    expect(pb[i].variable.shape).toEqual(p.variable.shape);
    expect(Array.from(pb[i].variable.dataSync())).toEqual(Array.from(p.variable.dataSync()));
  });
  expect(Array.from(logitsOf(b))).toEqual(Array.from(logitsOf(a)));
}

/** Serialized files as a mutable copy: manifest object + shard buffers. */
async function files(m: A3Model = model): Promise<{ manifest: WeightsManifest; shards: Record<string, ArrayBuffer> }> {
  const { manifest, shards } = await serializeModel(m);
  return { manifest: JSON.parse(JSON.stringify(manifest)), shards };
}

function source(manifest: WeightsManifest | string, shards: Record<string, ArrayBuffer>) {
  return bufferSource({ [MANIFEST_FILE]: typeof manifest === 'string' ? manifest : JSON.stringify(manifest), ...shards }, 'mem/');
}

describe('round trips', () => {
  it('serializeModel -> bufferSource -> loadModel gives identical weights and logits (untied and tied)', async () => {
    for (const m of [model, tiedModel]) {
      const { manifest, shards } = await serializeModel(m, { run: 'test', step: 3 });
      const progress: number[] = [];
      const loaded = await loadModel(
        bufferSource({ [MANIFEST_FILE]: JSON.stringify(manifest), ...shards }),
        (p) => progress.push(p.loadedShards),
      );
      expectSameModel(m, loaded.model);
      expect(loaded.manifest.meta).toEqual({ run: 'test', step: 3 });
      expect(progress.length).toBe(Object.keys(shards).length);
      disposeModel(loaded.model);
    }
  });

  it('saveModelToDir -> fileSource round trip', async () => {
    const dir = join(tmp, 'roundtrip');
    await saveModelToDir(model, dir, { note: 'dir' });
    const names = await readdir(dir);
    expect(names).toContain(MANIFEST_FILE);
    expect(names).toContain('weights-000.bin');
    const loaded = await loadModel(fileSource(dir));
    expectSameModel(model, loaded.model);
    expect(loaded.manifest.meta).toEqual({ note: 'dir' });
    disposeModel(loaded.model);
  });
});

describe('manifest: Hugging Face names, layouts and shapes', () => {
  it('names and [out, in] shapes; lm_head only when untied', async () => {
    const d = odd.dModel;
    const f = odd.ffnDim;
    const V = odd.vocabSize;
    const { manifest } = await serializeModel(model);
    expect(manifest.format).toBe(WEIGHTS_FORMAT);
    expect(manifest.version).toBe(1);
    expect(manifest.config).toEqual(odd);
    const shapes = new Map(manifest.tensors.map((t) => [t.name, t.shape]));
    expect(shapes.get('model.embed_tokens.weight')).toEqual([V, d]);
    expect(shapes.get('model.norm.weight')).toEqual([d]);
    expect(shapes.get('lm_head.weight')).toEqual([V, d]);
    expect(shapes.get('query_embed')).toEqual([d]);
    for (let i = 0; i < odd.nLayers; i++) {
      const p = `model.layers.${i}`;
      for (const proj of ['q_proj', 'k_proj', 'v_proj', 'o_proj']) expect(shapes.get(`${p}.self_attn.${proj}.weight`)).toEqual([d, d]);
      expect(shapes.get(`${p}.mlp.gate_proj.weight`)).toEqual([f, d]);
      expect(shapes.get(`${p}.mlp.up_proj.weight`)).toEqual([f, d]);
      expect(shapes.get(`${p}.mlp.down_proj.weight`)).toEqual([d, f]);
      expect(shapes.get(`${p}.input_layernorm.weight`)).toEqual([d]);
      expect(shapes.get(`${p}.post_attention_layernorm.weight`)).toEqual([d]);
    }
    expect(manifest.tensors.length).toBe(4 + 9 * odd.nLayers);
    expect(manifest.tensors.every((t) => t.dtype === 'float32')).toBe(true);

    const tiedManifest = (await serializeModel(tiedModel)).manifest;
    expect(tiedManifest.tensors.map((t) => t.name)).not.toContain('lm_head.weight');
    expect(tiedManifest.tensors.length).toBe(3 + 9 * odd.nLayers);
  });

  it('matrices are stored transposed: HF q_proj[o][i] = our q[i][o] (q_proj asymmetric check via gate/down too)', async () => {
    const { manifest, shards } = await serializeModel(model);
    const read = (name: string) => {
      const t = manifest.tensors.find((e) => e.name === name)!;
      const size = t.shape.reduce((a, b) => a * b, 1);
      return { data: new Float32Array(shards[t.shard], t.offset, size), shape: t.shape };
    };
    const l0 = model.layers[0];
    for (const [name, v] of [
      ['model.layers.0.self_attn.q_proj.weight', l0.q],
      ['model.layers.0.mlp.gate_proj.weight', l0.gate],
      ['model.layers.0.mlp.down_proj.weight', l0.down],
      ['lm_head.weight', model.lmHead!],
    ] as const) {
      const hf = read(name);
      const ours = v.arraySync() as number[][]; // [in, out]
      const [out, inn] = hf.shape;
      expect([ours.length, ours[0].length]).toEqual([inn, out]);
      for (let o = 0; o < out; o++) for (let i = 0; i < inn; i++) expect(hf.data[o * inn + i]).toBe(ours[i][o]);
    }
    // Vectors and the embedding are stored as is.
    expect(Array.from(read('query_embed').data)).toEqual(Array.from(model.queryEmbed.dataSync()));
    expect(Array.from(read('model.embed_tokens.weight').data)).toEqual(Array.from(model.embed.dataSync()));
  });
});

describe('bad inputs give clear errors and leak no tensors', () => {
  async function expectLoadError(src: ReturnType<typeof bufferSource>, pattern: RegExp) {
    const before = tf.memory().numTensors;
    await expect(loadModel(src)).rejects.toThrow(pattern);
    expect(tf.memory().numTensors).toBe(before);
  }

  it('malformed JSON', async () => {
    const { shards } = await files();
    await expectLoadError(source('{"format": "a3-studio-weights", ', shards), /manifest\.json: not valid JSON/);
  });

  it('wrong format string, wrong version, bad config', async () => {
    const { manifest, shards } = await files();
    await expectLoadError(source({ ...manifest, format: 'safetensors' as never }, shards), /format is "safetensors", expected "a3-studio-weights"/);
    await expectLoadError(source({ ...manifest, version: 2 as never }, shards), /unsupported version 2/);
    await expectLoadError(source({ ...manifest, config: { ...manifest.config, nHeads: 3 } }, shards), /bad config: .*divisible by nHeads/);
    const noConfig = { ...manifest } as Partial<WeightsManifest>;
    delete noConfig.config;
    await expectLoadError(source(noConfig as WeightsManifest, shards), /missing "config"/);
  });

  it('missing tensors list', async () => {
    const { manifest, shards } = await files();
    const m = { ...manifest } as Partial<WeightsManifest>;
    delete m.tensors;
    await expectLoadError(source(m as WeightsManifest, shards), /missing "tensors" list/);
  });

  it('a missing shard file names the shard and a tensor that needs it', async () => {
    const { manifest } = await files();
    await expectLoadError(source(manifest, {}), /shard weights-000\.bin \(needed by model\.embed_tokens\.weight\) could not be read: .*weights-000\.bin is missing/);
  });

  it('a missing shard file on disk (fileSource) names the path', async () => {
    const dir = join(tmp, 'noshard');
    await saveModelToDir(model, dir);
    await unlink(join(dir, 'weights-000.bin'));
    const before = tf.memory().numTensors;
    await expect(loadModel(fileSource(dir))).rejects.toThrow(/shard weights-000\.bin .*cannot read .*noshard\/weights-000\.bin: ENOENT/);
    await expect(loadModel(fileSource(join(tmp, 'does-not-exist')))).rejects.toThrow(/cannot read .*does-not-exist\/manifest\.json: ENOENT/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a wrong shape names the tensor', async () => {
    const { manifest, shards } = await files();
    const t = manifest.tensors.find((e) => e.name === 'model.layers.1.mlp.gate_proj.weight')!;
    t.shape = [odd.dModel, odd.ffnDim]; // [in, out]: the wrong layout
    await expectLoadError(source(manifest, shards), /tensor model\.layers\.1\.mlp\.gate_proj\.weight has shape \[8,24\] but the config needs \[24,8\]/);
    t.shape = [-1, 8];
    await expectLoadError(source(manifest, shards), /tensor model\.layers\.1\.mlp\.gate_proj\.weight has an invalid shape/);
  });

  it('a wrong dtype names the tensor', async () => {
    const { manifest, shards } = await files();
    manifest.tensors.find((e) => e.name === 'query_embed')!.dtype = 'float16' as never;
    await expectLoadError(source(manifest, shards), /tensor query_embed has dtype "float16", only float32 is supported/);
  });

  it('a truncated shard names the tensor and the shard', async () => {
    const { manifest, shards } = await files();
    const name = Object.keys(shards)[0];
    const cut = { [name]: shards[name].slice(0, shards[name].byteLength - 8) };
    const last = manifest.tensors[manifest.tensors.length - 1].name;
    await expectLoadError(source(manifest, cut), new RegExp(`tensor ${last} needs bytes \\d+\\.\\.\\d+ but shard ${name} has \\d+`));
  });

  it('a bad offset names the tensor', async () => {
    const { manifest, shards } = await files();
    manifest.tensors[2].offset = 6; // not a multiple of 4
    await expectLoadError(source(manifest, shards), new RegExp(`tensor ${manifest.tensors[2].name.replace(/\./g, '\\.')} has an invalid shard/offset`));
  });

  it('a missing tensor is named', async () => {
    const { manifest, shards } = await files();
    manifest.tensors = manifest.tensors.filter((t) => t.name !== 'model.layers.1.self_attn.v_proj.weight');
    await expectLoadError(source(manifest, shards), /tensor model\.layers\.1\.self_attn\.v_proj\.weight is missing from the manifest/);
    // A late tensor missing: the variables made before it must be disposed (no leak).
    const again = await files();
    again.manifest.tensors = again.manifest.tensors.filter((t) => t.name !== 'query_embed');
    await expectLoadError(source(again.manifest, again.shards), /tensor query_embed is missing from the manifest/);
  });

  it('an unknown extra tensor is named (including lm_head for a tied config)', async () => {
    const { manifest, shards } = await files();
    manifest.tensors.push({ ...manifest.tensors[0], name: 'model.layers.7.mlp.extra.weight' });
    await expectLoadError(source(manifest, shards), /tensor model\.layers\.7\.mlp\.extra\.weight is not part of a model with this config/);
    const untied = await files();
    untied.manifest.config = { ...untied.manifest.config, tieEmbeddings: true };
    await expectLoadError(source(untied.manifest, untied.shards), /tensor lm_head\.weight is not part of a model with this config/);
  });

  it('a NaN value names the tensor and the index', async () => {
    const { manifest, shards } = await files();
    const t = manifest.tensors.find((e) => e.name === 'model.layers.0.self_attn.k_proj.weight')!;
    const copy = shards[t.shard].slice(0);
    new Float32Array(copy, t.offset, 20)[5] = NaN;
    await expectLoadError(source(manifest, { [t.shard]: copy }), /tensor model\.layers\.0\.self_attn\.k_proj\.weight holds a non-finite value at index 5/);
    new Float32Array(copy, t.offset, 20)[5] = Infinity;
    await expectLoadError(source(manifest, { [t.shard]: copy }), /k_proj\.weight holds a non-finite value/);
  });

  it('a corrupt manifest written to disk fails cleanly too', async () => {
    const dir = join(tmp, 'corrupt');
    await saveModelToDir(model, dir);
    await writeFile(join(dir, MANIFEST_FILE), '[1, 2');
    const before = tf.memory().numTensors;
    await expect(loadModel(fileSource(dir))).rejects.toThrow(/corrupt\/manifest\.json: not valid JSON/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('error messages from an in-memory source name the manifest readably (describe + file are separated)', async () => {
    // bufferSource's default describe is 'in-memory files' with no trailing separator, and loadModel
    // concatenates `${source.describe}${MANIFEST_FILE}`, giving "in-memory filesmanifest.json: ...".
    const { shards } = await files();
    const src = bufferSource({ [MANIFEST_FILE]: 'not json', ...shards });
    await expect(loadModel(src)).rejects.toThrow(/manifest\.json: not valid JSON/);
    await expect(loadModel(src)).rejects.not.toThrow(/filesmanifest\.json/);
  });
});
