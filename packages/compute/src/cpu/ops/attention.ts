import type { Tensor } from '../../tensor';
import { zerosLike } from '../../tensor';

/**
 * The attention arithmetic, split into the steps the hooks expose. Layouts:
 *   q: [T, H, dh] (T new positions), k, v: [S, H, dh] (S = cached + T key positions)
 *   mask: [T, S], scores/pattern: [H, T, S], z: [T, H, dh]
 * Query t sits at absolute position past + t where past = S − T, so it may see keys 0 … past + t.
 */

/** 1 where query t may attend to key s (s ≤ past + t), else 0. */
export function causalMask(T: number, S: number, like: Tensor): Tensor {
  const mask = zerosLike(like, [T, S]);
  const past = S - T;
  for (let t = 0; t < T; t++) for (let s = 0; s <= past + t; s++) mask.data[t * S + s] = 1;
  return mask;
}

/** scores[h, t, s] = q[t, h]·k[s, h] / sqrt(dh) where mask[t, s] = 1, −∞ elsewhere. */
export function attentionScores(q: Tensor, k: Tensor, mask: Tensor): Tensor {
  const [T, H, dh] = q.shape;
  const S = k.shape[0];
  const scores = zerosLike(q, [H, T, S]);
  const inv = 1 / Math.sqrt(dh);
  for (let h = 0; h < H; h++) {
    for (let t = 0; t < T; t++) {
      const qo = (t * H + h) * dh;
      const so = (h * T + t) * S;
      for (let s = 0; s < S; s++) {
        if (mask.data[t * S + s] === 0) {
          scores.data[so + s] = Number.NEGATIVE_INFINITY;
          continue;
        }
        const ko = (s * H + h) * dh;
        let dot = 0;
        for (let i = 0; i < dh; i++) dot += q.data[qo + i] * k.data[ko + i];
        scores.data[so + s] = dot * inv;
      }
    }
  }
  return scores;
}

/** z[t, h] = Σ_s pattern[h, t, s] · v[s, h]. */
export function attentionMix(pattern: Tensor, v: Tensor): Tensor {
  const [H, T, S] = pattern.shape;
  const dh = v.shape[2];
  const z = zerosLike(v, [T, H, dh]);
  for (let h = 0; h < H; h++) {
    for (let t = 0; t < T; t++) {
      const zo = (t * H + h) * dh;
      const po = (h * T + t) * S;
      for (let s = 0; s < S; s++) {
        const p = pattern.data[po + s];
        if (p === 0) continue;
        const vo = (s * H + h) * dh;
        for (let i = 0; i < dh; i++) z.data[zo + i] += p * v.data[vo + i];
      }
    }
  }
  return z;
}
