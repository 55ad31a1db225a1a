/**
 * LayerNorm over the last dimension, matching cpu/ops/layerNorm (biased variance, two passes for accuracy):
 *   scale[t] = sqrt(mean((x[t] − mean(x[t]))²) + eps)            x: [T, d] → scale: [T, 1] (hook_scale)
 *   out[t, i] = (x[t, i] − mean(x[t])) / scale[t] · w[i] + b[i]    w, b: [d] → out: [T, d] (hook_normalized)
 * With `givenScale`, scale is an input instead (a hook on hook_scale replaced it, and the CPU model recomputes the
 * output from the replaced scale: normalizeWithScale in cpu/model.ts).
 * One workgroup per row (rowThreads; grid: flat over T rows), or one thread per row where `threadPerRow` says so
 * (grid: flat over T rows, 64 per workgroup).
 */
import type { GpuTensor } from '../context';
import type { Recorder } from '../scheduler';
import { f32Bits } from '../scheduler';
import { expectShape, FLAT_BUILTINS, FLAT_GROUP, flatGrid, reduceWgsl, rowThreads, threadPerRow } from './shared';

export interface LayerNormArgs {
  x: GpuTensor;
  w: GpuTensor;
  b: GpuTensor;
  eps: number;
  out: GpuTensor;
  scale: GpuTensor;
  /** Read `scale` instead of computing and writing it. */
  givenScale?: boolean;
}

export function layerNorm(rec: Recorder, { x, w, b, eps, out, scale, givenScale = false }: LayerNormArgs): void {
  const [T, d] = x.shape;
  expectShape(w, [d], 'layerNorm w');
  expectShape(b, [d], 'layerNorm b');
  expectShape(out, [T, d], 'layerNorm output');
  expectShape(scale, [T, 1], 'layerNorm scale');
  if (threadPerRow(T, d, rec.emulated)) {
    rec.dispatch({
      key: `layerNorm:${+givenScale}:perRow`,
      code: () => layerNormWgsl(givenScale, 1),
      buffers: [x, w, b, out, scale],
      uniforms: [T, d, f32Bits(eps)],
      workgroupSize: 64,
      workgroups: flatGrid(T, 64, rec.limits, 'layerNorm'),
    });
    return;
  }
  const threads = rowThreads(d);
  rec.dispatch({
    key: `layerNorm:${+givenScale}:${threads}`,
    code: () => layerNormWgsl(givenScale, threads),
    buffers: [x, w, b, out, scale],
    uniforms: [T, d, f32Bits(eps)],
    workgroupSize: threads,
    workgroupStorageBytes: threads * 4,
    workgroups: flatGrid(T, 1, rec.limits, 'layerNorm'),
  });
}

/** `threads` per row; 1 is the barrier-free variant (64 rows per workgroup, each thread walks its row alone). */
function layerNormWgsl(givenScale: boolean, threads: number): string {
  const perRow = threads === 1;
  const first = perRow ? '0u' : 'li';
  const computeScale = /* wgsl */ `
  var v = 0.0;
  for (var i = ${first}; i < p.d; i += ${threads}u) {
    let c = X[o + i] - mean;
    v += c * c;
  }
  let sd = sqrt(reduceSum(v, li) / n + p.eps);
  if (${perRow ? 'true' : 'li == 0u'}) { Scale[r] = sd; }`;
  return /* wgsl */ `
struct Params { rows: u32, d: u32, eps: f32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> W: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> Out: array<f32>;
@group(0) @binding(4) var<storage, ${givenScale ? 'read' : 'read_write'}> Scale: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;
${perRow ? 'fn reduceSum(v: f32, li: u32) -> f32 { return v; }' : reduceWgsl(threads)}
@compute @workgroup_size(${perRow ? 64 : threads})
fn main(${FLAT_BUILTINS}) {
  let r = ${perRow ? `${FLAT_GROUP} * 64u + li` : FLAT_GROUP};
  if (r >= p.rows) { return; }
  let o = r * p.d;
  let n = f32(p.d);
  var s = 0.0;
  for (var i = ${first}; i < p.d; i += ${threads}u) { s += X[o + i]; }
  let mean = reduceSum(s, li) / n;
  ${givenScale ? 'let sd = Scale[r];' : computeScale}
  for (var i = ${first}; i < p.d; i += ${threads}u) {
    Out[o + i] = ((X[o + i] - mean) / sd) * W[i] + B[i];
  }
}`;
}
