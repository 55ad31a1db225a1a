import { fail } from '../../errors';
import type { Tensor } from '../../tensor';
import { formatShape, zerosLike } from '../../tensor';
import { gemm } from '../gemm';

/**
 * y = x · W + b
 *   x: [N, K], W: [K, M], b: [M] (optional) → y: [N, M]
 * The multiply is gemm (cpu/gemm): WebAssembly SIMD for float32 where the runtime has it, a blocked JS loop
 * otherwise, and a plain exact loop for float64 (the gradient checks), so every path computes the same sums.
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
  gemm('nn', N, M, K, x.data, W.data, y.data, { bias: b?.data });
  return y;
}

/**
 * y = x · Wᵀ   (the tied unembedding: logits = ln_final(x) · W_Eᵀ)
 *   x: [N, K], W: [M, K] → y: [N, M]
 * gemm reads W's rows directly as columns of Wᵀ, so no transpose is materialised.
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
  gemm('nt', N, M, K, x.data, W.data, y.data);
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
  gemm('nt', N, K, M, dy.data, W.data, dx.data); // dx = dy · Wᵀ
  gemm('tn', K, M, N, x.data, dy.data, dW.data); // dW = xᵀ · dy
  for (let i = 0; i < N; i++) for (let j = 0; j < M; j++) db.data[j] += dy.data[i * M + j]; // db = Σ_rows dy
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
  gemm('nn', N, K, M, dy.data, W.data, dx.data); // dx = dy · W
  gemm('tn', M, K, N, dy.data, x.data, dW.data); // dW = dyᵀ · x
  return { dx, dW };
}
