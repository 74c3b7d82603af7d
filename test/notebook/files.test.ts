import { describe, expect, it } from 'vitest';
import { readModelFiles, readUpload, type PickedFile } from '@/lib/notebook/files';
import { sampleText } from '@/lib/notebook/sample';

const file = (name: string, content: string): PickedFile => {
  const bytes = new TextEncoder().encode(content);
  return { name, size: bytes.length, text: async () => content, arrayBuffer: async () => bytes.slice().buffer };
};

describe('page files (no tfjs)', () => {
  it('readModelFiles: JSON as text, weights as bytes; a selection that cannot be a model says what to pick', async () => {
    const files = await readModelFiles([file('model.safetensors', 'xy'), file('config.json', '{}')]);
    expect(files['config.json']).toBe('{}');
    expect(new Uint8Array(files['model.safetensors'] as ArrayBuffer)).toEqual(new TextEncoder().encode('xy'));
    await expect(readModelFiles([file('weights.bin', 'x')])).rejects.toThrow(/select model\.safetensors and config\.json together/);
  });

  it('readUpload: a good text with its size, a short one refused with the reason', async () => {
    const prose = 'It was a truth universally acknowledged. '.repeat(20);
    expect(await readUpload(file('emma.txt', prose))).toEqual({ name: 'emma.txt', text: prose, bytes: prose.length });
    await expect(readUpload(file('tiny.txt', 'hello'))).rejects.toThrow(/very short/);
  });

  it('sampleText: fetched once, and a failed fetch is tried again next time', async () => {
    let calls = 0;
    let ok = false;
    const fetchImpl = (async () => {
      calls += 1;
      return ok ? new Response('Emma Woodhouse') : new Response('gone', { status: 404 });
    }) as typeof fetch;
    const sample = sampleText('/data/sample.txt', fetchImpl);
    await expect(sample.get()).rejects.toThrow(/cannot fetch the sample text \(\/data\/sample\.txt: HTTP 404\)/);
    ok = true;
    expect(await sample.get()).toBe('Emma Woodhouse');
    expect(await sample.get()).toBe('Emma Woodhouse');
    expect(calls).toBe(2);
  });
});
