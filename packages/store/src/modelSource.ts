import type { GPTConfig, GPTParams } from '@glassbox/compute';
import { GlassboxError, initParams, loadCheckpoint, validateConfig } from '@glassbox/compute';
import { defaultModel, loadShippedModel, SHIPPED_MODELS } from '@glassbox/models';
import type { Tokenizer } from '@glassbox/tokenizers';
import { CharTokenizer, loadGpt2Tokenizer, tokenizerFromJSON } from '@glassbox/tokenizers';
import type { HubEnvironment, LoadHubOptions } from './hub';
import { browserHubEnvironment, loadHubModel, parseHubRef } from './hub';

/**
 * Where a model comes from. The app asks for a model by source; everything after loading (engine, trace, views) is
 * the same whichever it was.
 *   catalog      a model the app knows by id: the shipped checkpoints, and the untrained fallback
 *   files        a checkpoint chosen from disk: model.safetensors + config.json (+ a Glassbox tokenizer.json)
 *   huggingface  a GPT-2 repository on the Hugging Face hub (`gpt2`, `owner/name`, `owner/name@revision`), downloaded
 *                on request with progress and cached (hub.ts)
 */
export type ModelSource =
  | { kind: 'catalog'; id: string }
  | { kind: 'files'; files: LocalModelFiles }
  | { kind: 'huggingface'; repo: string };

export interface LocalModelFiles {
  /** Shown in the UI, e.g. the safetensors file name. */
  name: string;
  safetensors: Uint8Array;
  configJson: string;
  /** A Glassbox tokenizer JSON (tokenizer.toJSON()); may be omitted for GPT-2's 50,257-token vocabulary. */
  tokenizerJson?: string;
}

export interface LoadedModel {
  /** The id that goes into the URL. */
  id: string;
  label: string;
  /** False for random weights: the UI says so wherever it shows predictions. */
  trained: boolean;
  description: string;
  /** The prompt the app opens with. */
  examplePrompt: string;
  config: GPTConfig;
  params: GPTParams;
  tokenizer: Tokenizer;
  /** Loader warnings (e.g. an activation function the engine only approximates). */
  warnings: string[];
}

export interface ModelEntry {
  id: string;
  label: string;
  trained: boolean;
  description: string;
  examplePrompt: string;
  load(): Promise<LoadedModel>;
}

export const UNTRAINED_ID = 'untrained-tiny';
const UNTRAINED_SEED = 1234;

/** Printable ASCII and the newline; anything else maps to the unknown token, so any prompt runs. */
function asciiChars(): string[] {
  const chars = ['\n'];
  for (let c = 32; c < 127; c++) chars.push(String.fromCharCode(c));
  return chars;
}

/**
 * A real GPT-2-architecture model with GPT-2's initialisation (seeded) and no training: the numbers are real
 * computation, but its predictions are noise. Used only when no shipped model is available, and labelled as such.
 */
export const UNTRAINED_MODEL: ModelEntry = {
  id: UNTRAINED_ID,
  label: 'untrained (random weights)',
  trained: false,
  description: `2 layers, 4 heads, d = 64, character tokenizer; GPT-2 initialisation with seed ${UNTRAINED_SEED}, never trained.`,
  examplePrompt: 'The cat sat on the',
  async load() {
    const tokenizer = new CharTokenizer(asciiChars(), { unknown: '\uFFFD' });
    const config = validateConfig({
      vocab_size: tokenizer.vocabSize,
      n_positions: 128,
      n_embd: 64,
      n_layer: 2,
      n_head: 4,
      layer_norm_epsilon: 1e-5,
    });
    return {
      id: UNTRAINED_MODEL.id,
      label: UNTRAINED_MODEL.label,
      trained: false,
      description: UNTRAINED_MODEL.description,
      examplePrompt: UNTRAINED_MODEL.examplePrompt,
      config,
      params: initParams(config, { seed: UNTRAINED_SEED }),
      tokenizer,
      warnings: [],
    };
  },
};

/** The checkpoints packages/models ships, default first. */
export function shippedModelEntries(): ModelEntry[] {
  const entries = SHIPPED_MODELS.map((info) => ({
    id: info.name,
    label: info.title,
    trained: true,
    description: info.description,
    examplePrompt: info.examplePrompt,
    async load(): Promise<LoadedModel> {
      const m = await loadShippedModel(info.name);
      return {
        id: info.name,
        label: info.title,
        trained: true,
        description: info.description,
        examplePrompt: info.examplePrompt,
        config: m.config,
        params: m.params,
        tokenizer: m.tokenizer,
        warnings: m.warnings,
      };
    },
  }));
  return entries.sort((a, b) => Number(b.id === defaultModel) - Number(a.id === defaultModel));
}

