/**
 * Flag a tensor holding ±Inf or NaN, for the training step's divergence check:
 *   status[3] = code   if any x[i] is non-finite and status[3] is still 0         x: [n], status: [4]
 * The training step runs it on the per-position losses after clipScale (which zeroes status[3]) and before the
 * optimizer, so a non-finite loss stops the update even where the gradients stayed finite. Every writer writes the
 * same code. Grid: flat, 256 elements per workgroup.
 */
import { numel } from '../../tensor';
import type { GpuTensor } from '../context';
import type { Recorder } from '../scheduler';
import { f32Bits } from '../scheduler';
import { expectShape, FINITE_WGSL, FLAT_BUILTINS, FLAT_GROUP, flatGrid } from './shared';

export function flagNonFinite(rec: Recorder, x: GpuTensor, status: GpuTensor, code: number): void {
  expectShape(status, [4], 'flagNonFinite status');
  const n = numel(x.shape);
  rec.dispatch({
    key: 'flagNonFinite',
    code: () => /* wgsl */ `
struct Params { n: u32, code: f32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Status: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
${FINITE_WGSL}
@compute @workgroup_size(256)
fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_GROUP} * 256u + li;
  if (i >= p.n) { return; }
  if (!finite(X[i]) && Status[3] == 0.0) { Status[3] = p.code; }
}`,
    buffers: [x, status],
    uniforms: [n, f32Bits(code)],
    workgroupSize: 256,
    workgroups: flatGrid(n, 256, rec.limits, 'flagNonFinite'),
  });
}
