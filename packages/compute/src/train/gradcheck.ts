import type { FloatArray, Tensor } from '../tensor';
import { zeros, zerosLike } from '../tensor';

/**
 * Finite-difference tools for checking hand-written gradients. They only make sense in float64: in float32 the
 * rounding error of f(x ± h) swamps the difference being measured.
 */

/**
 * ∂f/∂data[i] by the fourth-order central difference
 *   f'(x) ≈ [8·(f(x+h) − f(x−h)) − (f(x+2h) − f(x−2h))] / 12h
 * whose truncation error is O(h⁴) instead of the O(h²) of the two-point formula, so with h = 1e-3 the estimate is
 * good to ~1e-11 and a relative-error bar of 1e-6 is far above the noise (a real bug cannot hide under it).
 * data[i] is restored exactly afterwards.
 */
export function centralDifference(f: () => number, data: FloatArray, i: number, h = 1e-3): number {
  const x = data[i];
  const at = (v: number): number => {
    data[i] = v;
    return f();
  };
  const d1 = at(x + h) - at(x - h);
  const d2 = at(x + 2 * h) - at(x - 2 * h);
  data[i] = x;
  return (8 * d1 - d2) / (12 * h);
}

/**
 * |a − b| / max(|a|, |b|, floor). The floor keeps entries whose true gradient is ~0 (a key bias, a position no
 * sequence reached) from turning finite-difference noise of 1e-12 into a large "relative" error.
 */
export function relativeError(a: number, b: number, floor = 1e-6): number {
  if (a === b) return 0;
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), floor);
}

/** The finite-difference gradient of f with respect to every entry of t (or only `indices`), as a tensor like t. */
export function numericGradient(f: () => number, t: Tensor, indices?: readonly number[], h?: number): Tensor {
  const g = zerosLike(t);
  const idx = indices ?? Array.from({ length: t.data.length }, (_, i) => i);
  for (const i of idx) g.data[i] = centralDifference(f, t.data, i, h);
  return g;
}

export interface GradComparison {
  /** Largest relative error over the compared entries. */
  maxRelError: number;
  /** Flat index where it occurs, with both values, so a failure message can point at the entry. */
  index: number;
  analytic: number;
  numeric: number;
}

/** Compare an analytic gradient with a numeric one over `indices` (default: every entry). */
export function compareGradients(
  analytic: Tensor,
  numeric: Tensor,
  indices?: readonly number[],
  floor?: number,
): GradComparison {
  const idx = indices ?? Array.from({ length: analytic.data.length }, (_, i) => i);
  let worst: GradComparison = { maxRelError: 0, index: -1, analytic: 0, numeric: 0 };
  for (const i of idx) {
    const a = analytic.data[i];
    const n = numeric.data[i];
    const e = relativeError(a, n, floor);
    if (!(e <= worst.maxRelError)) worst = { maxRelError: e, index: i, analytic: a, numeric: n };
  }
  return worst;
}

/** A float64 tensor of normal(0, std) values from a seeded stream, for gradient checks. */
export function randomTensor(shape: readonly number[], rng: { normal(): number }, std = 1): Tensor {
  const t = zeros(shape, 'float64');
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal() * std;
  return t;
}

/**
 * Σ y ⊙ dy: a scalar whose gradient with respect to y is exactly dy. Checking an op's backward(dy) against finite
 * differences of this probe tests the op's vector–Jacobian product in every direction dy points.
 */
export function probeLoss(y: Tensor, dy: Tensor): number {
  let s = 0;
  for (let i = 0; i < y.data.length; i++) s += y.data[i] * dy.data[i];
  return s;
}
