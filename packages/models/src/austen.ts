import type { GPTConfig, GPTParams, LrSchedule, OptimizerConfig } from '@glassbox/compute';
import { argmax, createRng, crossEntropy, forward, row, sampleStep, validateConfig } from '@glassbox/compute';
import type { Tokenizer } from '@glassbox/tokenizers';

/**
 * "austen": the shipped default model. A 4-layer GPT-2 trained by Glassbox's own trainer on Jane Austen's six novels
 * (public domain; Debian's r-cran-janeaustenr), with a byte-level BPE vocabulary learned on the same text.
 * The recipe lives here so the training script, the model card and the tests read one definition;
 * packages/models/scripts/train-english.ts runs it and packages/models/austen/MODEL_CARD.md records the result.
 */
export const AUSTEN_SPECIAL = '<|endoftext|>';

export const AUSTEN_CONFIG: GPTConfig = validateConfig({
  vocab_size: 2048,
  n_positions: 128,
  n_embd: 128,
  n_layer: 4,
  n_head: 4,
  layer_norm_epsilon: 1e-5,
});

export interface AustenRecipe {
  /** Seeds the initial weights and the batch sampler. */
  seed: number;
  /** BPE vocabulary: 256 bytes + merges + '<|endoftext|>' (= AUSTEN_CONFIG.vocab_size). */
  vocabSize: number;
  steps: number;
  /** Sequences per step (split evenly between the data-parallel workers). */
  batchSize: number;
  /** Positions per sequence. */
  blockSize: number;
  optimizer: OptimizerConfig;
  schedule: LrSchedule;
  clipNorm: number;
  /** Data-parallel workers. The result depends on it only through the float summation order of the gradients. */
  workers: number;
}

export const AUSTEN_RECIPE: AustenRecipe = {
  seed: 0,
  vocabSize: AUSTEN_CONFIG.vocab_size,
  steps: 3500,
  batchSize: 8,
  blockSize: 128,
  optimizer: { kind: 'adamw', beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1 },
  schedule: { lr: 3e-3, warmupSteps: 100, decaySteps: 3500, minLr: 3e-4 },
  clipNorm: 1,
  workers: 2,
};

/**
 * Unigram baseline: the cross-entropy (nats per token) of `ids` under p(v) = (count_v + 1) / (N + V), the train-split
 * token frequencies with add-one smoothing. A model that ignores context entirely can do this well.
 */
export function unigramCrossEntropy(counts: ArrayLike<number>, ids: readonly number[]): number {
  const V = counts.length;
  let N = 0;
  for (let v = 0; v < V; v++) N += counts[v];
  let s = 0;
  for (const id of ids) s -= Math.log((counts[id] + 1) / (N + V));
  return s / ids.length;
}

/** Token frequencies of `ids` over a vocabulary of V. */
export function tokenCounts(ids: readonly number[], V: number): Uint32Array {
  const c = new Uint32Array(V);
  for (const id of ids) c[id]++;
  return c;
}

/**
 * Mean next-token cross-entropy (nats) over non-overlapping windows of `block + 1` tokens of `ids` (each window
 * predicts its last `block` tokens from what precedes them inside the window), and the targets it scored.
 */
export function windowedLoss(
  config: GPTConfig,
  params: GPTParams,
  ids: readonly number[],
  block: number = config.n_positions,
): { loss: number; targets: number[] } {
  let sum = 0;
  const targets: number[] = [];
  for (let s = 0; s + block + 1 <= ids.length; s += block) {
    const x = ids.slice(s, s + block);
    const y = ids.slice(s + 1, s + block + 1);
    for (const l of crossEntropy(forward(config, params, x).logits, y)) sum += l;
    targets.push(...y);
  }
  return { loss: sum / targets.length, targets };
}

/**
 * Continue `prompt` by `maxNew` tokens: greedy when temperature is 0, else sampled (seeded, so repeatable). The
 * context is the last n_positions tokens. Stops early at '<|endoftext|>'.
 */
export function continueText(
  config: GPTConfig,
  params: GPTParams,
  tokenizer: Tokenizer,
  prompt: string,
  { maxNew = 40, temperature = 0, seed = 0 }: { maxNew?: number; temperature?: number; seed?: number } = {},
): string {
  const ids = tokenizer.encode(prompt);
  const eot = tokenizer.encode(AUSTEN_SPECIAL);
  const stop = eot.length === 1 ? eot[0] : -1;
  const rng = createRng(seed);
  const out: number[] = [];
  while (out.length < maxNew) {
    const ctx = ids.slice(-config.n_positions);
    const { logits } = forward(config, params, ctx);
    const z = row(logits, ctx.length - 1);
    const next = temperature === 0 ? argmax(z) : sampleStep(z, { temperature }, rng).token;
    if (next === stop) break;
    ids.push(next);
    out.push(next);
  }
  return tokenizer.decode(out);
}
