import { fail } from '../../errors';
import type { Tensor } from '../../tensor';
import { formatShape, zerosLike } from '../../tensor';

/**
 * y = x · W + b
 *   x: [N, K], W: [K, M], b: [M] (optional) → y: [N, M]
 * The i-k-j loop order streams through rows of W, which keeps the inner loop contiguous for both W and y.
 */
export function linear(x: Tensor, W: Tensor, b?: Tensor): Tensor {
  const [N, K] = x.shape;
  const [K2, M] = W.shape;
  if (x.shape.length !== 2 || W.shape.length !== 2 || K !== K2) {
    fail('bad-shape', `linear: cannot multiply ${formatShape(x.shape)} by ${formatShape(W.shape)}`);
  }
  if (b && (b.shape.length !== 1 || b.shape[0] !== M)) {
    fail('bad-shape', `linear: bias ${formatShape(b.shape)} does not match output width ${M}`);
  }
  const y = zerosLike(x, [N, M]);
  const xd = x.data;
  const wd = W.data;
  const yd = y.data;
  for (let i = 0; i < N; i++) {
    const yo = i * M;
    if (b) yd.set(b.data, yo);
    const xo = i * K;
    for (let k = 0; k < K; k++) {
      const a = xd[xo + k];
      if (a === 0) continue;
      const wo = k * M;
      for (let j = 0; j < M; j++) yd[yo + j] += a * wd[wo + j];
    }
  }
  return y;
}

/**
 * y = x · Wᵀ   (the tied unembedding: logits = ln_final(x) · W_Eᵀ)
 *   x: [N, K], W: [M, K] → y: [N, M]
 * Each output is a dot product of two contiguous rows, so no transpose is materialised.
 */
export function linearTransposed(x: Tensor, W: Tensor): Tensor {
  const [N, K] = x.shape;
  const [M, K2] = W.shape;
  if (x.shape.length !== 2 || W.shape.length !== 2 || K !== K2) {
    fail(
      'bad-shape',
      `linearTransposed: cannot multiply ${formatShape(x.shape)} by the transpose of ${formatShape(W.shape)}`,
    );
  }
  const y = zerosLike(x, [N, M]);
  const xd = x.data;
  const wd = W.data;
  for (let i = 0; i < N; i++) {
    const xo = i * K;
    for (let j = 0; j < M; j++) {
      const wo = j * K;
      let s = 0;
      for (let k = 0; k < K; k++) s += xd[xo + k] * wd[wo + k];
      y.data[i * M + j] = s;
    }
  }
  return y;
}

/** Gradients of y = x · W + b, one per input. */
export interface LinearGrads {
  /** ∂L/∂x: [N, K] */
  dx: Tensor;
  /** ∂L/∂W: [K, M] */
  dW: Tensor;
  /** ∂L/∂b: [M] */
  db: Tensor;
}

/**
 * Backward of y = x · W + b.   dy: [N, M], x: [N, K], W: [K, M]
 *   dx = dy · Wᵀ        each input reaches every output through its row of W
 *   dW = xᵀ · dy        every row of x used the same W, so the N contributions add up
 *   db = Σ_rows dy      the bias was added to every row
 */
export function linearBackward(dy: Tensor, x: Tensor, W: Tensor): LinearGrads {
  const [N, K] = x.shape;
  const M = W.shape[1];
  if (W.shape[0] !== K || dy.shape.length !== 2 || dy.shape[0] !== N || dy.shape[1] !== M) {
    fail(
      'bad-shape',
      `linearBackward: dy ${formatShape(dy.shape)} does not match x ${formatShape(x.shape)} · W ${formatShape(W.shape)}`,
    );
  }
  const dx = zerosLike(x);
  const dW = zerosLike(x, [K, M]);
  const db = zerosLike(x, [M]);
  for (let i = 0; i < N; i++) {
    const dyo = i * M;
    for (let j = 0; j < M; j++) db.data[j] += dy.data[dyo + j];
    for (let k = 0; k < K; k++) {
      const wo = k * M;
      const a = x.data[i * K + k];
      let s = 0;
      for (let j = 0; j < M; j++) {
        s += dy.data[dyo + j] * W.data[wo + j];
        dW.data[wo + j] += a * dy.data[dyo + j];
      }
      dx.data[i * K + k] = s;
    }
  }
  return { dx, dW, db };
}

/**
 * Backward of y = x · Wᵀ (the tied unembedding).   dy: [N, M], x: [N, K], W: [M, K]
 *   dx = dy · W     [N, K]
 *   dW = dyᵀ · x    [M, K]   row j of W collects every position's x weighted by how much logit j should move
 */
export function linearTransposedBackward(dy: Tensor, x: Tensor, W: Tensor): Omit<LinearGrads, 'db'> {
  const [N, K] = x.shape;
  const M = W.shape[0];
  if (W.shape[1] !== K || dy.shape.length !== 2 || dy.shape[0] !== N || dy.shape[1] !== M) {
    fail(
      'bad-shape',
      `linearTransposedBackward: dy ${formatShape(dy.shape)} does not match x ${formatShape(x.shape)} · Wᵀ of ${formatShape(W.shape)}`,
    );
  }
  const dx = zerosLike(x);
  const dW = zerosLike(x, [M, K]);
  for (let i = 0; i < N; i++) {
    const xo = i * K;
    for (let j = 0; j < M; j++) {
      const g = dy.data[i * M + j];
      if (g === 0) continue;
      const wo = j * K;
      for (let k = 0; k < K; k++) {
        dx.data[xo + k] += g * W.data[wo + k];
        dW.data[wo + k] += g * x.data[xo + k];
      }
    }
  }
  return { dx, dW };
}
