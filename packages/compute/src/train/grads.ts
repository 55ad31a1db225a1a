import type { GPTConfig } from '../config';
import type { GPTParams } from '../params';
import { flattenParams, paramSpecs, paramsFromMap } from '../params';
import type { DType, Tensor } from '../tensor';
import { zeros } from '../tensor';

/**
 * Parameter gradients have exactly the parameters' structure (grads.blocks[0].attn.W_Q is ∂L/∂W_Q), so every
 * function that walks parameters (flattenParams, the optimizer, checkpoints) walks gradients too.
 */
export type ParamGrads = GPTParams;

/** A gradient of zeros for every parameter, in `dtype`. */
export function zeroGrads(config: GPTConfig, dtype: DType): ParamGrads {
  return paramsFromMap(config, new Map(paramSpecs(config).map((s) => [s.name, zeros(s.shape, dtype)])));
}

/** acc += g, elementwise (gradients of a parameter used several times, or by several sequences, add up). */
export function accumulate(acc: Tensor, g: Tensor): void {
  for (let i = 0; i < acc.data.length; i++) acc.data[i] += g.data[i];
}

/** √(Σ g²) over every parameter gradient, accumulated in float64. */
export function globalGradNorm(grads: ParamGrads): number {
  let s = 0;
  for (const [, g] of flattenParams(grads)) for (let i = 0; i < g.data.length; i++) s += g.data[i] * g.data[i];
  return Math.sqrt(s);
}
