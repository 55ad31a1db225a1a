import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GPTConfig, GPTParams, LoadedCheckpoint } from '@glassbox/compute';
import { GlassboxError, loadCheckpoint, readSafetensorsHeader, saveCheckpoint } from '@glassbox/compute';
import type { Tokenizer } from '@glassbox/tokenizers';
import { TokenizerError, tokenizerFromJSON } from '@glassbox/tokenizers';
import { CliError } from './errors';

/**
 * A model directory is what the app, the CLI and Hugging Face tools all read:
 *   model.safetensors  weights in Hugging Face GPT-2 layout
 *   config.json        Hugging Face GPT-2 config
 *   tokenizer.json     the tokenizer's toJSON() output (rebuilt with tokenizerFromJSON)
 *   MODEL_CARD.md      optional: how it was trained and how well it does
 */
const WEIGHTS_FILE = 'model.safetensors';
export const CONFIG_FILE = 'config.json';
export const TOKENIZER_FILE = 'tokenizer.json';
const CARD_FILE = 'MODEL_CARD.md';

const LAYOUT = `a model directory holds ${WEIGHTS_FILE}, ${CONFIG_FILE} and ${TOKENIZER_FILE}`;
const FALLBACK_DEFAULT_MODEL = 'toy-world';

export interface ModelFiles {
  dir: string;
  weights: string;
  config: string;
  tokenizer: string;
  /** Absent when the directory has no model card. */
  card?: string;
  /** True when the name was resolved to packages/models/<name>/. */
  shipped?: boolean;
}

export interface LoadedModel extends LoadedCheckpoint {
  /** What the user typed (or the default), for messages. */
  spec: string;
  files: ModelFiles;
  tokenizer: Tokenizer;
  /** How the weights are stored in the file (e.g. ['F32'] or ['F16']); loading upcasts them to float32. */
  weightsDtypes: string[];
  /** A shipped model's example prompt (what the app opens with), when @glassbox/models lists one. */
  examplePrompt?: string;
}

/** packages/models, found through the package's own entry point so this keeps working wherever the CLI runs from. */
function shippedModelsDir(): string {
  return dirname(dirname(fileURLToPath(import.meta.resolve('@glassbox/models'))));
}

/** The shipped models: directories of packages/models that hold a config.json. */
async function shippedModelNames(): Promise<string[]> {
  const root = shippedModelsDir();
  const entries = await readdir(root, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && existsSync(join(root, e.name, CONFIG_FILE)))
    .map((e) => e.name)
    .sort();
}

/**
 * The model used when --model is left out: @glassbox/models' `defaultModel` when it exports one (the models package
 * owns that choice, so a new default needs no CLI change), else the toy world. Imported lazily: commands that name a
 * model never pay for loading the models package.
 */
async function defaultModelName(): Promise<string> {
  const models = (await import('@glassbox/models')) as Record<string, unknown>;
  return typeof models.defaultModel === 'string' ? models.defaultModel : FALLBACK_DEFAULT_MODEL;
}

/** The example prompt @glassbox/models lists for a shipped model (SHIPPED_MODELS[i].examplePrompt), if any. */
async function shippedExamplePrompt(name: string): Promise<string | undefined> {
  const models = (await import('@glassbox/models')) as Record<string, unknown>;
  const list = Array.isArray(models.SHIPPED_MODELS) ? (models.SHIPPED_MODELS as unknown[]) : [];
  const entry = list.find((m) => (m as { name?: unknown })?.name === name) as { examplePrompt?: unknown } | undefined;
  return typeof entry?.examplePrompt === 'string' ? entry.examplePrompt : undefined;
}

/**
 * `--model NAME` means packages/models/NAME/ when that directory exists, otherwise a path (relative to the current
 * directory). A path to a .safetensors file is accepted too: its config.json and tokenizer.json sit beside it.
 */
async function resolveModelFiles(spec: string): Promise<ModelFiles> {
  const shipped = join(shippedModelsDir(), spec);
  const isName = !spec.includes('/') && !spec.includes('\\') && spec !== '.' && spec !== '..';
  if (isName && isDirectory(shipped)) return { ...filesIn(shipped, join(shipped, WEIGHTS_FILE)), shipped: true };

  const path = resolve(spec);
  if (!existsSync(path)) {
    const names = await shippedModelNames().catch(() => []);
    const known = names.length > 0 ? `shipped models: ${names.join(', ')}` : 'no models are shipped yet';
    throw new CliError(`no model "${spec}": no such directory, and not a shipped model (${known})`);
  }
  if (isDirectory(path)) return filesIn(path, join(path, WEIGHTS_FILE));
  if (path.endsWith('.safetensors')) return filesIn(dirname(path), path);
  throw new CliError(`${path} is a file, not a model directory (${LAYOUT})`);
}

