import { fail } from '../../errors';
import type { Tensor } from '../../tensor';
import { formatShape, sameShape, zerosLike } from '../../tensor';

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

/**
 * Backward of GELU (tanh approximation), elementwise.   dy, x: any equal shape
 * With u = √(2/π)·(x + 0.044715·x³):
 *   gelu'(x) = 0.5·(1 + tanh u) + 0.5·x·(1 − tanh² u)·√(2/π)·(1 + 3·0.044715·x²)
 *   dx = dy · gelu'(x)
 */
export function geluBackward(dy: Tensor, x: Tensor): Tensor {
  if (!sameShape(dy.shape, x.shape)) {
    fail('bad-shape', `geluBackward: dy ${formatShape(dy.shape)} does not match x ${formatShape(x.shape)}`);
  }
  const dx = zerosLike(x);
  for (let i = 0; i < x.data.length; i++) {
    const v = x.data[i];
    const th = Math.tanh(GELU_C * (v + 0.044715 * v * v * v));
    const slope = 0.5 * (1 + th) + 0.5 * v * (1 - th * th) * GELU_C * (1 + 3 * 0.044715 * v * v);
    dx.data[i] = dy.data[i] * slope;
  }
  return dx;
}
