import { fail } from '../../errors';
import type { Tensor } from '../../tensor';
import { formatShape, zerosLike } from '../../tensor';

/** Rows of a table: out[t] = table[ids[t]].   table: [V, d], ids: length T → [T, d]. Ids are checked by the caller. */
export function gatherRows(table: Tensor, ids: readonly number[]): Tensor {
  const d = table.shape[1];
  const out = zerosLike(table, [ids.length, d]);
  for (let t = 0; t < ids.length; t++) out.data.set(table.data.subarray(ids[t] * d, (ids[t] + 1) * d), t * d);
  return out;
}

/** Position rows start … start+T−1 of W_pos: [T, d]. `start` is the number of positions already in the KV cache. */
export function positionRows(W_pos: Tensor, start: number, T: number): Tensor {
  return gatherRows(
    W_pos,
    Array.from({ length: T }, (_, t) => start + t),
  );
}

/**
 * Backward of gatherRows: a scatter-add.   dOut: [T, d], ids: length T → dTable: [rows, d]
 *   dTable[ids[t]] += dOut[t]
 * A token that appears twice gets both gradients added; rows that were never read get exactly zero.
 */
export function gatherRowsBackward(dOut: Tensor, ids: readonly number[], rows: number): Tensor {
  const d = dOut.shape[1];
  if (dOut.shape.length !== 2 || dOut.shape[0] !== ids.length) {
    fail('bad-shape', `gatherRowsBackward: dOut ${formatShape(dOut.shape)} for ${ids.length} ids`);
  }
  const dTable = zerosLike(dOut, [rows, d]);
  for (let t = 0; t < ids.length; t++) {
    const id = ids[t];
    if (!Number.isInteger(id) || id < 0 || id >= rows)
      fail('bad-ids', `gatherRowsBackward: id ${id} is not a row of ${rows}`);
    const o = id * d;
    for (let i = 0; i < d; i++) dTable.data[o + i] += dOut.data[t * d + i];
  }
  return dTable;
}

/** Backward of positionRows: dOut [T, d] lands in rows start … start+T−1 of a [nPositions, d] gradient. */
export function positionRowsBackward(dOut: Tensor, start: number, nPositions: number): Tensor {
  return gatherRowsBackward(
    dOut,
    Array.from({ length: dOut.shape[0] }, (_, t) => start + t),
    nPositions,
  );
}
