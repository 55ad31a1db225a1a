/**
 * SGD with momentum in place, matching train/optim.ts (the PyTorch form), per element:
 *   buf ← μ·buf + g + λ·θ        θ ← θ − lr·buf          θ, g, buf: [n]; λ = 0 unless the parameter is a matrix
 * status: [4]. The same two modes as adamw: `check` flags a would-be non-finite θ or buf in status[3] (if still 0)
 * without writing; apply writes unless status[2] = 0 (non-finite gradient norm) or status[3] ≠ 0.
 * Grid: flat, 256 elements per workgroup.
 */
import { numel } from '../../tensor';
import type { GpuTensor } from '../context';
import type { Recorder } from '../scheduler';
import { f32Bits } from '../scheduler';
import { expectShape, FINITE_WGSL, FLAT_BUILTINS, FLAT_GROUP, flatGrid } from './shared';

export interface SgdArgs {
  param: GpuTensor;
  grad: GpuTensor;
  buf: GpuTensor;
  status: GpuTensor;
  lr: number;
  momentum: number;
  lambda: number;
  /** Check mode: flag a non-finite result with this code (≥ 1) instead of writing. Absent: apply. */
  check?: number;
}

export function sgd(rec: Recorder, a: SgdArgs): void {
  expectShape(a.grad, a.param.shape, 'sgd grad');
  expectShape(a.buf, a.param.shape, 'sgd momentum buffer');
  const n = numel(a.param.shape);
  rec.dispatch({
    key: 'sgd',
    code: () => /* wgsl */ `
struct Params { n: u32, lr: f32, momentum: f32, lambda: f32, check: f32 }
@group(0) @binding(0) var<storage, read_write> Theta: array<f32>;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read_write> Buf: array<f32>;
@group(0) @binding(3) var<storage, read_write> Status: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;
${FINITE_WGSL}
@compute @workgroup_size(256)
fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_GROUP} * 256u + li;
  if (i >= p.n) { return; }
  let theta = Theta[i];
  let b = p.momentum * Buf[i] + G[i] + p.lambda * theta;
  let next = theta - p.lr * b;
  if (p.check != 0.0) {
    if (!(finite(next) && finite(b)) && Status[3] == 0.0) { Status[3] = p.check; }
    return;
  }
  if (Status[2] == 0.0 || Status[3] != 0.0) { return; }
  Buf[i] = b;
  Theta[i] = next;
}`,
    buffers: [a.param, a.grad, a.buf, a.status],
    uniforms: [n, ...[a.lr, a.momentum, a.lambda, a.check ?? 0].map(f32Bits)],
    workgroupSize: 256,
    workgroups: flatGrid(n, 256, rec.limits, 'sgd'),
  });
}
