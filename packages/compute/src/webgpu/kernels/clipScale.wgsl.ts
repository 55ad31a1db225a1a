/**
 * Global gradient norm and the clipping factor, on the GPU so the optimizer step needs no round trip to the CPU:
 *   norm  = √(Σ partials)                                      partials: [P] (from sumSquares)
 *   ok    = norm is finite
 *   scale = ok ? (norm > maxNorm ? maxNorm / norm : 1) : 0
 *   status = [norm, scale, ok, 0]                              status: [4]
 * The optimizer kernels skip their update when ok = 0, so a diverged step leaves weights and moments untouched and
 * the engine reports 'training-diverged' from the one readback at the end of the step. One workgroup. Grid: [1, 1, 1].
 */
import type { GpuTensor } from '../context';
import type { Recorder } from '../scheduler';
import { f32Bits } from '../scheduler';
import { expectShape, REDUCE_BYTES, REDUCE_WGSL } from './shared';

export function clipScale(rec: Recorder, partials: GpuTensor, maxNorm: number, status: GpuTensor): void {
  expectShape(status, [4], 'clipScale status');
  rec.dispatch({
    key: 'clipScale',
    code: () => /* wgsl */ `
struct Params { n: u32, maxNorm: f32 }
@group(0) @binding(0) var<storage, read> Partials: array<f32>;
@group(0) @binding(1) var<storage, read_write> Status: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
${REDUCE_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) li: u32) {
  var s = 0.0;
  for (var i = li; i < p.n; i += 256u) { s += Partials[i]; }
  let norm = sqrt(reduceSum(s, li));
  if (li != 0u) { return; }
  // Inf and NaN have an all-ones exponent; testing the bits survives any fast-math folding.
  let ok = (bitcast<u32>(norm) & 0x7f800000u) != 0x7f800000u;
  Status[0] = norm;
  Status[1] = select(0.0, select(1.0, p.maxNorm / norm, norm > p.maxNorm), ok);
  Status[2] = select(0.0, 1.0, ok);
  Status[3] = 0.0;
}`,
    buffers: [partials, status],
    uniforms: [partials.shape[0], f32Bits(maxNorm)],
    workgroupSize: 256,
    workgroupStorageBytes: REDUCE_BYTES,
    workgroups: [1, 1, 1],
  });
}
