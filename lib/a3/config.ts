/**
 * Model hyper-parameters. One object describes both the base AR model and its
 * A3 two-stream form: the query stream adds only the vector `w` (size dModel).
 *
 * Head: `tieEmbeddings = true` reuses the token embedding as the LM head
 * (logits = h · Eᵀ). The shipped models are tiny and must stay under 8 MB of
 * float32, and at V≈2-4k the embedding is a third of all parameters, so tying
 * buys depth for free. Untied heads are supported for experiments.
 */
export interface ModelConfig {
  vocabSize: number;
  dModel: number;
  nLayers: number;
  nHeads: number;
  /** Hidden width of the SwiGLU MLP (gate/up: d -> ffn, down: ffn -> d). */
  ffnDim: number;
  /** Longest sequence the RoPE tables and masks are built for. */
  maxLen: number;
  ropeBase: number;
  normEps: number;
  tieEmbeddings: boolean;
}

export const PRESETS = {
  /** For unit tests: every invariant is checked on this in milliseconds. */
  tiny: {
    vocabSize: 16,
    dModel: 16,
    nLayers: 2,
    nHeads: 2,
    ffnDim: 32,
    maxLen: 16,
    ropeBase: 10000,
    normEps: 1e-5,
    tieEmbeddings: false,
  },
  /** The shipped base model: sized so AR pretraining fits ~1 hour on 2 CPU cores. */
  base: {
    vocabSize: 2048,
    dModel: 128,
    nLayers: 4,
    nHeads: 4,
    ffnDim: 384,
    maxLen: 128,
    ropeBase: 10000,
    normEps: 1e-5,
    tieEmbeddings: true,
  },
} satisfies Record<string, ModelConfig>;

export type PresetName = keyof typeof PRESETS;

export function headDim(cfg: ModelConfig): number {
  return cfg.dModel / cfg.nHeads;
}

/** Throws a clear error for configs the model cannot run. */
export function validateConfig(cfg: ModelConfig): ModelConfig {
  const ints: (keyof ModelConfig)[] = ['vocabSize', 'dModel', 'nLayers', 'nHeads', 'ffnDim', 'maxLen'];
  for (const key of ints) {
    const v = cfg[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new Error(`ModelConfig.${key} must be a positive integer, got ${String(v)}`);
    }
  }
  if (cfg.dModel % cfg.nHeads !== 0) {
    throw new Error(`ModelConfig.dModel (${cfg.dModel}) must be divisible by nHeads (${cfg.nHeads})`);
  }
  if (headDim(cfg) % 2 !== 0) {
    throw new Error(`head dimension ${headDim(cfg)} must be even for RoPE`);
  }
  if (!(cfg.ropeBase > 1)) throw new Error(`ModelConfig.ropeBase must be > 1, got ${cfg.ropeBase}`);
  if (!(cfg.normEps > 0)) throw new Error(`ModelConfig.normEps must be > 0, got ${cfg.normEps}`);
  if (typeof cfg.tieEmbeddings !== 'boolean') throw new Error('ModelConfig.tieEmbeddings must be a boolean');
  return cfg;
}

/** Parameter count, for the UI and for sizing presets. */
export function parameterCount(cfg: ModelConfig): number {
  const d = cfg.dModel;
  const perLayer = 4 * d * d + 3 * d * cfg.ffnDim + 2 * d;
  const head = cfg.tieEmbeddings ? 0 : cfg.vocabSize * d;
  return cfg.vocabSize * d + cfg.nLayers * perLayer + d /* final norm */ + head + d /* w */;
}

/**
 * Characters a text box accepts for a model of this context: 4 per token,
 * above the tokenizer's ~3 bytes per token of English, so every text that
 * fits the context is accepted; a longer one reaches the worker, which says
 * it is longer than the context. The page takes its limits from here, never
 * from a number written for one context.
 */
export function textLengthLimit(cfg: Pick<ModelConfig, 'maxLen'>): number {
  return 4 * cfg.maxLen;
}

/** How many contexts of text the template box holds (templateLengthLimit). */
export const TEMPLATE_CONTEXTS = 16;

/**
 * Characters the infill template accepts for a model of this context: a template longer than the context
 * is decoded in the window around its gaps (window.ts), so it may hold many contexts of text; the limit
 * only keeps the live token count quick while typing.
 */
export function templateLengthLimit(cfg: Pick<ModelConfig, 'maxLen'>): number {
  return TEMPLATE_CONTEXTS * textLengthLimit(cfg);
}
