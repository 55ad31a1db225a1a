/**
 * Column sums, the reduction in every bias and LayerNorm parameter gradient:
 *   out[j] += Σ_i a[i, j]              a: [N, M] → out: [M]     (db = Σ_rows dy)
 *   out[j] += Σ_i a[i, j] · b[i, j]    with `b`                  (dw = Σ_rows dy ⊙ x̂)
 * Accumulates, since gradients of a batch add up. One thread per column, walking the rows in order, so the sum is
 * deterministic (no atomics) and neighbouring threads read neighbouring addresses. Grid: flat over M.
 */
import type { GpuTensor } from '../context';
import type { Recorder } from '../scheduler';
import { expectShape, FLAT_BUILTINS, FLAT_GROUP, flatGrid } from './shared';

export function sumRows(rec: Recorder, a: GpuTensor, out: GpuTensor, b?: GpuTensor): void {
  const [N, M] = a.shape;
  expectShape(out, [M], 'sumRows output');
  if (b) expectShape(b, [N, M], 'sumRows b');
  rec.dispatch({
    key: `sumRows:${+!!b}`,
    code: () => /* wgsl */ `
struct Params { N: u32, M: u32 }
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read_write> Out: array<f32>;
${b ? '@group(0) @binding(2) var<storage, read> B: array<f32>;' : ''}
@group(0) @binding(${b ? 3 : 2}) var<uniform> p: Params;
@compute @workgroup_size(256)
fn main(${FLAT_BUILTINS}) {
  let j = ${FLAT_GROUP} * 256u + li;
  if (j >= p.M) { return; }
  var acc = 0.0;
  for (var i = 0u; i < p.N; i++) { acc += A[i * p.M + j]${b ? ' * B[i * p.M + j]' : ''}; }
  Out[j] += acc;
}`,
    buffers: b ? [a, out, b] : [a, out],
    uniforms: [N, M],
    workgroupSize: 256,
    workgroups: flatGrid(M, 256, rec.limits, 'sumRows'),
  });
}