function filesIn(dir: string, weights: string): ModelFiles {
  const files: ModelFiles = {
    dir,
    weights,
    config: join(dir, CONFIG_FILE),
    tokenizer: join(dir, TOKENIZER_FILE),
  };
  for (const path of [files.weights, files.config, files.tokenizer]) {
    if (!existsSync(path)) throw new CliError(`${dir}: missing ${basename(path)} (${LAYOUT})`);
  }
  const card = join(dir, CARD_FILE);
  if (existsSync(card)) files.card = card;
  return files;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Loads and checks everything in a model directory; every failure names the file it came from. */
export async function loadModel(spec: string | undefined): Promise<LoadedModel> {
  const name = spec ?? (await defaultModelName());
  const files = await resolveModelFiles(name);
  const [weightBytes, configText, tokenizerText] = await Promise.all([
    readFile(files.weights),
    readFile(files.config, 'utf8'),
    readFile(files.tokenizer, 'utf8'),
  ]);

  const bytes = new Uint8Array(weightBytes.buffer, weightBytes.byteOffset, weightBytes.byteLength);
  let checkpoint: LoadedCheckpoint;
  let weightsDtypes: string[];
  try {
    weightsDtypes = [...new Set(readSafetensorsHeader(bytes).entries.map((e) => e.dtype))];
    checkpoint = loadCheckpoint(bytes, configText);
  } catch (err) {
    if (err instanceof GlassboxError) {
      // A config problem is reported against config.json, anything else against the weights it failed to read.
      const file = err.code === 'bad-config' ? files.config : files.weights;
      throw new CliError(`${file}: ${err.message}`);
    }
    throw err;
  }

  const tokenizer = parseTokenizer(tokenizerText, files.tokenizer);
  if (tokenizer.vocabSize > checkpoint.config.vocab_size) {
    throw new CliError(
      `${files.tokenizer}: the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocab_size is ` +
        `${checkpoint.config.vocab_size}, so some token ids have no embedding`,
    );
  }
  const examplePrompt = files.shipped ? await shippedExamplePrompt(name) : undefined;
  return { ...checkpoint, spec: name, files, tokenizer, weightsDtypes, examplePrompt };
}

export function parseTokenizer(text: string, path: string): Tokenizer {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  try {
    return tokenizerFromJSON(json);
  } catch (err) {
    if (err instanceof TokenizerError) throw new CliError(`${path}: not a tokenizer: ${err.message}`);
    throw err;
  }
}

export interface SaveModelOptions {
  config: GPTConfig;
  params: GPTParams;
  tokenizer: Tokenizer;
  /** Goes into the safetensors __metadata__ (the trainer records its command, step and seed there). */
  metadata?: Record<string, string>;
  /** Extra files written beside the model (e.g. trainer state for --resume), name → bytes or text. */
  extra?: Record<string, Uint8Array | string>;
}

/**
 * Writes a model directory. Each file goes to a temporary name first and is then renamed over the old one, so a
 * checkpoint interrupted mid-write (Ctrl-C during a save, a full disk) leaves the previous checkpoint readable.
 */
export async function saveModel(dir: string, options: SaveModelOptions): Promise<void> {
  await mkdir(dir, { recursive: true });
  const saved = saveCheckpoint(options.config, options.params, { metadata: options.metadata });
  const files: Record<string, Uint8Array | string> = {
    [WEIGHTS_FILE]: saved.safetensors,
    [CONFIG_FILE]: saved.configJson,
    [TOKENIZER_FILE]: `${JSON.stringify(options.tokenizer.toJSON())}\n`,
    ...options.extra,
  };
  const entries = Object.entries(files);
  await Promise.all(entries.map(([name, data]) => writeFile(join(dir, `.${name}.partial`), data)));
  for (const [name] of entries) await rename(join(dir, `.${name}.partial`), join(dir, name));
}
