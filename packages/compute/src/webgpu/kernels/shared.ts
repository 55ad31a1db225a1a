import { fail } from '../../errors';
import { formatShape, sameShape } from '../../tensor';
import type { GpuLimits } from '../device';
import { deviceLimitError } from '../device';

/**
 * Workgroup grids for kernels that walk a flat range of `items` (elements, rows), `perGroup` at a time.
 *
 * A 1-D grid is capped at maxComputeWorkgroupsPerDimension (65,535 on most devices), which a [T, V] logits tensor
 * already exceeds at 256 per group. So the groups are laid out as x × y and the shader rebuilds the flat group
 * index with FLAT_GROUP below: group = wg.y · num_workgroups.x + wg.x. Groups past the end exit early.
 */
export function flatGrid(items: number, perGroup: number, limits: GpuLimits, what: string): [number, number, number] {
  const groups = Math.ceil(items / perGroup);
  const max = limits.maxComputeWorkgroupsPerDimension;
  if (groups <= max) return [groups, 1, 1];
  const y = Math.ceil(groups / max);
  if (y > max) throw deviceLimitError('maxComputeWorkgroupsPerDimension', y, max, what);
  return [Math.ceil(groups / y), y, 1];
}

/** WGSL: the flat workgroup index of a `flatGrid` dispatch (needs `wg` and `nwg` builtins in scope). */
export const FLAT_GROUP = '(wg.y * nwg.x + wg.x)';

/** WGSL builtins every flat-grid kernel declares in its entry point's parameters. */
export const FLAT_BUILTINS =
  '@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32';

/** WGSL `finite(x)`: false for ±Inf and NaN (an all-ones exponent). Testing the bits survives fast-math folding. */
export const FINITE_WGSL = /* wgsl */ `
fn finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }`;

/** Throws bad-shape unless `t` has exactly `shape`: kernels trust their uniforms, so shapes are checked here. */
export function expectShape(t: { shape: readonly number[] }, shape: readonly number[], what: string): void {
  if (!sameShape(t.shape, shape))
    fail('bad-shape', `${what} has shape ${formatShape(t.shape)}, expected ${formatShape(shape)}`);
}

/**
 * WGSL: workgroup-wide sum and max over `threads` threads (tree reduction in workgroup memory). Every thread gets
 * the result. Must be called from uniform control flow (it contains barriers); the result itself is not uniform, so
 * use it in arithmetic and `select`, not in branches around barriers.
 */
export function reduceWgsl(threads: number): string {
  return /* wgsl */ `
var<workgroup> red: array<f32, ${threads}>;
fn reduceSum(v: f32, li: u32) -> f32 {
  red[li] = v;
  workgroupBarrier();
  for (var s = ${threads / 2}u; s > 0u; s >>= 1u) {
    if (li < s) { red[li] += red[li + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
fn reduceMax(v: f32, li: u32) -> f32 {
  red[li] = v;
  workgroupBarrier();
  for (var s = ${threads / 2}u; s > 0u; s >>= 1u) {
    if (li < s) { red[li] = max(red[li], red[li + s]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}`;
}

/** The 256-thread reduction most reduction kernels use. */
export const REDUCE_WGSL = reduceWgsl(256);
export const REDUCE_BYTES = 256 * 4;

/**
 * Threads per row for the one-workgroup-per-row kernels (softmax, LayerNorm and their backwards). Rows up to 2048
 * wide (attention rows, the residual width) get 64 threads, ≤ 32 values each: every barrier of the reduction then
 * waits for 64 threads, not 256, which matters on CPU implementations like SwiftShader and costs nothing on a GPU.
 * Vocabulary-wide rows (the probabilities) get 256.
 */
export function rowThreads(cols: number): 64 | 256 {
  return cols <= 2048 ? 64 : 256;
}

/**
 * Row kernels (softmax, LayerNorm) can give each row a workgroup that reduces it with barriers, or one thread that
 * walks it alone. One thread per row wins where barriers are dear (CPU-emulated adapters such as SwiftShader, where
 * a barrier switches every invocation of the group: 85 → 3 ms for Austen's attention softmaxes) and, on a GPU, where
 * rows are short and many (attention patterns over a prompt), so that a serial walk is short and there are still
 * enough threads. Few or wide rows (one decoded token, the vocabulary) keep the workgroup.
 */
export function threadPerRow(rows: number, cols: number, emulated: boolean): boolean {
  return emulated || (cols <= 256 && rows >= 128);
}

/** WGSL: true for −∞ (masked attention scores), tested on the bits so no fast-math folding can change it. */
export const IS_NEG_INF_WGSL = /* wgsl */ `
fn isNegInf(x: f32) -> bool { return bitcast<u32>(x) == 0xff800000u; }`;
