/**
 * Backward of the embedding gathers, a scatter-add (matching cpu/ops/embedding gatherRowsBackward):
 *   dTable[rows[u], :] += Σ_{j = offsets[u]} ^{offsets[u+1]−1} dOut[positions[j], :]
 *   dOut: [T, d]; rows: [U] distinct table rows; offsets: [U + 1]; positions: [T] (u32, grouped by row) → dTable: [R, d]
 * The grouping (which positions read which row) is built on the CPU from the ids (scatterPlan), so each output
 * element has exactly one thread and sums its positions in ascending order: deterministic, no float atomics (WGSL
 * has none), the same order as the CPU loop. One thread per (distinct row, column). Grid: flat over U·d.
 */
import { fail } from '../../errors';
import type { GpuTensor } from '../context';
import type { Recorder } from '../scheduler';
import { FLAT_BUILTINS, FLAT_GROUP, flatGrid } from './shared';

/** Distinct rows in first-seen order, with the positions that read each, flattened (CSR). */
export interface ScatterPlan {
  rows: Uint32Array;
  offsets: Uint32Array;
  positions: Uint32Array;
}

export function scatterPlan(ids: readonly number[]): ScatterPlan {
  const byRow = new Map<number, number[]>();
  ids.forEach((id, t) => {
    const list = byRow.get(id);
    if (list) list.push(t);
    else byRow.set(id, [t]);
  });
  const rows = Uint32Array.from(byRow.keys());
  const offsets = new Uint32Array(rows.length + 1);
  const positions = new Uint32Array(ids.length);
  let k = 0;
  [...byRow.values()].forEach((ts, u) => {
    positions.set(ts, k);
    k += ts.length;
    offsets[u + 1] = k;
  });
  return { rows, offsets, positions };
}

export interface ScatterArgs {
  dOut: GpuTensor;
  /** Uploaded ScatterPlan arrays (u32). */
  rows: GpuTensor;
  offsets: GpuTensor;
  positions: GpuTensor;
  dTable: GpuTensor;
}

export function scatterAddRows(rec: Recorder, { dOut, rows, offsets, positions, dTable }: ScatterArgs): void {
  const [T, d] = dOut.shape;
  const U = rows.shape[0];
  if (dTable.shape[1] !== d || offsets.shape[0] !== U + 1 || positions.shape[0] !== T) {
    fail('bad-shape', 'scatterAddRows: plan does not match dOut or dTable');
  }
  rec.dispatch({
    key: 'scatterAddRows',
    code: () => /* wgsl */ `
struct Params { n: u32, d: u32 }
@group(0) @binding(0) var<storage, read> DOut: array<f32>;
@group(0) @binding(1) var<storage, read> Rows: array<u32>;
@group(0) @binding(2) var<storage, read> Offsets: array<u32>;
@group(0) @binding(3) var<storage, read> Positions: array<u32>;
@group(0) @binding(4) var<storage, read_write> DTable: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;
@compute @workgroup_size(256)
fn main(${FLAT_BUILTINS}) {
  let idx = ${FLAT_GROUP} * 256u + li;
  if (idx >= p.n) { return; }
  let u = idx / p.d;
  let i = idx % p.d;
  var acc = 0.0;
  for (var j = Offsets[u]; j < Offsets[u + 1u]; j++) { acc += DOut[Positions[j] * p.d + i]; }
  DTable[Rows[u] * p.d + i] += acc;
}`,
    buffers: [dOut, rows, offsets, positions, dTable],
    uniforms: [U * d, d],
    workgroupSize: 256,
    workgroups: flatGrid(U * d, 256, rec.limits, 'scatterAddRows'),
  });
}