/** What the app offers: the shipped models (the default first), then the untrained models for comparison. */
export function defaultCatalog(): ModelEntry[] {
  return [...shippedModelEntries(), UNTRAINED_MODEL, UNTRAINED_GPT2_VOCAB_MODEL];
}

export const UNTRAINED_GPT2_VOCAB_ID = 'untrained-gpt2-vocab';

/**
 * The same small untrained architecture with GPT-2's tokenizer and 50,257-token vocabulary: real GPT-2 token ids and
 * [T, 50257] logits, to see (and test) how the views handle a full-size vocabulary.
 */
export const UNTRAINED_GPT2_VOCAB_MODEL: ModelEntry = {
  id: UNTRAINED_GPT2_VOCAB_ID,
  label: 'untrained, GPT-2 vocabulary (random weights)',
  trained: false,
  description: `2 layers, 4 heads, d = 64, GPT-2's tokenizer (50,257 tokens); GPT-2 initialisation with seed ${UNTRAINED_SEED}, never trained.`,
  examplePrompt: 'Hello, I am a language model,',
  async load() {
    const tokenizer = await loadGpt2Tokenizer();
    const config = validateConfig({
      vocab_size: 50257,
      n_positions: 128,
      n_embd: 64,
      n_layer: 2,
      n_head: 4,
      layer_norm_epsilon: 1e-5,
    });
    const e = UNTRAINED_GPT2_VOCAB_MODEL;
    return {
      id: e.id,
      label: e.label,
      trained: false,
      description: e.description,
      examplePrompt: e.examplePrompt,
      config,
      params: initParams(config, { seed: UNTRAINED_SEED }),
      tokenizer,
      warnings: [],
    };
  },
};

/** A checkpoint from disk, checked: config against weights (by loadCheckpoint), tokenizer against the vocabulary. */
export async function loadLocalModel(files: LocalModelFiles): Promise<LoadedModel> {
  const ckpt = loadCheckpoint(files.safetensors, files.configJson);
  let tokenizer: Tokenizer;
  if (files.tokenizerJson !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(files.tokenizerJson);
    } catch (e) {
      throw new GlassboxError('bad-checkpoint', `tokenizer.json is not valid JSON (${(e as Error).message})`);
    }
    tokenizer = tokenizerFromJSON(json);
  } else if (ckpt.config.vocab_size === 50257) {
    tokenizer = await loadGpt2Tokenizer();
  } else {
    throw new GlassboxError(
      'bad-checkpoint',
      `this checkpoint has a ${ckpt.config.vocab_size}-token vocabulary, not GPT-2's: choose its tokenizer.json too`,
    );
  }
  if (tokenizer.vocabSize > ckpt.config.vocab_size) {
    throw new GlassboxError(
      'bad-checkpoint',
      `the tokenizer has ${tokenizer.vocabSize} tokens but the model only ${ckpt.config.vocab_size}: they do not belong together`,
    );
  }
  return {
    id: 'local',
    label: files.name,
    trained: true,
    description: `Loaded from ${files.name}.`,
    examplePrompt: 'Hello, I am',
    config: ckpt.config,
    params: ckpt.params,
    tokenizer,
    warnings: ckpt.warnings,
  };
}

export interface LoadSourceOptions extends LoadHubOptions {
  /** fetch, cache and device budget for hub downloads; the page's own by default. */
  hub?: HubEnvironment;
}

export async function loadModelSource(
  source: ModelSource,
  catalog: readonly ModelEntry[],
  options: LoadSourceOptions = {},
): Promise<LoadedModel> {
  switch (source.kind) {
    case 'catalog': {
      const entry = catalog.find((m) => m.id === source.id);
      if (!entry) throw new GlassboxError('unsupported', `there is no model called "${source.id}"`);
      return entry.load();
    }
    case 'files':
      return loadLocalModel(source.files);
    case 'huggingface':
      return loadHubModel(parseHubRef(source.repo), options.hub ?? browserHubEnvironment(), options);
  }
}
