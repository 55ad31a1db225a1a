import { fail } from '../../errors';
import { formatShape, sameShape } from '../../tensor';
import type { GpuLimits } from '../device';
import { deviceLimitError } from '../device';
import type { Recorder } from '../scheduler';

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

/**
 * How a row kernel maps rows onto invocations (see `threadPerRow`). A kernel writes its body once against these
 * WGSL pieces and works either way:
 *   let r = ${plan.row};  if (r >= p.rows) { return; }
 *   for (var c = ${plan.first}; c < p.cols; c += ${plan.step}) { … }     then reduceSum / reduceMax (in plan.reduce)
 *   if (${plan.leader}) { …the row's single outputs… }
 * With a workgroup per row the early return is uniform across the group (one row each), so the barriers inside the
 * reductions stay in uniform control flow; with a thread per row the reductions are the identity and there are none.
 */
export interface RowPlan {
  /** Pipeline-key suffix: the WGSL differs between the two mappings. */
  key: string;
  /** WGSL: `reduceSum(v, li)` and `reduceMax(v, li)` over the invocations sharing a row. */
  reduce: string;
  /** WGSL expression: this invocation's row. */
  row: string;
  /** WGSL: the first column this invocation visits and the stride to its next. */
  first: string;
  step: string;
  /** WGSL boolean: this invocation writes the row's scalar outputs. */
  leader: string;
  workgroupSize: number;
  workgroupStorageBytes: number;
  workgroups: [number, number, number];
}

const IDENTITY_REDUCE_WGSL = /* wgsl */ `
fn reduceSum(v: f32, li: u32) -> f32 { return v; }
fn reduceMax(v: f32, li: u32) -> f32 { return v; }`;

export function rowPlan(rec: Recorder, rows: number, cols: number, what: string, threads = rowThreads(cols)): RowPlan {
  if (threadPerRow(rows, cols, rec.emulated)) {
    return {
      key: 'perRow',
      reduce: IDENTITY_REDUCE_WGSL,
      row: `(${FLAT_GROUP} * 64u + li)`,
      first: '0u',
      step: '1u',
      leader: 'true',
      workgroupSize: 64,
      workgroupStorageBytes: 0,
      workgroups: flatGrid(rows, 64, rec.limits, what),
    };
  }
  return {
    key: String(threads),
    reduce: reduceWgsl(threads),
    row: FLAT_GROUP,
    first: 'li',
    step: `${threads}u`,
    leader: 'li == 0u',
    workgroupSize: threads,
    workgroupStorageBytes: threads * 4,
    workgroups: flatGrid(rows, 1, rec.limits, what),
  };
}

/** WGSL: true for −∞ (masked attention scores), tested on the bits so no fast-math folding can change it. */
export const IS_NEG_INF_WGSL = /* wgsl */ `
fn isNegInf(x: f32) -> bool { return bitcast<u32>(x) == 0xff800000u; }`;
