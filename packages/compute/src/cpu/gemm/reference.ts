import type { GemmCall } from './types';

/**
 * The plain triple loop, summing each output in one JS number (float64) and rounding once when it is stored.
 * It is the only path for Float64Array data (gradient checks want exactly this arithmetic) and the test oracle.
 */
export function gemmReference(call: GemmCall): void {
  const { kind, M, N, K, A, aOff, lda, B, bOff, ldb, C, cOff, ldc, accumulate, bias, biasOff } = call;
  // op(A)(i, p) and op(B)(p, j) as strides, so one loop serves every kind.
  const aRow = kind === 'tn' ? 1 : lda;
  const aCol = kind === 'tn' ? lda : 1;
  const bRow = kind === 'nt' ? 1 : ldb;
  const bCol = kind === 'nt' ? ldb : 1;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let p = 0; p < K; p++) s += A[aOff + i * aRow + p * aCol] * B[bOff + p * bRow + j * bCol];
      if (bias) s += bias[biasOff + j];
      const o = cOff + i * ldc + j;
      C[o] = accumulate ? C[o] + s : s;
    }
  }
}
