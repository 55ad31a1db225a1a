import type { FloatArray } from '../../tensor';
import type { GemmCall } from './types';

/**
 * Float32 gemm in plain JavaScript, for engines without WebAssembly SIMD.
 *
 * Register blocking: each 4×4 tile of C is summed in 16 local numbers, so every value loaded from A or B feeds
 * four multiply-adds instead of one (the naive i-k-j loop loads and stores C on every step). op(B) is packed one
 * column panel at a time into a small scratch [KC, 4] array so the inner loop reads it contiguously whatever the
 * kind; op(A) is read in place through strides. The reduction runs in slices of KC so the panel and the stretch of
 * each row of A it meets stay in cache. Tiles sum in float64 and round to float32 once per slice.
 */

const MR = 4;
const NR = 4;
const KC = 256;

/** Packed panel of op(B): [KC, NR], reused by every call. */
const panel = new Float32Array(KC * NR);

export function gemmJs(call: GemmCall): void {
  const { kind, M, N, K, A, aOff, lda, B, bOff, ldb, C, cOff, ldc, accumulate, bias, biasOff } = call;
  // op(A)(i, p) = A[aOff + i·ars + p·acs]; op(B)(p, j) = B[bOff + p·brs + j·bcs]
  const ars = kind === 'tn' ? 1 : lda;
  const acs = kind === 'tn' ? lda : 1;
  const brs = kind === 'nt' ? 1 : ldb;
  const bcs = kind === 'nt' ? ldb : 1;
  if (K === 0) {
    block(M, N, 0, A, aOff, ars, acs, B, bOff, brs, bcs, C, cOff, ldc, accumulate, bias, biasOff);
    return;
  }
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = Math.min(KC, K - k0);
    const first = k0 === 0;
    block(
      M,
      N,
      kc,
      A,
      aOff + k0 * acs,
      ars,
      acs,
      B,
      bOff + k0 * brs,
      brs,
      bcs,
      C,
      cOff,
      ldc,
      accumulate || !first,
      first ? bias : undefined,
      biasOff,
    );
  }
}

/** C (+)= op(A) · op(B) for one slice of the reduction (K ≤ KC), op(A) and op(B) given by strides. */
function block(
  M: number,
  N: number,
  K: number,
  A: FloatArray,
  aOff: number,
  ars: number,
  acs: number,
  B: FloatArray,
  bOff: number,
  brs: number,
  bcs: number,
  C: FloatArray,
  cOff: number,
  ldc: number,
  accumulate: boolean,
  bias: FloatArray | undefined,
  biasOff: number,
): void {
  const bp = panel;

  for (let j0 = 0; j0 < N; j0 += NR) {
    const nc = Math.min(NR, N - j0);
    for (let p = 0; p < K; p++) {
      const src = bOff + p * brs + j0 * bcs;
      for (let j = 0; j < NR; j++) bp[p * NR + j] = j < nc ? B[src + j * bcs] : 0;
    }
    const b0 = bias ? bias[biasOff + j0] : 0;
    const b1 = bias && nc > 1 ? bias[biasOff + j0 + 1] : 0;
    const b2 = bias && nc > 2 ? bias[biasOff + j0 + 2] : 0;
    const b3 = bias && nc > 3 ? bias[biasOff + j0 + 3] : 0;

    let i0 = 0;
    for (; i0 + MR <= M; i0 += MR) {
      let c00 = b0;
      let c01 = b1;
      let c02 = b2;
      let c03 = b3;
      let c10 = b0;
      let c11 = b1;
      let c12 = b2;
      let c13 = b3;
      let c20 = b0;
      let c21 = b1;
      let c22 = b2;
      let c23 = b3;
      let c30 = b0;
      let c31 = b1;
      let c32 = b2;
      let c33 = b3;
      let pa = aOff + i0 * ars;
      for (let p = 0, q = 0; p < K; p++, q += NR, pa += acs) {
        const x0 = bp[q];
        const x1 = bp[q + 1];
        const x2 = bp[q + 2];
        const x3 = bp[q + 3];
        let a = A[pa];
        c00 += a * x0;
        c01 += a * x1;
        c02 += a * x2;
        c03 += a * x3;
        a = A[pa + ars];
        c10 += a * x0;
        c11 += a * x1;
        c12 += a * x2;
        c13 += a * x3;
        a = A[pa + 2 * ars];
        c20 += a * x0;
        c21 += a * x1;
        c22 += a * x2;
        c23 += a * x3;
        a = A[pa + 3 * ars];
        c30 += a * x0;
        c31 += a * x1;
        c32 += a * x2;
        c33 += a * x3;
      }
      const o = cOff + i0 * ldc + j0;
      store(C, o, nc, accumulate, c00, c01, c02, c03);
      store(C, o + ldc, nc, accumulate, c10, c11, c12, c13);
      store(C, o + 2 * ldc, nc, accumulate, c20, c21, c22, c23);
      store(C, o + 3 * ldc, nc, accumulate, c30, c31, c32, c33);
    }
    for (; i0 < M; i0++) {
      let c0 = b0;
      let c1 = b1;
      let c2 = b2;
      let c3 = b3;
      let pa = aOff + i0 * ars;
      for (let p = 0, q = 0; p < K; p++, q += NR, pa += acs) {
        const a = A[pa];
        c0 += a * bp[q];
        c1 += a * bp[q + 1];
        c2 += a * bp[q + 2];
        c3 += a * bp[q + 3];
      }
      store(C, cOff + i0 * ldc + j0, nc, accumulate, c0, c1, c2, c3);
    }
  }
}

/** Write (or add) the first `nc` of four column values of one tile row. */
function store(
  C: FloatArray,
  o: number,
  nc: number,
  accumulate: boolean,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
): void {
  if (accumulate) {
    C[o] += v0;
    if (nc > 1) C[o + 1] += v1;
    if (nc > 2) C[o + 2] += v2;
    if (nc > 3) C[o + 3] += v3;
  } else {
    C[o] = v0;
    if (nc > 1) C[o + 1] = v1;
    if (nc > 2) C[o + 2] = v2;
    if (nc > 3) C[o + 3] = v3;
  }
}
