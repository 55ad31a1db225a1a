import { fail } from '../../errors';
import type { FloatArray } from '../../tensor';
import { gemmJs } from './js';
import { gemmReference } from './reference';
import type { GemmCall, GemmImpl, GemmKind, GemmOptions } from './types';
import { gemmWasm, wasmGemmFeature } from './wasm';

export type { ResidentArenaOptions } from './arena';
export { gemmScratchFloats, MAX_ARENA_BYTES, ResidentArena, residentFloats } from './arena';
export type { GemmKind, GemmOptions } from './types';

/**
 * C[M,N] (+)= op(A)[M,K] · op(B)[K,N] (+ bias[N] on every row), row-major, BLAS naming:
 *   'nn': A [M,K], B [K,N]   forward linear y = x · W
 *   'nt': A [M,K], B [N,K]   tied logits x · W_Eᵀ; dx = dy · Wᵀ
 *   'tn': A [K,M], B [K,N]   dW = xᵀ · dy (K = rows of the batch)
 * Operands start at their offsets and have row strides lda/ldb/ldc (default dense), so a head's slice of a
 * [T, H·dh] activation can be used in place.
 *
 * Float32Array operands take the fast path (WebAssembly SIMD where the engine has it, else register-blocked JS),
 * which sums in a different order from the naive loop, so results differ from it by rounding. Any Float64Array
 * operand sends the call to the plain triple loop (float64 sums), the arithmetic gradient checks expect.
 *
 * C must not overlap A, B or bias (checked when they share a buffer): the fast paths read A and B after writing
 * parts of C.
 *
 * An A or B that lives in a ResidentArena (./arena.ts; the CPU engine keeps its weights in one) is read by the
 * WebAssembly kernel where it is, with no copy; the sums are the same, bit for bit.
 */
export function gemm(
  kind: GemmKind,
  M: number,
  N: number,
  K: number,
  A: FloatArray,
  B: FloatArray,
  C: FloatArray,
  options: GemmOptions = {},
): void {
  const { accumulate = false, bias, aOffset = 0, bOffset = 0, cOffset = 0, biasOffset = 0 } = options;
  const call: GemmCall = {
    kind,
    M,
    N,
    K,
    A,
    aOff: aOffset,
    lda: options.lda ?? (kind === 'tn' ? M : K),
    B,
    bOff: bOffset,
    ldb: options.ldb ?? (kind === 'nt' ? K : N),
    C,
    cOff: cOffset,
    ldc: options.ldc ?? N,
    accumulate,
    bias,
    biasOff: biasOffset,
  };
  check(call);
  const impl = M * N * K <= TINY && forced === null ? gemmReference : chooseImpl(A, B, C, bias);
  impl(call);
}

/**
 * Below this many multiply-adds the plain loop wins: the fast paths' setup costs about a microsecond. (Not applied
 * while a backend is forced, so tests exercise that backend on every size.)
 */
const TINY = 512;

export type GemmBackend = 'wasm' | 'js' | 'reference';

let forced: GemmBackend | null = null;

/**
 * The implementation float32 calls use: 'wasm' when WebAssembly SIMD validates, else 'js'. Tests and benchmarks
 * may force one (process-wide); `null` restores the automatic choice. Float64 calls always use 'reference'.
 */
export function gemmBackend(force?: GemmBackend | null): GemmBackend {
  if (force !== undefined) {
    if (force === 'wasm' && wasmGemmFeature() === null) fail('unsupported', 'gemm: WebAssembly SIMD is unavailable');
    forced = force;
  }
  return forced ?? (wasmGemmFeature() !== null ? 'wasm' : 'js');
}

export { wasmGemmFeature };

const IMPLS: Record<GemmBackend, GemmImpl> = { wasm: gemmWasm, js: gemmJs, reference: gemmReference };

function chooseImpl(A: FloatArray, B: FloatArray, C: FloatArray, bias: FloatArray | undefined): GemmImpl {
  const f32 =
    A instanceof Float32Array &&
    B instanceof Float32Array &&
    C instanceof Float32Array &&
    (bias === undefined || bias instanceof Float32Array);
  return f32 ? IMPLS[gemmBackend()] : gemmReference;
}

function check(call: GemmCall): void {
  const { kind, M, N, K, A, aOff, lda, B, bOff, ldb, C, cOff, ldc, bias, biasOff } = call;
  if (kind !== 'nn' && kind !== 'nt' && kind !== 'tn') fail('bad-shape', `gemm: unknown kind '${kind}'`);
  for (const n of [M, N, K, aOff, bOff, cOff, biasOff, lda, ldb, ldc]) {
    if (!Number.isInteger(n) || n < 0) {
      fail('bad-shape', `gemm: sizes, offsets and strides must be non-negative integers (M=${M}, N=${N}, K=${K})`);
    }
  }
  // Each operand as stored: rows × cols with its row stride.
  const a = kind === 'tn' ? ([K, M] as const) : ([M, K] as const);
  const b = kind === 'nt' ? ([N, K] as const) : ([K, N] as const);
  const aEnd = span('A', a[0], a[1], lda, A, aOff);
  const bEnd = span('B', b[0], b[1], ldb, B, bOff);
  const cEnd = span('C', M, N, ldc, C, cOff);
  if (bias && biasOff + N > bias.length) fail('bad-shape', `gemm: bias needs ${biasOff + N} elements`);
  if (cEnd === cOff) return;
  // The fast paths read A and B after writing parts of C, so C may not share memory with them.
  if (overlaps(A, aOff, aEnd, C, cOff, cEnd)) fail('bad-shape', 'gemm: C overlaps A; write the result elsewhere');
  if (overlaps(B, bOff, bEnd, C, cOff, cEnd)) fail('bad-shape', 'gemm: C overlaps B; write the result elsewhere');
  if (bias && overlaps(bias, biasOff, biasOff + N, C, cOff, cEnd)) {
    fail('bad-shape', 'gemm: C overlaps bias; write the result elsewhere');
  }
}

/** One past the last element a rows × cols operand with row stride ld touches; checks it fits. */
function span(label: string, rows: number, cols: number, ld: number, X: FloatArray, off: number): number {
  if (rows === 0 || cols === 0) return off;
  if (ld < cols) fail('bad-shape', `gemm: ${label}'s row stride ${ld} is shorter than its ${cols} columns`);
  const end = off + (rows - 1) * ld + cols;
  if (end > X.length) fail('bad-shape', `gemm: ${label} [${rows}, ${cols}] needs ${end} elements, has ${X.length}`);
  return end;
}

/** Whether X[x0…x1) and C[c0…c1) share bytes (conservatively: whole spans, ignoring gaps between rows). */
function overlaps(X: FloatArray, x0: number, x1: number, C: FloatArray, c0: number, c1: number): boolean {
  if (x1 === x0 || X.buffer !== C.buffer) return false;
  const xb = X.byteOffset + x0 * X.BYTES_PER_ELEMENT;
  const cb = C.byteOffset + c0 * C.BYTES_PER_ELEMENT;
  return xb < C.byteOffset + c1 * C.BYTES_PER_ELEMENT && cb < X.byteOffset + x1 * X.BYTES_PER_ELEMENT;
}
