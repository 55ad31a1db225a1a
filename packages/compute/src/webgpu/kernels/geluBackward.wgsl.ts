/**
 * Backward of GELU (tanh approximation), matching cpu/ops/gelu (geluBackward), elementwise:
 *   u = √(2/π)·(x + 0.044715·x³)
 *   dx = dy · (0.5·(1 + tanh u) + 0.5·x·(1 − tanh² u)·√(2/π)·(1 + 3·0.044715·x²))
 *   dy, x, dx: [n]
 * Grid: flat, 256 elements per workgroup.
 */
import { GELU_C } from '../../cpu/ops/gelu';
import { numel } from '../../tensor';
import type { GpuTensor } from '../context';
import type { Recorder } from '../scheduler';
import { TANH_WGSL } from './gelu.wgsl';
import { expectShape, FLAT_BUILTINS, FLAT_GROUP, flatGrid } from './shared';

export function geluBackward(rec: Recorder, dy: GpuTensor, x: GpuTensor, dx: GpuTensor): void {
  expectShape(dy, x.shape, 'geluBackward dy');
  expectShape(dx, x.shape, 'geluBackward dx');
  const n = numel(x.shape);
  rec.dispatch({
    key: 'geluBackward',
    code: () => /* wgsl */ `
struct Params { n: u32 }
@group(0) @binding(0) var<storage, read> DY: array<f32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> DX: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
${TANH_WGSL}
@compute @workgroup_size(256)
fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_GROUP} * 256u + li;
  if (i >= p.n) { return; }
  let v = X[i];
  let th = stableTanh(${GELU_C} * (v + 0.044715 * v * v * v));
  let slope = 0.5 * (1.0 + th) + 0.5 * v * (1.0 - th * th) * ${GELU_C} * (1.0 + 3.0 * 0.044715 * v * v);
  DX[i] = DY[i] * slope;
}`,
    buffers: [dy, x, dx],
    uniforms: [n],
    workgroupSize: 256,
    workgroups: flatGrid(n, 256, rec.limits, 'geluBackward'),
  });
}
