/**
 * Backward of softmax over the last dimension, from its output, matching cpu/ops/softmax (softmaxBackward):
 *   dx[r, c] = y[r, c] · (dy[r, c] − Σ_c' dy[r, c'] · y[r, c'])        dy, y, dx: [R, C]
 * Where y = 0 (a masked score) dx is exactly 0, whatever dy is. A workgroup or a thread per row (rowPlan).
 * Grid: flat over R rows.
 */
import type { GpuTensor } from '../context';
import type { Recorder } from '../scheduler';
import { expectShape, FLAT_BUILTINS, rowPlan } from './shared';

export function softmaxBackward(rec: Recorder, dy: GpuTensor, y: GpuTensor, dx: GpuTensor): void {
  expectShape(dy, y.shape, 'softmaxBackward dy');
  expectShape(dx, y.shape, 'softmaxBackward dx');
  const C = y.shape[y.shape.length - 1];
  const R = y.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const plan = rowPlan(rec, R, C, 'softmaxBackward');
  rec.dispatch({
    key: `softmaxBackward:${plan.key}`,
    code: () => /* wgsl */ `
struct Params { rows: u32, cols: u32 }
@group(0) @binding(0) var<storage, read> DY: array<f32>;
@group(0) @binding(1) var<storage, read> Y: array<f32>;
@group(0) @binding(2) var<storage, read_write> DX: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
${plan.reduce}
@compute @workgroup_size(${plan.workgroupSize})
fn main(${FLAT_BUILTINS}) {
  let r = ${plan.row};
  if (r >= p.rows) { return; }
  let o = r * p.cols;
  var s = 0.0;
  for (var c = ${plan.first}; c < p.cols; c += ${plan.step}) { s += DY[o + c] * Y[o + c]; }
  let dot = reduceSum(s, li);
  for (var c = ${plan.first}; c < p.cols; c += ${plan.step}) {
    let y = Y[o + c];
    DX[o + c] = select(y * (DY[o + c] - dot), 0.0, y == 0.0);
  }
}`,
    buffers: [dy, y, dx],
    uniforms: [R, C],
    workgroupSize: plan.workgroupSize,
    workgroupStorageBytes: plan.workgroupStorageBytes,
    workgroups: plan.workgroups,
  });
}
