import { fail } from '../../errors';
import type { Tensor } from '../../tensor';
import { formatShape, sameShape, zerosLike } from '../../tensor';

/** Elementwise a + b for equal shapes (the residual adds). */
export function add(a: Tensor, b: Tensor): Tensor {
  if (!sameShape(a.shape, b.shape)) fail('bad-shape', `add: ${formatShape(a.shape)} + ${formatShape(b.shape)}`);
  const y = zerosLike(a);
  for (let i = 0; i < a.data.length; i++) y.data[i] = a.data[i] + b.data[i];
  return y;
}
