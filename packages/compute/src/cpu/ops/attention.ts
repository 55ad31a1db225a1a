import { fail } from '../../errors';
import type { Tensor } from '../../tensor';
import { formatShape, zerosLike } from '../../tensor';

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

/**
 * Backward of z = pattern · v (per head).   dz: [T, H, dh], pattern: [H, T, S], v: [S, H, dh]
 *   dPattern[h, t, s] = dz[t, h] · v[s, h]          how much the loss wants query t to weigh key s more
 *   dv[s, h]          = Σ_t pattern[h, t, s] · dz[t, h]
 * dPattern is the true partial derivative everywhere, masked entries included (a hook that edited a masked entry of
 * the pattern would change z); the mask stops the gradient one step later, in softmaxBackward.
 */
export function attentionMixBackward(dz: Tensor, pattern: Tensor, v: Tensor): { dPattern: Tensor; dv: Tensor } {
  const [H, T, S] = pattern.shape;
  const dh = v.shape[2];
  if (dz.data.length !== T * H * dh || v.data.length !== S * H * dh) {
    fail(
      'bad-shape',
      `attentionMixBackward: dz ${formatShape(dz.shape)}, pattern ${formatShape(pattern.shape)}, v ${formatShape(v.shape)}`,
    );
  }
  const dPattern = zerosLike(pattern);
  const dv = zerosLike(v);
  for (let h = 0; h < H; h++) {
    for (let t = 0; t < T; t++) {
      const zo = (t * H + h) * dh;
      const po = (h * T + t) * S;
      for (let s = 0; s < S; s++) {
        const vo = (s * H + h) * dh;
        const p = pattern.data[po + s];
        let dot = 0;
        for (let i = 0; i < dh; i++) {
          dot += dz.data[zo + i] * v.data[vo + i];
          dv.data[vo + i] += p * dz.data[zo + i];
        }
        dPattern.data[po + s] = dot;
      }
    }
  }
  return { dPattern, dv };
}

/**
 * Backward of scores[h, t, s] = q[t, h]·k[s, h] / sqrt(dh) over the allowed (mask = 1) entries.
 *   dScores: [H, T, S], q: [T, H, dh], k: [S, H, dh], mask: [T, S]
 *   dq[t, h] = Σ_s dScores[h, t, s] · k[s, h] / sqrt(dh)
 *   dk[s, h] = Σ_t dScores[h, t, s] · q[t, h] / sqrt(dh)
 * Masked scores are the constant −∞, not a function of q or k, so they contribute nothing.
 */
export function attentionScoresBackward(
  dScores: Tensor,
  q: Tensor,
  k: Tensor,
  mask: Tensor,
): { dq: Tensor; dk: Tensor } {
  const [T, H, dh] = q.shape;
  const S = k.shape[0];
  if (dScores.data.length !== H * T * S || k.data.length !== S * H * dh || mask.data.length !== T * S) {
    fail(
      'bad-shape',
      `attentionScoresBackward: dScores ${formatShape(dScores.shape)}, q ${formatShape(q.shape)}, k ${formatShape(k.shape)}, mask ${formatShape(mask.shape)}`,
    );
  }
  const dq = zerosLike(q);
  const dk = zerosLike(k);
  const inv = 1 / Math.sqrt(dh);
  for (let h = 0; h < H; h++) {
    for (let t = 0; t < T; t++) {
      const qo = (t * H + h) * dh;
      const so = (h * T + t) * S;
      for (let s = 0; s < S; s++) {
        if (mask.data[t * S + s] === 0) continue;
        const g = dScores.data[so + s] * inv;
        if (g === 0) continue;
        const ko = (s * H + h) * dh;
        for (let i = 0; i < dh; i++) {
          dq.data[qo + i] += g * k.data[ko + i];
          dk.data[ko + i] += g * q.data[qo + i];
        }
      }
    }
  }
  return { dq, dk };
}
