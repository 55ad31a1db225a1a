import type { FloatArray } from '../../tensor';
import type { GemmCall } from './types';
import { DN, gemmModuleBytes, MR, NR } from './wasmKernel';

/**
 * Float32 gemm on the WebAssembly SIMD kernels (wasmKernel.ts).
 *
 * The module owns its linear memory, used as a persistent arena: each call copies A, B and (when accumulating or
 * adding a bias) C into it, runs a kernel over cache-sized blocks, and copies C back. Every copy is a row-wise
 * memcpy — 'nn' and 'tn' run on `mm`, 'nt' on `dot`, so nothing is transposed. The copies cost O(MK + KN + MN)
 * against the multiply's O(MNK); they dominate only for a single row (decoding), where they still beat JS.
 *
 * Leading dimensions that are a multiple of 256 floats get 16 floats of padding: rows 1 KB·2ⁿ apart fall into the
 * same L1 sets, and that halved the speed of the 3072- and 4096-wide shapes.
 *
 * The arena only grows (WebAssembly memory cannot shrink); wide problems run in column chunks so it stays near
 * |A| + 2·CHUNK_BYTES. The module is under 2 KB, so the synchronous compile is allowed even on a browser's main
 * thread (Chrome's limit there is 4 KB).
 */

/** Reduction depth per kernel call: a KC×NR panel of B (8 KB) stays in L1. */
const KC = 256;
/** Rows per kernel call: an MC×KC block of A (128 KB) stays in L2. */
const MC = 128;
/** Upper bound on the bytes of B's or C's column chunk held in the arena at once. */
const CHUNK_BYTES = 32 << 20;

const padLd = (n: number) => (n % 256 === 0 ? n + 16 : n);
const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/** The part of the WebAssembly JS API used here (the project's `lib` has no WebAssembly declarations). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array<ArrayBuffer>): boolean;
  Module: new (bytes: Uint8Array<ArrayBuffer>) => object;
  Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}
const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

interface Kernel {
  memory: WasmMemory;
  /** mm(a, ars, acs, b, ldb, c, ldc, mPanels, nPanels, kc, loadC), addresses and strides in bytes */
  mm: (...i32: number[]) => void;
  /** dot(a, lda, b, ldb, c, ldc, mPanels, nPanels, k4, loadC), addresses and strides in bytes */
  dot: (...i32: number[]) => void;
  heap: Float32Array;
  relaxed: boolean;
}

let kernel: Kernel | null | undefined;

function instantiate(relaxed: boolean): Kernel | null {
  const bytes = gemmModuleBytes(relaxed);
  if (wasmApi === undefined || !wasmApi.validate(bytes)) return null;
  try {
    const { exports } = new wasmApi.Instance(new wasmApi.Module(bytes));
    const memory = exports.memory as WasmMemory;
    return {
      memory,
      mm: exports.mm as Kernel['mm'],
      dot: exports.dot as Kernel['dot'],
      heap: new Float32Array(memory.buffer),
      relaxed,
    };
  } catch {
    return null;
  }
}

function wasmKernel(): Kernel | null {
  if (kernel === undefined) kernel = instantiate(true) ?? instantiate(false);
  return kernel;
}

/**
 * Which kernel this engine runs: 'relaxed-simd' (fused multiply-add), 'simd' (simd128), or null when it has no
 * WebAssembly SIMD and gemm falls back to JS.
 */
export function wasmGemmFeature(): 'relaxed-simd' | 'simd' | null {
  const k = wasmKernel();
  return k === null ? null : k.relaxed ? 'relaxed-simd' : 'simd';
}

/** Make the arena at least `floats` long; returns the (possibly new) view of it. */
function reserve(k: Kernel, floats: number): Float32Array {
  const bytes = floats * 4;
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / 65536));
  if (k.heap.buffer !== k.memory.buffer) k.heap = new Float32Array(k.memory.buffer);
  return k.heap;
}

/** dst[dOff + r·dLd + c] = src[sOff + r·sLd + c] for r < rows, c < cols; then zeros in columns cols…zeroTo−1. */
function copyRows(
  src: FloatArray,
  sOff: number,
  sLd: number,
  dst: FloatArray,
  dOff: number,
  dLd: number,
  rows: number,
  cols: number,
  zeroTo = cols,
): void {
  if (sLd === cols && dLd === cols) {
    dst.set(src.subarray(sOff, sOff + rows * cols), dOff);
  } else if (cols >= 32) {
    for (let r = 0; r < rows; r++) dst.set(src.subarray(sOff + r * sLd, sOff + r * sLd + cols), dOff + r * dLd);
  } else {
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) dst[dOff + r * dLd + c] = src[sOff + r * sLd + c];
  }
  if (zeroTo > cols) for (let r = 0; r < rows; r++) dst.fill(0, dOff + r * dLd + cols, dOff + r * dLd + zeroTo);
}

/** The starting C chunk, columns j0…j0+nc−1, at heap[cBase] with row stride ld: C itself, the bias, or both. */
function loadC(call: GemmCall, heap: Float32Array, cBase: number, ld: number, j0: number, nc: number): void {
  const { M, C, cOff, ldc, accumulate, bias, biasOff } = call;
  if (accumulate) copyRows(C, cOff + j0, ldc, heap, cBase, ld, M, nc);
  if (!bias) return;
  for (let i = 0; i < M; i++) {
    const o = cBase + i * ld;
    if (accumulate) for (let j = 0; j < nc; j++) heap[o + j] += bias[biasOff + j0 + j];
    else heap.set(bias.subarray(biasOff + j0, biasOff + j0 + nc), o);
  }
}

