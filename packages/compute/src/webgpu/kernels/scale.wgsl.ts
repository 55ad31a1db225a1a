/**
 * Elementwise multiplication by a scalar (logits · (1 / temperature) → hook_scaled_logits, as the CPU model does):
 *   y = x · s        x, y: [n], s: a float
 * Grid: flat, 256 elements per workgroup.
 */
import { numel } from '../../tensor';
import type { GpuTensor } from '../context';
import type { Recorder } from '../scheduler';
import { f32Bits } from '../scheduler';
import { expectShape, FLAT_BUILTINS, FLAT_GROUP, flatGrid } from './shared';

export function scaleBy(rec: Recorder, x: GpuTensor, s: number, y: GpuTensor): void {
  expectShape(y, x.shape, 'scale output');
  const n = numel(x.shape);
  rec.dispatch({
    key: 'scaleBy',
    code: () => /* wgsl */ `
struct Params { n: u32, s: f32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
@compute @workgroup_size(256)
fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_GROUP} * 256u + li;
  if (i >= p.n) { return; }
  Y[i] = X[i] * p.s;
}`,
    buffers: [x, y],
    uniforms: [n, f32Bits(s)],
    workgroupSize: 256,
    workgroups: flatGrid(n, 256, rec.limits, 'scaleBy'),
  });
}
