/**
 * AdamW update in place, matching train/optim.ts (Loshchilov & Hutter), per element:
 *   m ← β1·m + (1 − β1)·g          v ← β2·v + (1 − β2)·g²
 *   θ ← θ − lr·(m / c1 / (√(v / c2) + ε) + λ·θ)        c1 = 1 − β1ᵗ, c2 = 1 − β2ᵗ (bias corrections, from the CPU)
 *   θ, g, m, v: [n]; λ = 0 unless the parameter is a matrix; status: [4] (clipScale's, plus status[3] = why not)
 * Two modes, so a step whose update would make a weight non-finite leaves every weight as it was:
 *   check: compute the update without writing it; if any θ, m or v would be non-finite and status[3] is still 0,
 *          set status[3] = `code` (the caller's 2 + parameter index, so the error can name the parameter)
 *   apply: write it, unless status[2] = 0 (a non-finite gradient norm) or status[3] ≠ 0 (a check or the loss failed)
 * Grid: flat, 256 elements per workgroup.
 */
import { numel } from '../../tensor';
import type { GpuTensor } from '../context';
import type { Recorder } from '../scheduler';
import { f32Bits } from '../scheduler';
import { expectShape, FINITE_WGSL, FLAT_BUILTINS, FLAT_GROUP, flatGrid } from './shared';

export interface AdamWArgs {
  param: GpuTensor;
  grad: GpuTensor;
  m: GpuTensor;
  v: GpuTensor;
  status: GpuTensor;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Bias corrections 1 − β1ᵗ and 1 − β2ᵗ for this step. */
  c1: number;
  c2: number;
  /** Weight decay for this parameter (0 unless it is a matrix). */
  lambda: number;
  /** Check mode: flag a non-finite result with this code (≥ 1) instead of writing. Absent: apply. */
  check?: number;
}

export function adamw(rec: Recorder, a: AdamWArgs): void {
  for (const [t, what] of [
    [a.grad, 'grad'],
    [a.m, 'm'],
    [a.v, 'v'],
  ] as const) {
    expectShape(t, a.param.shape, `adamw ${what}`);
  }
  const n = numel(a.param.shape);
  rec.dispatch({
    key: 'adamw',
    code: () => /* wgsl */ `
struct Params { n: u32, lr: f32, beta1: f32, beta2: f32, eps: f32, c1: f32, c2: f32, lambda: f32, check: f32 }
@group(0) @binding(0) var<storage, read_write> Theta: array<f32>;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read_write> M: array<f32>;
@group(0) @binding(3) var<storage, read_write> V: array<f32>;
@group(0) @binding(4) var<storage, read_write> Status: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;
${FINITE_WGSL}
@compute @workgroup_size(256)
fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_GROUP} * 256u + li;
  if (i >= p.n) { return; }
  let g = G[i];
  let m = p.beta1 * M[i] + (1.0 - p.beta1) * g;
  let v = p.beta2 * V[i] + (1.0 - p.beta2) * g * g;
  let theta = Theta[i];
  let next = theta - p.lr * ((m / p.c1) / (sqrt(v / p.c2) + p.eps) + p.lambda * theta);
  if (p.check != 0.0) {
    // Every writer writes the same code, and nothing in this dispatch reads it for anything else.
    if (!(finite(next) && finite(m) && finite(v)) && Status[3] == 0.0) { Status[3] = p.check; }
    return;
  }
  if (Status[2] == 0.0 || Status[3] != 0.0) { return; }
  M[i] = m;
  V[i] = v;
  Theta[i] = next;
}`,
    buffers: [a.param, a.grad, a.m, a.v, a.status],
    uniforms: [n, ...[a.lr, a.beta1, a.beta2, a.eps, a.c1, a.c2, a.lambda, a.check ?? 0].map(f32Bits)],
    workgroupSize: 256,
    workgroups: flatGrid(n, 256, rec.limits, 'adamw'),
  });
}
