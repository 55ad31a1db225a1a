import type { Tensor } from '../../tensor';
import { zerosLike } from '../../tensor';

/** sqrt(2/π), the constant in GPT-2's tanh approximation of GELU. */
export const GELU_C = Math.sqrt(2 / Math.PI);

/** GELU, tanh approximation (GPT-2's "gelu_new"): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). Any shape. */
export function gelu(x: Tensor): Tensor {
  const y = zerosLike(x);
  for (let i = 0; i < x.data.length; i++) {
    const v = x.data[i];
    y.data[i] = 0.5 * v * (1 + Math.tanh(GELU_C * (v + 0.044715 * v * v * v)));
  }
  return y;
}
