/**
 * SGD with momentum in place, matching train/optim.ts (the PyTorch form), per element:
 *   buf ← μ·buf + g + λ·θ        θ ← θ − lr·buf          θ, g, buf: [n]; λ = 0 unless the parameter is a matrix
 * Skipped entirely when status[2] = 0 (a non-finite gradient norm). Grid: flat, 256 elements per workgroup.
 */
import { numel } from '../../tensor';
import type { GpuTensor } from '../context';
import type { Recorder } from '../scheduler';
import { f32Bits } from '../scheduler';
import { expectShape, FLAT_BUILTINS, FLAT_GROUP, flatGrid } from './shared';

export interface SgdArgs {
  param: GpuTensor;
  grad: GpuTensor;
  buf: GpuTensor;
  status: GpuTensor;
  lr: number;
  momentum: number;
  lambda: number;
}

export function sgd(rec: Recorder, a: SgdArgs): void {
  expectShape(a.grad, a.param.shape, 'sgd grad');
  expectShape(a.buf, a.param.shape, 'sgd momentum buffer');
  const n = numel(a.param.shape);
  rec.dispatch({
    key: 'sgd',
    code: () => /* wgsl */ `
struct Params { n: u32, lr: f32, momentum: f32, lambda: f32 }
@group(0) @binding(0) var<storage, read_write> Theta: array<f32>;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read_write> Buf: array<f32>;
@group(0) @binding(3) var<storage, read> Status: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;
@compute @workgroup_size(256)
fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_GROUP} * 256u + li;
  if (i >= p.n || Status[2] == 0.0) { return; }
  let theta = Theta[i];
  let b = p.momentum * Buf[i] + G[i] + p.lambda * theta;
  Buf[i] = b;
  Theta[i] = theta - p.lr * b;
}`,
    buffers: [a.param, a.grad, a.buf, a.status],
    uniforms: [n, ...[a.lr, a.momentum, a.lambda].map(f32Bits)],
    workgroupSize: 256,
    workgroups: flatGrid(n, 256, rec.limits, 'sgd'),
  });
}
