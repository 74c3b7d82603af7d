/**
 * The names of a model's files, tf-free so the page can check a selection before reading any byte: the
 * Hugging Face layout the studio exports (model.safetensors + config.json + tokenizer.json, safetensors.ts)
 * and the shipped layout (manifest.json + weights-*.bin shards, weights.ts).
 */
export const MANIFEST_FILE = 'manifest.json';
export const SAFETENSORS_FILE = 'model.safetensors';
export const CONFIG_FILE = 'config.json';
export const TOKENIZER_FILE = 'tokenizer.json';

/** What Export writes and Import takes back. */
export const EXPORT_FILES = [SAFETENSORS_FILE, CONFIG_FILE, TOKENIZER_FILE] as const;

/** A user-facing problem with the names of the files picked for import, or null when a model can be read from them. */
export function importSelectionProblem(names: Iterable<string>): string | null {
  const picked = new Set(names);
  if (picked.has(SAFETENSORS_FILE)) return picked.has(CONFIG_FILE) ? null : `${CONFIG_FILE} is missing: select it together with ${SAFETENSORS_FILE}`;
  if (picked.has(MANIFEST_FILE)) return null;
  return `select ${SAFETENSORS_FILE} and ${CONFIG_FILE} together (and ${TOKENIZER_FILE} if you have it)`;
}
