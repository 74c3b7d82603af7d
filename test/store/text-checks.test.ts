import { describe, expect, it } from 'vitest';
import { MAX_TEXT_BYTES, checkUploadBytes, checkUploadFile, readUploadText } from '@/lib/store';
import { textProblem } from '@/lib/train/text-checks';

const file = (name: string, bytes: Uint8Array, size = bytes.length) => ({ name, size, arrayBuffer: async () => bytes.slice().buffer as ArrayBuffer });
const enc = (s: string) => new TextEncoder().encode(s);

describe('upload checks (clear messages before anything reaches the worker)', () => {
  it('accepts prose', async () => {
    const text = 'It was a bright cold day in April. '.repeat(20);
    expect(await readUploadText(file('ok.txt', enc(text)))).toBe(text);
  });
  it('refuses empty, whitespace-only, tiny, binary and oversized files', async () => {
    await expect(readUploadText(file('empty.txt', new Uint8Array(0)))).rejects.toThrow(/empty\.txt is empty/);
    await expect(readUploadText(file('blank.txt', enc(' \n\n  ')))).rejects.toThrow(/no text in it/);
    await expect(readUploadText(file('short.txt', enc('Hello there.')))).rejects.toThrow(/very short/);
    const bin = new Uint8Array(2000).map((_, i) => (i * 37) % 256);
    await expect(readUploadText(file('model.bin', bin))).rejects.toThrow(/binary/);
    const latin1 = new Uint8Array(2000).fill(0xe9); // not UTF-8: decodes to replacement characters
    await expect(readUploadText(file('latin1.txt', latin1))).rejects.toThrow(/binary file, not UTF-8/);
    // Size is checked from the File's size before reading.
    await expect(readUploadText(file('big.txt', new Uint8Array(1), MAX_TEXT_BYTES + 1))).rejects.toThrow(/over the 5 MB limit/);
  });
  it('says "too large" in the words the worker uses for the text (one rule, lib/train/text-checks.ts)', () => {
    const worker = textProblem('a'.repeat(MAX_TEXT_BYTES + 1), 'big.txt');
    expect(worker).toMatch(/^big\.txt is over the 5 MB limit/);
    expect(checkUploadBytes('big.txt', new Uint8Array(MAX_TEXT_BYTES + 1).fill(97))).toBe(worker);
    expect(checkUploadFile({ name: 'big.txt', size: 6 * 1024 * 1024 })).toBe(`${worker} (it is 6.0 MB)`);
  });
});
