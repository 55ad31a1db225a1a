/**
 * Partial sums of squares, the first half of the global gradient norm:
 *   partials[offset + g] = Σ x[i]²  over the 4096-element chunk g of x          x: [n] → partials[offset … + ⌈n/4096⌉)
 * Each parameter's gradient writes its own range of one shared partials buffer; clipScale adds them all up. Every
 * thread sums 16 strided elements, then the workgroup reduces: a fixed order, so the norm is deterministic.
 * Grid: flat over ⌈n/4096⌉ chunks.
 */
import { numel } from '../../tensor';
import type { GpuTensor } from '../context';
import type { Recorder } from '../scheduler';
import { FLAT_BUILTINS, FLAT_GROUP, flatGrid, REDUCE_BYTES, REDUCE_WGSL } from './shared';

export const SUM_SQUARES_CHUNK = 4096;

export function sumSquaresChunks(n: number): number {
  return Math.ceil(n / SUM_SQUARES_CHUNK);
}

export function sumSquares(rec: Recorder, x: GpuTensor, partials: GpuTensor, offset: number): void {
  const n = numel(x.shape);
  rec.dispatch({
    key: 'sumSquares',
    code: () => /* wgsl */ `
struct Params { n: u32, offset: u32, chunks: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Partials: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
${REDUCE_WGSL}
@compute @workgroup_size(256)
fn main(${FLAT_BUILTINS}) {
  let g = ${FLAT_GROUP};
  if (g >= p.chunks) { return; } // a 2-D grid can overshoot; those groups must not write another tensor's partial
  let base = g * ${SUM_SQUARES_CHUNK}u;
  var s = 0.0;
  for (var k = 0u; k < 16u; k++) {
    let i = base + k * 256u + li;
    if (i < p.n) { s += X[i] * X[i]; }
  }
  let total = reduceSum(s, li);
  if (li == 0u) { Partials[p.offset + g] = total; }
}`,
    buffers: [x, partials],
    uniforms: [n, offset, sumSquaresChunks(n)],
    workgroupSize: 256,
    workgroupStorageBytes: REDUCE_BYTES,
    workgroups: flatGrid(sumSquaresChunks(n), 1, rec.limits, 'sumSquares'),
  });
}
