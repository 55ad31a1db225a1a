import type { Tensor } from '../../tensor';
import { zerosLike } from '../../tensor';

/**
 * Softmax over the last dimension. Subtracting the row maximum keeps exp() from overflowing; −∞ entries (masked
 * attention scores) become exactly 0. A row that is entirely −∞ has no defined softmax and becomes all zeros.
 */
export function softmax(x: Tensor): Tensor {
  const C = x.shape[x.shape.length - 1];
  const R = x.data.length / C;
  const y = zerosLike(x);
  for (let r = 0; r < R; r++) {
    const o = r * C;
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < C; c++) if (x.data[o + c] > max) max = x.data[o + c];
    if (max === Number.NEGATIVE_INFINITY) continue;
    let sum = 0;
    for (let c = 0; c < C; c++) {
      const e = Math.exp(x.data[o + c] - max);
      y.data[o + c] = e;
      sum += e;
    }
    for (let c = 0; c < C; c++) y.data[o + c] /= sum;
  }
  return y;
}
