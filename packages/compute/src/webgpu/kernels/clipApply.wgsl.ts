/**
 * Scale a gradient in place by the clipping factor clipScale left in the status buffer:
 *   g *= status[1]          g: [n], status: [4]
 * Grid: flat, 256 elements per workgroup.
 */
import { numel } from '../../tensor';
import type { GpuTensor } from '../context';
import type { Recorder } from '../scheduler';
import { FLAT_BUILTINS, FLAT_GROUP, flatGrid } from './shared';

export function clipApply(rec: Recorder, g: GpuTensor, status: GpuTensor): void {
  const n = numel(g.shape);
  rec.dispatch({
    key: 'clipApply',
    code: () => /* wgsl */ `
struct Params { n: u32 }
@group(0) @binding(0) var<storage, read_write> G: array<f32>;
@group(0) @binding(1) var<storage, read> Status: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
@compute @workgroup_size(256)
fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_GROUP} * 256u + li;
  if (i >= p.n) { return; }
  G[i] = G[i] * Status[1];
}`,
    buffers: [g, status],
    uniforms: [n],
    workgroupSize: 256,
    workgroups: flatGrid(n, 256, rec.limits, 'clipApply'),
  });
}
