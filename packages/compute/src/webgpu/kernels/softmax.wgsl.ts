/**
 * Softmax over the last dimension, matching cpu/ops/softmax:
 *   y[r, :] = exp(x[r, :] − max) / Σ exp(x[r, :] − max)        x, y: [R, C] (any leading dims flattened into R)
 * −∞ entries (masked attention scores) give exactly 0, and a row that is entirely −∞ gives all zeros. The causal
 * mask itself is applied by the scores kernel (−∞ where mask = 0), so the same kernel serves attention patterns
 * (over keys) and next-token probabilities (over the vocabulary, after logits / temperature).
 * Three sweeps per row (max, sum, write), by a workgroup per row or a thread per row (rowPlan). Grid: flat over rows.
 */
import type { GpuTensor } from '../context';
import type { Recorder } from '../scheduler';
import { expectShape, FLAT_BUILTINS, IS_NEG_INF_WGSL, rowPlan } from './shared';

export function softmax(rec: Recorder, x: GpuTensor, y: GpuTensor): void {
  expectShape(y, x.shape, 'softmax output');
  const C = x.shape[x.shape.length - 1];
  const R = x.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const plan = rowPlan(rec, R, C, 'softmax');
  rec.dispatch({
    key: `softmax:${plan.key}`,
    code: () => /* wgsl */ `
struct Params { rows: u32, cols: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
${plan.reduce}
${IS_NEG_INF_WGSL}
@compute @workgroup_size(${plan.workgroupSize})
fn main(${FLAT_BUILTINS}) {
  let r = ${plan.row};
  if (r >= p.rows) { return; }
  let o = r * p.cols;
  var m = -0x1.fffffep+127f; // the lowest finite f32
  var live = 0.0;
  for (var c = ${plan.first}; c < p.cols; c += ${plan.step}) {
    let x = X[o + c];
    if (!isNegInf(x)) { m = max(m, x); live = 1.0; }
  }
  let rowMax = reduceMax(m, li);
  let anyLive = reduceMax(live, li) > 0.0;
  var s = 0.0;
  for (var c = ${plan.first}; c < p.cols; c += ${plan.step}) {
    let x = X[o + c];
    if (!isNegInf(x)) { s += exp(x - rowMax); }
  }
  let total = reduceSum(s, li);
  for (var c = ${plan.first}; c < p.cols; c += ${plan.step}) {
    let x = X[o + c];
    Y[o + c] = select(exp(x - rowMax) / total, 0.0, isNegInf(x) || !anyLive);
  }
}`,
    buffers: [x, y],
    uniforms: [R, C],
    workgroupSize: plan.workgroupSize,
    workgroupStorageBytes: plan.workgroupStorageBytes,
    workgroups: plan.workgroups,
  });
}
