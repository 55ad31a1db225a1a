/**
 * LayerNorm over the last dimension, matching cpu/ops/layerNorm (biased variance, two passes for accuracy):
 *   scale[t] = sqrt(mean((x[t] − mean(x[t]))²) + eps)            x: [T, d] → scale: [T, 1] (hook_scale)
 *   out[t, i] = (x[t, i] − mean(x[t])) / scale[t] · w[i] + b[i]    w, b: [d] → out: [T, d] (hook_normalized)
 * With `givenScale`, scale is an input instead (a hook on hook_scale replaced it, and the CPU model recomputes the
 * output from the replaced scale: normalizeWithScale in cpu/model.ts).
 * A workgroup per row or a thread per row (rowPlan). Grid: flat over T rows.
 */
import type { GpuTensor } from '../context';
import type { Recorder } from '../scheduler';
import { f32Bits } from '../scheduler';
import { expectShape, FLAT_BUILTINS, type RowPlan, rowPlan } from './shared';

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
  const plan = rowPlan(rec, T, d, 'layerNorm');
  rec.dispatch({
    key: `layerNorm:${+givenScale}:${plan.key}`,
    code: () => layerNormWgsl(givenScale, plan),
    buffers: [x, w, b, out, scale],
    uniforms: [T, d, f32Bits(eps)],
    workgroupSize: plan.workgroupSize,
    workgroupStorageBytes: plan.workgroupStorageBytes,
    workgroups: plan.workgroups,
  });
}

function layerNormWgsl(givenScale: boolean, plan: RowPlan): string {
  const computeScale = /* wgsl */ `
  var v = 0.0;
  for (var i = ${plan.first}; i < p.d; i += ${plan.step}) {
    let c = X[o + i] - mean;
    v += c * c;
  }
  let sd = sqrt(reduceSum(v, li) / n + p.eps);
  if (${plan.leader}) { Scale[r] = sd; }`;
  return /* wgsl */ `
struct Params { rows: u32, d: u32, eps: f32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> W: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> Out: array<f32>;
@group(0) @binding(4) var<storage, ${givenScale ? 'read' : 'read_write'}> Scale: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;
${plan.reduce}
@compute @workgroup_size(${plan.workgroupSize})
fn main(${FLAT_BUILTINS}) {
  let r = ${plan.row};
  if (r >= p.rows) { return; }
  let o = r * p.d;
  let n = f32(p.d);
  var s = 0.0;
  for (var i = ${plan.first}; i < p.d; i += ${plan.step}) { s += X[o + i]; }
  let mean = reduceSum(s, li) / n;
  ${givenScale ? 'let sd = Scale[r];' : computeScale}
  for (var i = ${plan.first}; i < p.d; i += ${plan.step}) {
    Out[o + i] = ((X[o + i] - mean) / sd) * W[i] + B[i];
  }
}`;
}
