/**
 * Embedding lookups: rows of a table.
 *   gatherRows:    out[t, :] = table[ids[t], :]       table: [R, d], ids: [T] (u32), out: [T, d]
 *   positionRows:  out[t, :] = table[start + t, :]    table: [n_positions, d], out: [T, d]
 * A batch of B sequences (the training step) is gathered in one dispatch over its B·T rows: gatherRows takes the
 * sequences' ids one after another, and positionRows with `seqLen` T repeats positions start … start+T−1 for each
 * sequence (out[b·T + t] = table[start + t]), since every sequence of a batch starts at position 0.
 * Ids are checked on the CPU before upload (bad-ids); the GPU trusts them.
 * Grid: flat over rows·d elements, 256 per workgroup.
 */
import { fail } from '../../errors';
import type { GpuTensor } from '../context';
import type { Recorder } from '../scheduler';
import { expectShape, FLAT_BUILTINS, FLAT_GROUP, flatGrid } from './shared';

function record(
  rec: Recorder,
  table: GpuTensor,
  ids: GpuTensor | null,
  start: number,
  out: GpuTensor,
  seqLen: number,
): void {
  const [N, d] = out.shape;
  if (table.shape.length !== 2 || table.shape[1] !== d) fail('bad-shape', 'gather: table width differs from output');
  if (ids) expectShape(ids, [N], 'gather ids');
  else {
    if (!(seqLen >= 1 && N % seqLen === 0)) fail('bad-shape', `gather: ${N} rows are not sequences of ${seqLen}`);
    if (start + seqLen > table.shape[0]) {
      fail('bad-ids', `positions ${start}…${start + seqLen - 1} exceed the table`);
    }
  }
  const row = ids ? 'Ids[t]' : 'p.start + t % p.T';
  const b = ids ? 1 : 0;
  rec.dispatch({
    key: ids ? 'gatherRows' : 'positionRows',
    code: () => /* wgsl */ `
struct Params { n: u32, d: u32, start: u32, T: u32 }
@group(0) @binding(0) var<storage, read> Table: array<f32>;
${ids ? '@group(0) @binding(1) var<storage, read> Ids: array<u32>;' : ''}
@group(0) @binding(${b + 1}) var<storage, read_write> Out: array<f32>;
@group(0) @binding(${b + 2}) var<uniform> p: Params;
@compute @workgroup_size(256)
fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_GROUP} * 256u + li;
  if (i >= p.n) { return; }
  let t = i / p.d;
  Out[i] = Table[(${row}) * p.d + i % p.d];
}`,
    buffers: ids ? [table, ids, out] : [table, out],
    uniforms: [N * d, d, start, seqLen],
    workgroupSize: 256,
    workgroups: flatGrid(N * d, 256, rec.limits, 'gather'),
  });
}

export function gatherRows(rec: Recorder, table: GpuTensor, ids: GpuTensor, out: GpuTensor): void {
  record(rec, table, ids, 0, out, 1);
}

/** `seqLen`: the length of each sequence in `out` (default: all of out's rows, one sequence). */
export function positionRows(
  rec: Recorder,
  table: GpuTensor,
  start: number,
  out: GpuTensor,
  seqLen = out.shape[0],
): void {
  record(rec, table, null, start, out, seqLen);
}
