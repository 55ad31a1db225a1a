import type { GPTConfig, GPTParams } from '@glassbox/compute';
import { loadCheckpoint } from '@glassbox/compute';
import type { Tokenizer } from '@glassbox/tokenizers';
import { tokenizerFromJSON } from '@glassbox/tokenizers';

/**
 * The checkpoints that ship with Glassbox. Each lives in packages/models/<name>/ as model.safetensors (Hugging Face
 * GPT-2 names), config.json (Hugging Face GPT-2 config), tokenizer.json (our tokenizer's toJSON) and MODEL_CARD.md.
 *
 * The URLs are written out as `new URL('literal', import.meta.url)` so that Vite copies the files into a build and
 * rewrites the URL, while in Node they are file: URLs read from disk: one loader for browser, tests and CLI.
 */
export interface ShippedModelInfo {
  name: string;
  title: string;
  description: string;
  /** An example prompt the app opens with. */
  examplePrompt: string;
  files: { weights: URL; config: URL; tokenizer: URL; card: URL };
}

export const SHIPPED_MODELS: readonly ShippedModelInfo[] = [
  {
    name: 'austen',
    title: 'Austen (1.07 M parameters)',
    description:
      "A 4-layer, 4-head, 128-dimensional GPT-2 trained by Glassbox's own trainer on Jane Austen's six novels, with " +
      'its own 2,048-token BPE vocabulary. Small enough to look at every number, trained enough to write ' +
      'Austen-flavoured English. The default model.',
    examplePrompt: 'It is a truth universally acknowledged, that',
    files: {
      weights: new URL('../austen/model.safetensors', import.meta.url),
      config: new URL('../austen/config.json', import.meta.url),
      tokenizer: new URL('../austen/tokenizer.json', import.meta.url),
      card: new URL('../austen/MODEL_CARD.md', import.meta.url),
    },
  },
  {
    name: 'toy-world',
    title: 'Toy world (356 parameters)',
    description:
      'A 1-layer, 1-head, 4-dimensional GPT trained in a fraction of a second on a ten-word language: ' +
      '"cat sat on the mat END dog is happy END cat is sad END". Every number fits on a slide.',
    examplePrompt: 'cat sat',
    files: {
      weights: new URL('../toy-world/model.safetensors', import.meta.url),
      config: new URL('../toy-world/config.json', import.meta.url),
      tokenizer: new URL('../toy-world/tokenizer.json', import.meta.url),
      card: new URL('../toy-world/MODEL_CARD.md', import.meta.url),
    },
  },
];

export const defaultModel = 'austen';

export function shippedModelInfo(name: string): ShippedModelInfo {
  const info = SHIPPED_MODELS.find((m) => m.name === name);
  if (!info) {
    throw new Error(`no shipped model "${name}"; shipped models: ${SHIPPED_MODELS.map((m) => m.name).join(', ')}`);
  }
  return info;
}

export interface LoadedModel {
  name: string;
  config: GPTConfig;
  params: GPTParams;
  tokenizer: Tokenizer;
  warnings: string[];
}

async function readBytes(url: URL): Promise<Uint8Array> {
  if (url.protocol === 'file:') {
    // Node (tests, CLI). Imported lazily so browser bundles never see node:fs.
    const fs = await import(/* @vite-ignore */ 'node:fs/promises');
    return new Uint8Array(await fs.readFile(url));
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not load ${url.pathname}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Load a shipped model: weights, config and tokenizer, checked. */
export async function loadShippedModel(name: string = defaultModel): Promise<LoadedModel> {
  const info = shippedModelInfo(name);
  const [weights, config, tokenizer] = await Promise.all([
    readBytes(info.files.weights),
    readBytes(info.files.config),
    readBytes(info.files.tokenizer),
  ]);
  const text = new TextDecoder();
  const loaded = loadCheckpoint(weights, text.decode(config));
  return {
    name,
    config: loaded.config,
    params: loaded.params,
    tokenizer: tokenizerFromJSON(JSON.parse(text.decode(tokenizer))),
    warnings: loaded.warnings,
  };
}
