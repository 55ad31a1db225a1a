import { fail } from '../../errors';
import type { Tensor } from '../../tensor';
import { formatShape, sameShape, zerosLike } from '../../tensor';

/**
 * Softmax over the last dimension. Subtracting the row maximum keeps exp() from overflowing; −∞ entries (masked
 * attention scores) become exactly 0. A row that is entirely −∞ has no defined softmax and becomes all zeros.
 */
export function softmax(x: Tensor): Tensor {
  const C = x.shape[x.shape.length - 1];
  const R = x.data.length / C;
  const y = zerosLike(x);
  const xs = x.data;
  const ys = y.data;
  for (let r = 0; r < R; r++) {
    const o = r * C;
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < C; c++) if (xs[o + c] > max) max = xs[o + c];
    if (max === Number.NEGATIVE_INFINITY) continue;
    let sum = 0;
    for (let c = 0; c < C; c++) {
      // Masked scores (−∞) stay 0 without a call to Math.exp: they are half of a causal pattern.
      if (xs[o + c] === Number.NEGATIVE_INFINITY) continue;
      const e = Math.exp(xs[o + c] - max);
      ys[o + c] = e;
      sum += e;
    }
    for (let c = 0; c < C; c++) ys[o + c] /= sum;
  }
  return y;
}

/**
 * Backward of y = softmax(x) over the last dimension, from the output y.   dy, y: [..., C]
 *   ∂y_c/∂x_j = y_c·(δ_cj − y_j)   ⇒   dx_j = y_j · (dy_j − Σ_c dy_c·y_c)
 * Where y_j = 0 (a masked −∞ score) dx_j is exactly 0: a masked entry gets no gradient, whatever dy says.
 */
export function softmaxBackward(dy: Tensor, y: Tensor): Tensor {
  if (!sameShape(dy.shape, y.shape)) {
    fail('bad-shape', `softmaxBackward: dy ${formatShape(dy.shape)} does not match y ${formatShape(y.shape)}`);
  }
  const C = y.shape[y.shape.length - 1];
  const R = y.data.length / C;
  const dx = zerosLike(y);
  for (let r = 0; r < R; r++) {
    const o = r * C;
    let dot = 0;
    for (let c = 0; c < C; c++) dot += dy.data[o + c] * y.data[o + c];
    for (let c = 0; c < C; c++) {
      // Skipping y = 0 keeps masked entries at +0 (not −0 or NaN when dy is huge) for the views.
      if (y.data[o + c] !== 0) dx.data[o + c] = y.data[o + c] * (dy.data[o + c] - dot);
    }
  }
  return dx;
}
