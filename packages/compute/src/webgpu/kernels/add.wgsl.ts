/**
 * Elementwise sum of two equally shaped tensors (the residual adds; the embedding sum):
 *   y = a + b        a, b, y: [n]     (y must be a third buffer: WebGPU forbids binding one buffer as both
 *                                     read-only and writable storage in a dispatch)
 * Grid: flat, 256 elements per workgroup.
 */
import { numel } from '../../tensor';
import type { GpuTensor } from '../context';
import type { Recorder } from '../scheduler';
import { expectShape, FLAT_BUILTINS, FLAT_GROUP, flatGrid } from './shared';

export function add(rec: Recorder, a: GpuTensor, b: GpuTensor, y: GpuTensor): void {
  expectShape(b, a.shape, 'add b');
  expectShape(y, a.shape, 'add output');
  const n = numel(a.shape);
  rec.dispatch({
    key: 'add',
    code: () => /* wgsl */ `
struct Params { n: u32 }
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
@compute @workgroup_size(256)
fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_GROUP} * 256u + li;
  if (i >= p.n) { return; }
  Y[i] = A[i] + B[i];
}`,
    buffers: [a, b, y],
    uniforms: [n],
    workgroupSize: 256,
    workgroups: flatGrid(n, 256, rec.limits, 'add'),
  });
}
