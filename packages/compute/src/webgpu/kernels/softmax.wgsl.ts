/**
 * Softmax over the last dimension, matching cpu/ops/softmax:
 *   y[r, :] = exp(x[r, :] − max) / Σ exp(x[r, :] − max)        x, y: [R, C] (any leading dims flattened into R)
 * −∞ entries (masked attention scores) give exactly 0, and a row that is entirely −∞ gives all zeros. The causal
 * mask itself is applied by the scores kernel (−∞ where mask = 0), so the same kernel serves attention patterns
 * (over keys) and next-token probabilities (over the vocabulary, after logits / temperature).
 * One workgroup per row (rowThreads: 64 or 256 threads), three strided sweeps (max, sum, write). Grid: flat over R rows.
 *
 * Where `threadPerRow` says so (many short rows such as attention patterns over a prompt, or any rows on a
 * CPU-emulated adapter) a barrier-free variant runs instead: one thread per row, the same three sweeps done
 * serially. Grid: flat over R rows, 64 per workgroup.
 */
import type { GpuTensor } from '../context';
import type { Recorder } from '../scheduler';
import {
  expectShape,
  FLAT_BUILTINS,
  FLAT_GROUP,
  flatGrid,
  IS_NEG_INF_WGSL,
  reduceWgsl,
  rowThreads,
  threadPerRow,
} from './shared';

export function softmax(rec: Recorder, x: GpuTensor, y: GpuTensor): void {
  expectShape(y, x.shape, 'softmax output');
  const C = x.shape[x.shape.length - 1];
  const R = x.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  if (threadPerRow(R, C, rec.emulated)) {
    rec.dispatch({
      key: 'softmax:perRow',
      code: perRowWgsl,
      buffers: [x, y],
      uniforms: [R, C],
      workgroupSize: 64,
      workgroups: flatGrid(R, 64, rec.limits, 'softmax'),
    });
    return;
  }
  const w = rowThreads(C);
  rec.dispatch({
    key: `softmax:${w}`,
    code: () => /* wgsl */ `
struct Params { rows: u32, cols: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
${reduceWgsl(w)}
${IS_NEG_INF_WGSL}
@compute @workgroup_size(${w})
fn main(${FLAT_BUILTINS}) {
  let r = ${FLAT_GROUP};
  if (r >= p.rows) { return; }
  let o = r * p.cols;
  var m = -0x1.fffffep+127f; // the lowest finite f32
  var live = 0.0;
  for (var c = li; c < p.cols; c += ${w}u) {
    let x = X[o + c];
    if (!isNegInf(x)) { m = max(m, x); live = 1.0; }
  }
  let rowMax = reduceMax(m, li);
  let anyLive = reduceMax(live, li) > 0.0;
  var s = 0.0;
  for (var c = li; c < p.cols; c += ${w}u) {
    let x = X[o + c];
    if (!isNegInf(x)) { s += exp(x - rowMax); }
  }
  let total = reduceSum(s, li);
  for (var c = li; c < p.cols; c += ${w}u) {
    let x = X[o + c];
    Y[o + c] = select(exp(x - rowMax) / total, 0.0, isNegInf(x) || !anyLive);
  }
}`,
    buffers: [x, y],
    uniforms: [R, C],
    workgroupSize: w,
    workgroupStorageBytes: w * 4,
    workgroups: flatGrid(R, 1, rec.limits, 'softmax'),
  });
}

function perRowWgsl(): string {
  return /* wgsl */ `
struct Params { rows: u32, cols: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
${IS_NEG_INF_WGSL}
@compute @workgroup_size(64)
fn main(${FLAT_BUILTINS}) {
  let r = ${FLAT_GROUP} * 64u + li;
  if (r >= p.rows) { return; }
  let o = r * p.cols;
  var m = -0x1.fffffep+127f; // the lowest finite f32
  var anyLive = false;
  for (var c = 0u; c < p.cols; c++) {
    let x = X[o + c];
    if (!isNegInf(x)) { m = max(m, x); anyLive = true; }
  }
  var s = 0.0;
  for (var c = 0u; c < p.cols; c++) {
    let x = X[o + c];
    if (!isNegInf(x)) { s += exp(x - m); }
  }
  for (var c = 0u; c < p.cols; c++) {
    let x = X[o + c];
    Y[o + c] = select(exp(x - m) / s, 0.0, isNegInf(x) || !anyLive);
  }
}`;
}
