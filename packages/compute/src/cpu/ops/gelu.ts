import { fail } from '../../errors';
import type { Tensor } from '../../tensor';
import { formatShape, sameShape, zerosLike } from '../../tensor';

/** sqrt(2/π), the constant in GPT-2's tanh approximation of GELU. */
export const GELU_C = Math.sqrt(2 / Math.PI);

/** GELU, tanh approximation (GPT-2's "gelu_new"): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). Any shape. */
export function gelu(x: Tensor): Tensor {
  const y = zerosLike(x);
  const xs = x.data;
  const ys = y.data;
  if (xs instanceof Float64Array) {
    for (let i = 0; i < xs.length; i++) ys[i] = 0.5 * xs[i] * (1 + Math.tanh(geluArg(xs[i])));
  } else {
    for (let i = 0; i < xs.length; i++) ys[i] = 0.5 * xs[i] * (1 + tanhFloat32(geluArg(xs[i])));
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
  const xs = x.data;
  const dys = dy.data;
  const dxs = dx.data;
  const f64 = xs instanceof Float64Array;
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    const th = f64 ? Math.tanh(geluArg(v)) : tanhFloat32(geluArg(v));
    const slope = 0.5 * (1 + th) + 0.5 * v * (1 - th * th) * GELU_C * (1 + 3 * 0.044715 * v * v);
    dxs[i] = dys[i] * slope;
  }
  return dx;
}

/** u = √(2/π)·(x + 0.044715·x³), the argument of tanh. */
function geluArg(v: number): number {
  return GELU_C * (v + 0.044715 * v * v * v);
}

/**
 * Float64 data keeps Math.tanh (the gradient checks and the float64 reference want it exactly); float32 data, rounded
 * to float32 when stored anyway, uses `tanhFloat32`: Math.tanh costs ~18 ns a call in V8, which had made GELU the
 * largest single cost of a small model's forward pass.
 *
 * tanh to float32 accuracy (error < 3·10⁻⁷): Eigen's rational approximation (odd degree-13 polynomial over even
 * degree-6, fitted on [−7.9, 7.9]) — a dozen multiply-adds and one division. Outside [−3, 7.9] it falls back to
 * Math.tanh: there 1 + tanh u, which GELU needs, is small, and the approximation's absolute error would be a large
 * relative one (and past 7.9 the fit no longer holds). Few pre-activations are out there, so this costs little.
 */
export function tanhFloat32(u: number): number {
  if (u < -3 || u > 7.9) return Math.tanh(u);
  const u2 = u * u;
  let p = -2.76076847742355e-16;
  p = p * u2 + 2.00018790482477e-13;
  p = p * u2 - 8.60467152213735e-11;
  p = p * u2 + 5.12229709037114e-8;
  p = p * u2 + 1.48572235717979e-5;
  p = p * u2 + 6.37261928875436e-4;
  p = p * u2 + 4.89352455891786e-3;
  let q = 1.19825839466702e-6;
  q = q * u2 + 1.18534705686654e-4;
  q = q * u2 + 2.268434632439e-3;
  q = q * u2 + 4.89352518554385e-3;
  return (p * u) / q;
}
