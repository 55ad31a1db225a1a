import type { FloatArray } from '../../tensor';

/**
 * How A and B are stored, BLAS-style: C[M,N] (+)= op(A)[M,K] · op(B)[K,N], all row-major.
 *   'nn': A [M,K], B [K,N]   y = x · W (forward linear)
 *   'nt': A [M,K], B [N,K]   logits = x · W_Eᵀ (tied unembedding); dx = dy · Wᵀ
 *   'tn': A [K,M], B [K,N]   dW = xᵀ · dy (K is the batch of rows being summed over)
 */
export type GemmKind = 'nn' | 'nt' | 'tn';

export interface GemmOptions {
  /** Add into C instead of overwriting it (gradient accumulation). Default false. */
  accumulate?: boolean;
  /** [N], added to every row of C. */
  bias?: FloatArray;
  /** Element offsets of each operand's first element inside its array. Default 0. */
  aOffset?: number;
  bOffset?: number;
  cOffset?: number;
  biasOffset?: number;
  /**
   * Row strides of A, B and C as stored, in elements; default their row lengths (dense). A larger stride picks a
   * column block out of a wider matrix, e.g. one head's [T, dh] slice of q: [T, H·dh] has lda = H·dh.
   */
  lda?: number;
  ldb?: number;
  ldc?: number;
}

/** One validated call, as every implementation receives it. */
export interface GemmCall {
  kind: GemmKind;
  M: number;
  N: number;
  K: number;
  A: FloatArray;
  aOff: number;
  lda: number;
  B: FloatArray;
  bOff: number;
  ldb: number;
  C: FloatArray;
  cOff: number;
  ldc: number;
  accumulate: boolean;
  bias: FloatArray | undefined;
  biasOff: number;
}

export type GemmImpl = (call: GemmCall) => void;
