/**
 * GELU, tanh approximation (GPT-2's "gelu_new"), elementwise over any shape:
 *   y = 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))       x, y: [n]
 * tanh is written as sign(u) · (1 − e^(−2|u|)) / (1 + e^(−2|u|)): WGSL's tanh may overflow to NaN for large |u| on
 * some drivers, and this form never exponentiates a positive number.
 * Grid: flat, 256 elements per workgroup.
 */
import { GELU_C } from '../../cpu/ops/gelu';
import { numel } from '../../tensor';
import type { GpuTensor } from '../context';
import type { Recorder } from '../scheduler';
import { expectShape, FLAT_BUILTINS, FLAT_GROUP, flatGrid } from './shared';

/** WGSL: stable tanh, shared with the GELU backward kernel. */
export const TANH_WGSL = /* wgsl */ `
fn stableTanh(u: f32) -> f32 {
  let e = exp(-2.0 * abs(u));
  return sign(u) * (1.0 - e) / (1.0 + e);
}`;

export function gelu(rec: Recorder, x: GpuTensor, y: GpuTensor): void {
  expectShape(y, x.shape, 'gelu output');
  const n = numel(x.shape);
  rec.dispatch({
    key: 'gelu',
    code: () => /* wgsl */ `
struct Params { n: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
${TANH_WGSL}
@compute @workgroup_size(256)
fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_GROUP} * 256u + li;
  if (i >= p.n) { return; }
  let v = X[i];
  Y[i] = 0.5 * v * (1.0 + stableTanh(${GELU_C} * (v + 0.044715 * v * v * v)));
}`,
    buffers: [x, y],
    uniforms: [n],
    workgroupSize: 256,
    workgroups: flatGrid(n, 256, rec.limits, 'gelu'),
  });
}
