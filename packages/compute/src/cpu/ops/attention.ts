import { fail } from '../../errors';
import type { FloatArray, Tensor } from '../../tensor';
import { formatShape, zerosLike } from '../../tensor';
import { gemm } from '../gemm';

/**
 * The attention arithmetic, split into the steps the hooks expose. Layouts:
 *   q: [T, H, dh] (T new positions), k, v: [S, H, dh] (S = cached + T key positions)
 *   mask: [T, S], scores/pattern: [H, T, S], z: [T, H, dh]
 * Query t sits at absolute position past + t where past = S − T, so it may see keys 0 … past + t.
 *
 * The products run per head through gemm (WebAssembly SIMD for float32), on the operands in place: q, k, v, z are
 * [·, d] matrices (d = H·dh) whose columns h·dh … (h+1)·dh − 1 belong to head h, so head h's slice starts at offset
 * h·dh with row stride d; scores and pattern hold head h's dense [T, S] block at offset h·T·S. In float64 gemm is
 * the plain loop, summing in the same order as the definitions below.
 */

/** 1 where query t may attend to key s (s ≤ past + t), else 0. */
export function causalMask(T: number, S: number, like: Tensor): Tensor {
  const mask = zerosLike(like, [T, S]);
  const past = S - T;
  for (let t = 0; t < T; t++) for (let s = 0; s <= past + t; s++) mask.data[t * S + s] = 1;
  return mask;
}

/**
 * scores[h, t, s] = q[t, h]·k[s, h] / sqrt(dh) where mask[t, s] = 1, −∞ elsewhere.
 * The masked entries are computed too and then overwritten: on a causal [T, T] block that wastes half the products,
 * but in SIMD they still cost far less than a scalar loop that skips them.
 */
export function attentionScores(q: Tensor, k: Tensor, mask: Tensor): Tensor {
  const [T, H, dh] = q.shape;
  const S = k.shape[0];
  const scores = zerosLike(q, [H, T, S]);
  headsTimesHeadsT(H, dh, T, S, q.data, k.data, scores.data); // scores_h = q_h · k_hᵀ
  const inv = 1 / Math.sqrt(dh);
  const sc = scores.data;
  const m = mask.data;
  for (let h = 0; h < H; h++) {
    for (let t = 0; t < T; t++) {
      const so = (h * T + t) * S;
      for (let s = 0; s < S; s++) sc[so + s] = m[t * S + s] === 0 ? Number.NEGATIVE_INFINITY : sc[so + s] * inv;
    }
  }
  return scores;
}

/** z[t, h] = Σ_s pattern[h, t, s] · v[s, h]: per head, z_h = pattern_h · v_h, one gemm. */
export function attentionMix(pattern: Tensor, v: Tensor): Tensor {
  const [H, T, S] = pattern.shape;
  const dh = v.shape[2];
  const z = zerosLike(v, [T, H, dh]);
  blocksTimesHeads(H, dh, T, S, pattern.data, v.data, z.data);
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
  headsTimesHeadsT(H, dh, T, S, dz.data, v.data, dPattern.data); // dPattern_h = dz_h · v_hᵀ
  blocksTTimesHeads(H, dh, S, T, pattern.data, dz.data, dv.data); // dv_h = pattern_hᵀ · dz_h
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
  const g = maskedScaled(dScores, mask, 1 / Math.sqrt(dh));
  blocksTimesHeads(H, dh, T, S, g.data, k.data, dq.data); // dq_h = g_h · k_h
  blocksTTimesHeads(H, dh, S, T, g.data, q.data, dk.data); // dk_h = g_hᵀ · q_h
  return { dq, dk };
}

/** dScores · inv where the mask allows, 0 where it does not (those scores were the constant −∞).   [H, T, S] */
function maskedScaled(dScores: Tensor, mask: Tensor, inv: number): Tensor {
  const [H, T, S] = dScores.shape;
  const g = zerosLike(dScores);
  const m = mask.data;
  for (let h = 0; h < H; h++) {
    for (let t = 0; t < T; t++) {
      const o = (h * T + t) * S;
      for (let s = 0; s < S; s++) if (m[t * S + s] !== 0) g.data[o + s] = dScores.data[o + s] * inv;
    }
  }
  return g;
}

// The three per-head products. "Heads" are [rows, H·dh] matrices whose head h is the column slice h·dh … with row
// stride H·dh; "blocks" are [H, r, c] tensors whose head h is the dense r × c block at h·r·c. The option objects are
// written out literally: building them by spreading costs measurably on a decode step.

/** C_h = X_h · Y_hᵀ: X [rows, H·dh], Y [cols, H·dh] heads → C [H, rows, cols] blocks. */
function headsTimesHeadsT(
  H: number,
  dh: number,
  rows: number,
  cols: number,
  X: FloatArray,
  Y: FloatArray,
  C: FloatArray,
) {
  const d = H * dh;
  for (let h = 0; h < H; h++) {
    gemm('nt', rows, cols, dh, X, Y, C, {
      aOffset: h * dh,
      lda: d,
      bOffset: h * dh,
      ldb: d,
      cOffset: h * rows * cols,
      ldc: cols,
    });
  }
}

/** C_h = P_h · Y_h: P [H, rows, inner] blocks, Y [inner, H·dh] heads → C [rows, H·dh] heads. */
function blocksTimesHeads(
  H: number,
  dh: number,
  rows: number,
  inner: number,
  P: FloatArray,
  Y: FloatArray,
  C: FloatArray,
) {
  const d = H * dh;
  for (let h = 0; h < H; h++) {
    gemm('nn', rows, dh, inner, P, Y, C, {
      aOffset: h * rows * inner,
      lda: inner,
      bOffset: h * dh,
      ldb: d,
      cOffset: h * dh,
      ldc: d,
    });
  }
}

/** C_h = P_hᵀ · Y_h: P [H, inner, rows] blocks, Y [inner, H·dh] heads → C [rows, H·dh] heads. */
function blocksTTimesHeads(
  H: number,
  dh: number,
  rows: number,
  inner: number,
  P: FloatArray,
  Y: FloatArray,
  C: FloatArray,
) {
  const d = H * dh;
  for (let h = 0; h < H; h++) {
    gemm('tn', rows, dh, inner, P, Y, C, {
      aOffset: h * inner * rows,
      lda: rows,
      bOffset: h * dh,
      ldb: d,
      cOffset: h * dh,
      ldc: d,
    });
  }
}
