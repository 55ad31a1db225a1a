/**
 * Backward of LayerNorm per row, matching cpu/ops/layerNorm (layerNormBackward):
 *   x̂ = (x − mean(x)) / s,  g = dy ⊙ w
 *   dx = (g − mean(g) − x̂ · mean(g ⊙ x̂)) / s          dy, x: [T, d], w: [d], scale s: [T, 1] → dx: [T, d]
 *   dScale = −d · mean(g ⊙ x̂) / s                      → dScale: [T, 1] (what grad.….hook_scale shows)
 *   xhat = x̂                                            → xhat: [T, d], for dw = Σ_rows dy ⊙ x̂ (sumRows)
 * The parameter gradients dw, db sum over rows, so they are left to the deterministic column-sum kernel instead of
 * atomics here. A workgroup per row or a thread per row (rowPlan). Grid: flat over T rows.
 */
import type { GpuTensor } from '../context';
import type { Recorder } from '../scheduler';
import { expectShape, FLAT_BUILTINS, rowPlan } from './shared';

export interface LayerNormBackwardArgs {
  dy: GpuTensor;
  x: GpuTensor;
  w: GpuTensor;
  scale: GpuTensor;
  dx: GpuTensor;
  dScale: GpuTensor;
  xhat: GpuTensor;
}

export function layerNormBackward(rec: Recorder, { dy, x, w, scale, dx, dScale, xhat }: LayerNormBackwardArgs): void {
  const [T, d] = x.shape;
  expectShape(dy, [T, d], 'layerNormBackward dy');
  expectShape(w, [d], 'layerNormBackward w');
  expectShape(scale, [T, 1], 'layerNormBackward scale');
  expectShape(dx, [T, d], 'layerNormBackward dx');
  expectShape(dScale, [T, 1], 'layerNormBackward dScale');
  expectShape(xhat, [T, d], 'layerNormBackward xhat');
  const plan = rowPlan(rec, T, d, 'layerNormBackward');
  rec.dispatch({
    key: `layerNormBackward:${plan.key}`,
    code: () => /* wgsl */ `
struct Params { rows: u32, d: u32 }
@group(0) @binding(0) var<storage, read> DY: array<f32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> W: array<f32>;
@group(0) @binding(3) var<storage, read> Scale: array<f32>;
@group(0) @binding(4) var<storage, read_write> DX: array<f32>;
@group(0) @binding(5) var<storage, read_write> DScale: array<f32>;
@group(0) @binding(6) var<storage, read_write> XHat: array<f32>;
@group(0) @binding(7) var<uniform> p: Params;
${plan.reduce}
@compute @workgroup_size(${plan.workgroupSize})
fn main(${FLAT_BUILTINS}) {
  let r = ${plan.row};
  if (r >= p.rows) { return; }
  let o = r * p.d;
  let n = f32(p.d);
  let s = Scale[r];
  var acc = 0.0;
  for (var i = ${plan.first}; i < p.d; i += ${plan.step}) { acc += X[o + i]; }
  let mean = reduceSum(acc, li) / n;
  var sg = 0.0;
  var sgx = 0.0;
  for (var i = ${plan.first}; i < p.d; i += ${plan.step}) {
    let xh = (X[o + i] - mean) / s;
    XHat[o + i] = xh;
    let g = DY[o + i] * W[i];
    sg += g;
    sgx += g * xh;
  }
  let meanG = reduceSum(sg, li) / n;
  let meanGX = reduceSum(sgx, li) / n;
  for (var i = ${plan.first}; i < p.d; i += ${plan.step}) {
    let g = DY[o + i] * W[i];
    DX[o + i] = (g - meanG - XHat[o + i] * meanGX) / s;
  }
  if (${plan.leader}) { DScale[r] = -meanGX * n / s; }
}`,
    buffers: [dy, x, w, scale, dx, dScale, xhat],
    uniforms: [T, d],
    workgroupSize: plan.workgroupSize,
    workgroupStorageBytes: plan.workgroupStorageBytes,
    workgroups: plan.workgroups,
  });
}
