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
