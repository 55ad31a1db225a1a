/**
 * Test helpers for the ONNX tests (not exported from the package).
 */
import type { GPTConfig } from '../config';
import { validateConfig } from '../config';
import type { GPTParams } from '../params';
import { flattenParams, initParams } from '../params';
import { createRng } from '../rng';

/** V=50, P=32, d=32, 3 layers, 4 heads: multi-layer and multi-head, yet a full comparison runs in milliseconds. */
export const ONNX_TEST_CONFIG: GPTConfig = validateConfig({
  vocab_size: 50,
  n_positions: 32,
  n_embd: 32,
  n_layer: 3,
  n_head: 4,
  layer_norm_epsilon: 1e-5,
});

/**
 * Random values in every parameter, at scales that make the comparison demanding: non-zero biases and LayerNorm
 * offsets (a dropped or swapped bias shows), gains away from 1, attention peaked enough that the mask and the softmax
 * matter (scores of a few units), and logits of several units rather than GPT-2 init's near-zero ones.
 */
export function randomParams(c: GPTConfig, seed: number): GPTParams {
  const p = initParams(c, { seed });
  const rng = createRng(seed + 1000);
  for (const [name, t] of flattenParams(p)) {
    const last = name.slice(name.lastIndexOf('.') + 1);
    const fill = (f: () => number) => {
      for (let i = 0; i < t.data.length; i++) t.data[i] = f();
    };
    if (name.endsWith('ln1.w') || name.endsWith('ln2.w') || name === 'ln_final.w') fill(() => 1 + 0.2 * rng.normal());
    else if (last === 'W_E' || last === 'W_pos') fill(() => 0.5 * rng.normal());
    else if (last.startsWith('W_')) fill(() => 0.25 * rng.normal());
    else fill(() => 0.1 * rng.normal());
  }
  return p;
}

/** Deterministic pseudo-random token ids in 0 … V − 1. */
export function randomIds(c: GPTConfig, T: number, seed: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: T }, () => Math.floor(rng.next() * c.vocab_size));
}