export function gemmWasm(call: GemmCall): void {
  const k = wasmKernel();
  if (k === null) throw new Error('gemmWasm: WebAssembly SIMD is not available');
  const { kind, M, N, K, C, cOff, ldc, accumulate, bias, biasOff } = call;
  if (M === 0 || N === 0) return;
  if (K === 0) {
    // No products: C becomes bias, C + bias, or zero.
    for (let i = 0; i < M; i++) {
      const o = cOff + i * ldc;
      for (let j = 0; j < N; j++) C[o + j] = (accumulate ? C[o + j] : 0) + (bias ? bias[biasOff + j] : 0);
    }
    return;
  }
  if (kind === 'nt') ntWasm(k, call);
  else nnTnWasm(k, call);
}

/** 'nn' and 'tn' on `mm`: op(A) read through strides, B's rows copied as they are. */
function nnTnWasm(k: Kernel, call: GemmCall): void {
  const { kind, M, N, K, A, aOff, lda: ldaSrc, B, bOff, ldb: ldbSrc, C, cOff, ldc: ldcSrc } = call;
  const Mp = roundUp(M, MR);
  const chunk = Math.max(NR, Math.min(roundUp(N, NR), Math.floor(CHUNK_BYTES / (Math.max(K, Mp) * 4 * NR)) * NR));
  const ld = padLd(Math.min(chunk, roundUp(N, NR)));

  // A as stored: [M, K] for nn, [K, M] for tn.
  const aRows = kind === 'tn' ? K : M;
  const aCols = kind === 'tn' ? M : K;
  const lda = padLd(aCols);
  // Arena (floats): A [aRows, lda], B chunk [K, ld], C chunk [Mp, ld]. A gets MR·lda floats of slack: the last row
  // panel reads up to MR−1 rows past M, whose results land in C's padding rows and are never copied out.
  const aBase = 0;
  const bBase = roundUp((aRows + MR) * lda, 4);
  const cBase = bBase + roundUp(K * ld, 4);
  const heap = reserve(k, cBase + Mp * ld);
  copyRows(A, aOff, ldaSrc, heap, aBase, lda, aRows, aCols);
  // op(A)(i, p) at byte aBase·4 + i·ars + p·acs
  const ars = (kind === 'tn' ? 1 : lda) * 4;
  const acs = (kind === 'tn' ? lda : 1) * 4;
  const startFromC = call.accumulate || call.bias !== undefined;

  for (let j0 = 0; j0 < N; j0 += chunk) {
    const nc = Math.min(chunk, N - j0);
    copyRows(B, bOff + j0, ldbSrc, heap, bBase, ld, K, nc);
    loadC(call, heap, cBase, ld, j0, nc);
    for (let k0 = 0; k0 < K; k0 += KC) {
      const loadFlag = k0 > 0 || startFromC ? 1 : 0;
      for (let i0 = 0; i0 < M; i0 += MC) {
        k.mm(
          aBase * 4 + i0 * ars + k0 * acs,
          ars,
          acs,
          (bBase + k0 * ld) * 4,
          ld * 4,
          (cBase + i0 * ld) * 4,
          ld * 4,
          Math.ceil(Math.min(MC, M - i0) / MR),
          Math.ceil(nc / NR),
          Math.min(KC, K - k0),
          loadFlag,
        );
      }
    }
    copyRows(heap, cBase, ld, C, cOff + j0, ldcSrc, M, nc);
  }
}

/** 'nt' on `dot`: rows of A and of B copied as they are, zero-padded to a multiple of 4 along K. */
function ntWasm(k: Kernel, call: GemmCall): void {
  const { M, N, K, A, aOff, lda, B, bOff, ldb, C, cOff, ldc: ldcSrc } = call;
  const Mp = roundUp(M, MR);
  const K4 = roundUp(K, 4);
  const ldk = padLd(K4);
  const chunk = Math.max(DN, Math.min(roundUp(N, DN), Math.floor(CHUNK_BYTES / (Math.max(ldk, Mp) * 4 * DN)) * DN));
  const ldc = padLd(Math.min(chunk, roundUp(N, DN)));

  // Arena (floats): A [M + MR, ldk], B chunk [chunk + DN, ldk], C chunk [Mp, ldc]; the extra rows are slack for
  // the last, partial tiles, whose results land in C's padding.
  const aBase = 0;
  const bBase = (M + MR) * ldk;
  const cBase = bBase + (Math.min(chunk, N) + DN) * ldk;
  const heap = reserve(k, cBase + Mp * ldc);
  copyRows(A, aOff, lda, heap, aBase, ldk, M, K, K4);
  const startFromC = call.accumulate || call.bias !== undefined;

  for (let j0 = 0; j0 < N; j0 += chunk) {
    const nc = Math.min(chunk, N - j0);
    copyRows(B, bOff + j0 * ldb, ldb, heap, bBase, ldk, nc, K, K4);
    loadC(call, heap, cBase, ldc, j0, nc);
    for (let k0 = 0; k0 < K4; k0 += KC) {
      const loadFlag = k0 > 0 || startFromC ? 1 : 0;
      for (let i0 = 0; i0 < M; i0 += MC) {
        k.dot(
          (aBase + i0 * ldk + k0) * 4,
          ldk * 4,
          (bBase + k0) * 4,
          ldk * 4,
          (cBase + i0 * ldc) * 4,
          ldc * 4,
          Math.ceil(Math.min(MC, M - i0) / MR),
          Math.ceil(nc / DN),
          Math.min(KC, K4 - k0) / 4,
          loadFlag,
        );
      }
    }
    copyRows(heap, cBase, ldc, C, cOff + j0, ldcSrc, M, nc);
  }
}
