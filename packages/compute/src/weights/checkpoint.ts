import type { GPTConfig } from '../config';
import { dMlp, toHFConfigJson, validateConfig } from '../config';
import { fail } from '../errors';
import type { GPTParams } from '../params';
import type { DType } from '../tensor';
import { hfGpt2ToParams, isIgnoredHfTensor, paramsToHfGpt2 } from './hfGpt2';
import { parseSafetensors, serializeSafetensors } from './safetensors';

/**
 * A checkpoint is what Hugging Face puts in a GPT-2 model folder: model.safetensors plus config.json. Loading takes
 * the two files' contents (the caller fetches or reads them, so this runs the same in a browser and in Node).
 */

export interface LoadedCheckpoint {
  config: GPTConfig;
  params: GPTParams;
  /** The safetensors "__metadata__" (transformers writes {"format": "pt"}; our trainer records its command). */
  metadata: Record<string, string>;
  warnings: string[];
}

export interface LoadCheckpointOptions {
  /** Engine precision of the loaded parameters; float32 unless a float64 gradient check asks otherwise. */
  dtype?: DType;
}

/** GELU variants numerically equal to the tanh approximation the engine implements. */
const TANH_GELU = ['gelu_new', 'gelu_pytorch_tanh'];

/**
 * Parse and check a config.json (text or already parsed). Beyond validateConfig, refuses configs of other model
 * types and GPT-2 variants the engine cannot run, and warns about ones it runs only approximately.
 */
export function parseHfConfig(configJson: unknown): { config: GPTConfig; warnings: string[] } {
  let raw = configJson;
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch (e) {
      fail('bad-config', `config.json is not valid JSON (${(e as Error).message})`);
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    fail('bad-config', 'config.json must hold a JSON object');
  }
  const r = raw as Record<string, unknown>;
  if (r.model_type !== undefined && r.model_type !== 'gpt2') {
    fail('bad-config', `config.json has model_type ${JSON.stringify(r.model_type)}; Glassbox runs only "gpt2" models`);
  }
  const config = validateConfig(r);
  if (r.n_inner !== undefined && r.n_inner !== null && r.n_inner !== dMlp(config)) {
    fail(
      'bad-config',
      `config.json has n_inner ${JSON.stringify(r.n_inner)}; Glassbox's MLP width is always 4·n_embd = ${dMlp(config)}`,
    );
  }
  const warnings: string[] = [];
  const act = r.activation_function;
  if (act !== undefined && !TANH_GELU.includes(act as string)) {
    warnings.push(
      `config.json asks for activation_function ${JSON.stringify(act)}; Glassbox uses GPT-2's tanh GELU ` +
        `("gelu_new"), so outputs will differ from transformers`,
    );
  }
  return { config, warnings };
}

/** Load a HF GPT-2 checkpoint: model.safetensors bytes and config.json (text or parsed). */
export function loadCheckpoint(
  safetensorsBytes: Uint8Array,
  configJson: unknown,
  options: LoadCheckpointOptions = {},
): LoadedCheckpoint {
  const { config, warnings } = parseHfConfig(configJson);
  const { tensors, metadata } = parseSafetensors(safetensorsBytes, {
    keepFloat64: options.dtype === 'float64',
    include: (name) => !isIgnoredHfTensor(name),
  });
  const converted = hfGpt2ToParams(config, tensors, { dtype: options.dtype ?? 'float32' });
  return { config, params: converted.params, metadata, warnings: [...warnings, ...converted.warnings] };
}

export interface SaveCheckpointOptions {
  dtype?: 'F32' | 'F16';
  metadata?: Record<string, string>;
}

export interface SavedCheckpoint {
  /** model.safetensors */
  safetensors: Uint8Array;
  /** config.json */
  configJson: string;
}

/** Write a checkpoint in HF GPT-2 layout, loadable by GPT2LMHeadModel.from_pretrained as well as by loadCheckpoint. */
export function saveCheckpoint(
  config: GPTConfig,
  params: GPTParams,
  options: SaveCheckpointOptions = {},
): SavedCheckpoint {
  const checked = validateConfig(config);
  // transformers refuses safetensors files whose metadata lacks format "pt" (or tf/flax/mlx), so it always goes in.
  const metadata = { ...options.metadata, format: 'pt' };
  const safetensors = serializeSafetensors(paramsToHfGpt2(checked, params), { dtype: options.dtype, metadata });
  return { safetensors, configJson: `${JSON.stringify(toHFConfigJson(checked), null, 2)}\n` };
}
