/**
 * The causal mask for T new queries over S = past + T keys (query t sits at absolute position past + t):
 *   mask[t, s] = 1 if s ≤ past + t, else 0        mask: [T, S]
 * Grid: flat over T·S, 256 per workgroup.
 */
import type { GpuTensor } from '../context';
import type { Recorder } from '../scheduler';
import { FLAT_BUILTINS, FLAT_GROUP, flatGrid } from './shared';

export function causalMask(rec: Recorder, mask: GpuTensor): void {
  const [T, S] = mask.shape;
  rec.dispatch({
    key: 'causalMask',
    code: () => /* wgsl */ `
struct Params { T: u32, S: u32 }
@group(0) @binding(0) var<storage, read_write> Mask: array<f32>;
@group(0) @binding(1) var<uniform> p: Params;
@compute @workgroup_size(256)
fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_GROUP} * 256u + li;
  if (i >= p.T * p.S) { return; }
  let t = i / p.S;
  let s = i % p.S;
  Mask[i] = select(0.0, 1.0, s <= p.S - p.T + t);
}`,
    buffers: [mask],
    uniforms: [T, S],
    workgroupSize: 256,
    workgroups: flatGrid(T * S, 256, rec.limits, 'causalMask'),
  });
}
