import type { GPTConfig } from '../config';
import { fail } from '../errors';
import type { GPTParams } from '../params';
import { flattenParams } from '../params';
import { createRng } from '../rng';
import type { FloatArray, Tensor } from '../tensor';
import { dtypeOf, zeros, zerosLike } from '../tensor';
import type { Batch } from './batch';
import { batchLoss, computeGradients, forwardBatch } from './gradients';

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
  const d = derivative((delta) => {
    data[i] = x + delta;
    return f();
  }, h);
  data[i] = x;
  return d;
}

/** f'(0) by the same fourth-order stencil, for a function of a displacement (e.g. a hook that adds it to a tensor). */
export function derivative(f: (delta: number) => number, h = 1e-3): number {
  const d1 = f(h) - f(-h);
  const d2 = f(2 * h) - f(-2 * h);
  return (8 * d1 - d2) / (12 * h);
}

/**
 * |a − b| / max(|a|, |b|, floor). The floor keeps entries whose true gradient is ~0 (a key bias, a position no
 * sequence reached) from turning finite-difference noise (~1e-12 for a whole-model loss) into a large "relative"
 * error: below 1e-5 the comparison is in effect absolute, to 1e-11.
 */
export function relativeError(a: number, b: number, floor = 1e-5): number {
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

export interface GradCheckEntry {
  /** `grad.params.<name>` or `grad.<hook>` (with the sequence index for hooks: `grad.<hook>[b]`). */
  name: string;
  /** How many entries were compared. */
  checked: number;
  worst: GradComparison;
}

export interface ModelGradCheckOptions {
  /** Random entries per parameter tensor (Infinity: every entry). Default 4. */
  entriesPerTensor?: number;
  /** Hooks whose activation gradient to check, e.g. ['blocks.0.attn.hook_pattern'], in every sequence. */
  hooks?: readonly string[];
  /** Random entries per hook and sequence (default 4). */
  entriesPerHook?: number;
  seed?: number;
  /** Finite-difference step (default 1e-3 with the fourth-order stencil). */
  h?: number;
}

/**
 * Compare the hand-written backward with finite differences of the batch loss, for every parameter tensor (and the
 * activation gradients of `hooks`, perturbed through a hook that adds a displacement to one entry). Needs float64
 * parameters. Returns one entry per tensor; each worst.maxRelError should be far below 1e-6.
 */
export function checkModelGradients(
  config: GPTConfig,
  params: GPTParams,
  batch: Batch,
  options: ModelGradCheckOptions = {},
): GradCheckEntry[] {
  const { entriesPerTensor = 4, hooks = [], entriesPerHook = 4, seed = 0, h } = options;
  if (dtypeOf(params.embed.W_E.data) !== 'float64') {
    fail('unsupported', 'gradient checks need float64 parameters (castParams(params, config, "float64"))');
  }
  const rng = createRng(seed);
  const pick = (n: number, k: number): number[] => {
    if (k >= n) return Array.from({ length: n }, (_, i) => i);
    return Array.from({ length: k }, () => Math.floor(rng.next() * n));
  };
  const gradHooks = hooks.map((n) => `grad.${n}`);
  const analytic = computeGradients(config, params, batch, { gradCapture: gradHooks });
  const loss = (hookFor?: (b: number) => Record<string, (v: Tensor) => void> | undefined): number =>
    batchLoss(forwardBatch(config, params, batch, { hooks: hookFor })).loss;
  const out: GradCheckEntry[] = [];

  const grads = flattenParams(analytic.grads);
  flattenParams(params).forEach(([name, p], k) => {
    const idx = pick(p.data.length, entriesPerTensor);
    const numeric = numericGradient(() => loss(), p, idx, h);
    out.push({ name: `grad.params.${name}`, checked: idx.length, worst: compareGradients(grads[k][1], numeric, idx) });
  });

  const B = batch.inputs.length;
  for (const hook of hooks) {
    const g = analytic.trace[`grad.${hook}`];
    if (!g) fail('bad-hook', `no activation gradient for ${hook} (see gradHookNames(config))`);
    const per = g.data.length / B; // [B, …] when B > 1, unbatched when B = 1
    for (let b = 0; b < B; b++) {
      const idx = pick(per, entriesPerHook);
      const a = zeros([per], 'float64');
      const n = zeros([per], 'float64');
      for (const i of idx) {
        a.data[i] = g.data[b * per + i];
        n.data[i] = derivative(
          (delta) =>
            loss((s) =>
              s === b
                ? {
                    [hook]: (v: Tensor) => {
                      v.data[i] += delta;
                    },
                  }
                : undefined,
            ),
          h,
        );
      }
      out.push({ name: `grad.${hook}[${b}]`, checked: idx.length, worst: compareGradients(a, n, idx) });
    }
  }
  return out;
}
