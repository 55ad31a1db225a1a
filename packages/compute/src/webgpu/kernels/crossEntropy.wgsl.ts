/**
 * Next-token cross-entropy and its gradient in one pass over the logits (matching train/loss.ts):
 *   loss[t]      = logsumexp(z[t]) − z[t, y_t]                          z: [T, V], targets y: [T] (u32) → loss: [T]
 *   dlogits[t]   = (softmax(z[t]) − onehot(y_t)) / N                    → dlogits: [T, V]
 * N counts every position of the batch (the loss is their mean). A workgroup of 256 threads per row, or a thread
 * per row (rowPlan).
 * Grid: flat over T rows.
 */
import type { GpuTensor } from '../context';
import type { Recorder } from '../scheduler';
import { f32Bits } from '../scheduler';
import { expectShape, FLAT_BUILTINS, rowPlan } from './shared';

export interface CrossEntropyArgs {
  logits: GpuTensor;
  targets: GpuTensor;
  /** Positions in the whole batch. */
  N: number;
  loss: GpuTensor;
  dlogits: GpuTensor;
}

export function crossEntropy(rec: Recorder, { logits, targets, N, loss, dlogits }: CrossEntropyArgs): void {
  const [T, V] = logits.shape;
  expectShape(targets, [T], 'crossEntropy targets');
  expectShape(loss, [T], 'crossEntropy loss');
  expectShape(dlogits, [T, V], 'crossEntropy dlogits');
  const plan = rowPlan(rec, T, V, 'crossEntropy', 256);
  rec.dispatch({
    key: `crossEntropy:${plan.key}`,
    code: () => /* wgsl */ `
struct Params { rows: u32, cols: u32, invN: f32 }
@group(0) @binding(0) var<storage, read> Z: array<f32>;
@group(0) @binding(1) var<storage, read> Targets: array<u32>;
@group(0) @binding(2) var<storage, read_write> Loss: array<f32>;
@group(0) @binding(3) var<storage, read_write> DZ: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;
${plan.reduce}
@compute @workgroup_size(${plan.workgroupSize})
fn main(${FLAT_BUILTINS}) {
  let r = ${plan.row};
  if (r >= p.rows) { return; }
  let o = r * p.cols;
  var m = -0x1.fffffep+127f;
  for (var c = ${plan.first}; c < p.cols; c += ${plan.step}) { m = max(m, Z[o + c]); }
  let rowMax = reduceMax(m, li);
  var s = 0.0;
  for (var c = ${plan.first}; c < p.cols; c += ${plan.step}) { s += exp(Z[o + c] - rowMax); }
  let total = reduceSum(s, li);
  let y = Targets[r];
  for (var c = ${plan.first}; c < p.cols; c += ${plan.step}) {
    DZ[o + c] = (exp(Z[o + c] - rowMax) / total - select(0.0, 1.0, c == y)) * p.invN;
  }
  if (${plan.leader}) { Loss[r] = rowMax + log(total) - Z[o + y]; }
}`,
    buffers: [logits, targets, loss, dlogits],
    uniforms: [T, V, f32Bits(1 / N)],
    workgroupSize: plan.workgroupSize,
    workgroupStorageBytes: plan.workgroupStorageBytes,
    workgroups: plan.workgroups,
  });
}
