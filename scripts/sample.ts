/**
 * `npm run sample -- --prompt "Once upon a time" [--length 60 --temperature 0.8 --top-k 40 --top-p 0.95 --seed 1]`
 * prints a continuation from the shipped base model. `--fixed` samples the
 * README's five fixed prompts and writes results/samples.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAR } from '@/lib/a3/decode/ar';
import { SPECIAL_TOKENS } from '@/lib/a3/tokenizer';
import { loadModel } from '@/lib/a3/weights';
import { fileSource } from '@/lib/a3/weights-node';
import { loadTokenizer, ROOT } from './lib/data';
import { useNodeBackend } from './lib/node-backend';
import { parseArgs } from './lib/progress';

const FIXED_PROMPTS = ['Once upon a time', 'The old man said', 'In the morning, the city', 'She opened the letter and', 'The committee voted to'];

const args = parseArgs(process.argv.slice(2));
await useNodeBackend('wasm');
const tokenizer = loadTokenizer();
const { model } = await loadModel(fileSource(join(ROOT, args.get('model') ?? 'public/weights/base')));
const sampling = {
  temperature: Number(args.get('temperature') ?? 0.8),
  topK: Number(args.get('top-k') ?? 40),
  topP: Number(args.get('top-p') ?? 0.95),
};
const length = Number(args.get('length') ?? 60);
const seed = Number(args.get('seed') ?? 1);
const continueText = async (prompt: string) => {
  const p = tokenizer.encode(prompt);
  const trace = await decodeAR(model, p, { length, sampling, seed, stopToken: SPECIAL_TOKENS.eos });
  return tokenizer.decode(trace.tokens.slice(p.length), { skipSpecials: true });
};

if (args.has('fixed')) {
  const samples = [];
  for (const prompt of FIXED_PROMPTS) samples.push({ prompt, continuation: await continueText(prompt) });
  for (const s of samples) console.log(`${s.prompt}|${s.continuation}\n`);
  mkdirSync(join(ROOT, 'results'), { recursive: true });
  const settings = `temperature ${sampling.temperature}, top-k ${sampling.topK}, top-p ${sampling.topP}, seed ${seed}, ${length} tokens`;
  writeFileSync(join(ROOT, 'results', 'samples.json'), JSON.stringify({ settings, samples }, null, 2));
} else {
  const prompt = args.get('prompt');
  if (!prompt) throw new Error('give a prompt: npm run sample -- --prompt "Once upon a time"');
  console.log(prompt + (await continueText(prompt)));
}
