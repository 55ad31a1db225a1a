import type { Tensor } from '../../tensor';
import { zerosLike } from '../../tensor';

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
