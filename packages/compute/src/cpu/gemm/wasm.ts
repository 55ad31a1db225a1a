import { fail } from '../../errors';
import type { FloatArray } from '../../tensor';
import type { GemmCall } from './types';
import { DN, DN1, gemmModuleBytes, MR, NR, NR1 } from './wasmKernel';

/**
 * Float32 gemm on the WebAssembly SIMD kernels (wasmKernel.ts).
 *
 * The shared instance owns its linear memory, used as a persistent arena: each call copies A, B and (when
 * accumulating or adding a bias) C into it, runs a kernel over cache-sized blocks, and copies C back. Every copy is
 * a row-wise memcpy — 'nn' and 'tn' run on `mm`, 'nt' on `dot`, so nothing is transposed. The copies cost
 * O(MK + KN + MN) against the multiply's O(MNK); they dominate only for a single row (decoding).
 *
 * Resident arenas (createArenaSpace, used by arena.ts) remove that case: each is an instance of its own whose memory
 * is sized once, at creation, for a set of tensors (a model's weights) plus a fixed scratch region, and never grows,
 * so Float32Array views of the tensors stay valid. A call whose A or B lies in a resident arena runs on that arena's
 * instance and reads the operand where it is (its real offset and row stride); only the other operands are copied,
 * into the arena's scratch. The kernels and the blocking are the same, so the results are bit for bit those of the
 * copying path. Calls that do not fit the scratch, or cannot be read in place (see inPlace), take the copying path.
 *
 * Leading dimensions that are a multiple of 256 floats get 16 floats of padding when copied: rows 1 KB·2ⁿ apart fall
 * into the same L1 sets, and that halved the speed of the 3072- and 4096-wide shapes.
 *
 * The shared arena only grows (WebAssembly memory cannot shrink); wide problems run in column chunks so it stays
 * near |A| + 2·CHUNK_BYTES. The module is under 3 KB, so the synchronous compile is allowed even on a browser's main
 * thread (Chrome's limit there is 4 KB), and instantiating one per resident arena is cheap.
 */

/** Reduction depth per kernel call: a KC×NR panel of B (8 KB) stays in L1. */
const KC = 256;
/** Rows per kernel call: an MC×KC block of A (128 KB) stays in L2. */
const MC = 128;
/** Upper bound on the bytes of B's or C's column chunk held in the shared arena at once. */
const CHUNK_BYTES = 32 << 20;
/** Bytes per WebAssembly page. */
const PAGE = 65536;
/** The most pages a 32-bit WebAssembly memory can have (4 GiB). */
export const MAX_WASM_PAGES = 65536;

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
  /** mm and dot for a single row of A, tiles of NR1 and DN1 columns */
  mm1: (...i32: number[]) => void;
  dot1: (...i32: number[]) => void;
  heap: Float32Array;
  relaxed: boolean;
}

let kernel: Kernel | null | undefined;
let compiled: { relaxed: boolean; module: object } | undefined;

function instantiate(relaxed: boolean): Kernel | null {
  const bytes = gemmModuleBytes(relaxed);
  if (wasmApi === undefined || !wasmApi.validate(bytes)) return null;
  try {
    const module = new wasmApi.Module(bytes);
    const k = fromInstance(new wasmApi.Instance(module), relaxed);
    compiled = { relaxed, module };
    return k;
  } catch {
    return null;
  }
}

function fromInstance(instance: { readonly exports: Record<string, unknown> }, relaxed: boolean): Kernel {
  const { exports } = instance;
  const memory = exports.memory as WasmMemory;
  return {
    memory,
    mm: exports.mm as Kernel['mm'],
    dot: exports.dot as Kernel['dot'],
    mm1: exports.mm1 as Kernel['mm1'],
    dot1: exports.dot1 as Kernel['dot1'],
    heap: new Float32Array(memory.buffer),
    relaxed,
  };
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

// ---- resident arenas -------------------------------------------------------------------------------------------

/**
 * A resident arena as gemm sees it: an instance of its own whose memory never grows. Floats [0, residentEnd) hold
 * resident tensors; [residentEnd, heap.length) is scratch for the operands that are copied and for C.
 */
export interface ArenaSpace {
  readonly heap: Float32Array;
  readonly residentEnd: number;
  readonly kernel: Kernel;
}

/** Arenas by the ArrayBuffer of their memory. Weak: an arena lives as long as some view of its memory does. */
const arenas = new WeakMap<ArrayBufferLike, ArenaSpace>();

/**
 * A new resident arena: `residentFloats` for tensors (the caller places them), then `scratchFloats` of scratch,
 * rounded up to whole pages. Its memory is grown once, here, and never again. Null when WebAssembly SIMD is
 * unavailable; a GlassboxError ('device-limit') when the memory would exceed `maxBytes` (at most 4 GiB) or the
 * runtime refuses it.
 */
export function createArenaSpace(residentFloats: number, scratchFloats: number, maxBytes: number): ArenaSpace | null {
  if (wasmKernel() === null || compiled === undefined || wasmApi === undefined) return null;
  const residentEnd = roundUp(residentFloats, 16);
  const bytes = (residentEnd + roundUp(scratchFloats, 16)) * 4;
  const pages = Math.ceil(bytes / PAGE);
  const limit = Math.min(maxBytes, MAX_WASM_PAGES * PAGE);
  const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (pages * PAGE > limit) {
    fail(
      'device-limit',
      `the CPU engine keeps float32 weights in WebAssembly memory, which may hold at most ${mb(limit)} here; ` +
        `this model needs ${mb(pages * PAGE)} (${mb(residentFloats * 4)} of weights and ${mb(scratchFloats * 4)} ` +
        'of scratch). Create the engine with { residentWeights: false } to run it without.',
    );
  }
  const k = fromInstance(new wasmApi.Instance(compiled.module), compiled.relaxed);
  try {
    const have = k.memory.buffer.byteLength / PAGE;
    if (pages > have) k.memory.grow(pages - have);
  } catch (e) {
    fail(
      'device-limit',
      `the CPU engine could not reserve ${mb(pages * PAGE)} of WebAssembly memory for its weights ` +
        `(${e instanceof Error ? e.message : String(e)}). Create the engine with { residentWeights: false } to run ` +
        'it without.',
    );
  }
  k.heap = new Float32Array(k.memory.buffer);
  const space: ArenaSpace = { heap: k.heap, residentEnd, kernel: k };
  arenas.set(k.memory.buffer, space);
  return space;
}

/** Make the shared arena at least `floats` long; returns the (possibly new) view of it. */
function reserve(k: Kernel, floats: number): Float32Array {
  const bytes = floats * 4;
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / PAGE));
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

/** Calls (with products) that ran in place on a resident arena, and on the copying path; for tests. */
export const gemmPathCounts = { inPlace: 0, copied: 0 };

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
  if (inPlace(call)) {
    gemmPathCounts.inPlace++;
    return;
  }
  gemmPathCounts.copied++;
  if (kind === 'nt') ntWasm(k, call);
  else nnTnWasm(k, call);
}

// ---- the blocked kernel loops, shared by both paths (so both sum in the same order) -----------------------------

/**
 * C chunk (+)= op(A) · B chunk on `mm`, over KC-deep and MC-tall blocks. Float indices into the heap: op(A)(i, p) at
 * a + i·ars + p·acs, B(p, j) at b + p·ldb + j, C(i, j) at c + i·ldc + j. A single row runs on `mm1`, whose tiles are
 * NR1 wide: its reads of B and writes of C's row reach up to NR1 − 1 columns past the chunk (into C's padding rows,
 * and the C region has NR1 floats of slack after it).
 */
function mmBlocks(
  k: Kernel,
  M: number,
  K: number,
  nc: number,
  a: number,
  ars: number,
  acs: number,
  b: number,
  ldb: number,
  c: number,
  ldc: number,
  startFromC: boolean,
): void {
  const one = M === 1;
  const run = one ? k.mm1 : k.mm;
  const nPanels = one ? Math.ceil(nc / NR1) : Math.ceil(nc / NR);
  for (let k0 = 0; k0 < K; k0 += KC) {
    const loadFlag = k0 > 0 || startFromC ? 1 : 0;
    for (let i0 = 0; i0 < M; i0 += MC) {
      run(
        (a + i0 * ars + k0 * acs) * 4,
        ars * 4,
        acs * 4,
        (b + k0 * ldb) * 4,
        ldb * 4,
        (c + i0 * ldc) * 4,
        ldc * 4,
        Math.ceil(Math.min(MC, M - i0) / MR),
        nPanels,
        Math.min(KC, K - k0),
        loadFlag,
      );
    }
  }
}

/**
 * C chunk (+)= A · (B chunk)ᵀ on `dot`; A(i, p) at a + i·lda + p, B(j, p) at b + j·ldb + p, K4 a multiple of 4. A
 * single row runs on `dot1`, whose tiles read DN1 rows of B and write DN1 columns of C.
 */
function dotBlocks(
  k: Kernel,
  M: number,
  K4: number,
  nc: number,
  a: number,
  lda: number,
  b: number,
  ldb: number,
  c: number,
  ldc: number,
  startFromC: boolean,
): void {
  const one = M === 1;
  const run = one ? k.dot1 : k.dot;
  const nPanels = one ? Math.ceil(nc / DN1) : Math.ceil(nc / DN);
  for (let k0 = 0; k0 < K4; k0 += KC) {
    const loadFlag = k0 > 0 || startFromC ? 1 : 0;
    for (let i0 = 0; i0 < M; i0 += MC) {
      run(
        (a + i0 * lda + k0) * 4,
        lda * 4,
        (b + k0) * 4,
        ldb * 4,
        (c + i0 * ldc) * 4,
        ldc * 4,
        Math.ceil(Math.min(MC, M - i0) / MR),
        nPanels,
        Math.min(KC, K4 - k0) / 4,
        loadFlag,
      );
    }
  }
}

// ---- the copying path, on the shared instance -----------------------------------------------------------------

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
  const heap = reserve(k, cBase + Mp * ld + NR1);
  copyRows(A, aOff, ldaSrc, heap, aBase, lda, aRows, aCols);
  // op(A)(i, p) at aBase + i·ars + p·acs
  const ars = kind === 'tn' ? 1 : lda;
  const acs = kind === 'tn' ? lda : 1;
  const startFromC = call.accumulate || call.bias !== undefined;

  for (let j0 = 0; j0 < N; j0 += chunk) {
    const nc = Math.min(chunk, N - j0);
    copyRows(B, bOff + j0, ldbSrc, heap, bBase, ld, K, nc);
    loadC(call, heap, cBase, ld, j0, nc);
    mmBlocks(k, M, K, nc, aBase, ars, acs, bBase, ld, cBase, ld, startFromC);
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

  // Arena (floats): A [M + MR, ldk], B chunk [chunk + DN1, ldk], C chunk [Mp, ldc]; the extra rows are slack for
  // the last, partial tiles, whose results land in C's padding.
  const aBase = 0;
  const bBase = (M + MR) * ldk;
  const cBase = bBase + (Math.min(chunk, N) + DN1) * ldk;
  const heap = reserve(k, cBase + Mp * ldc + NR1);
  copyRows(A, aOff, lda, heap, aBase, ldk, M, K, K4);
  const startFromC = call.accumulate || call.bias !== undefined;

  for (let j0 = 0; j0 < N; j0 += chunk) {
    const nc = Math.min(chunk, N - j0);
    copyRows(B, bOff + j0 * ldb, ldb, heap, bBase, ldk, nc, K, K4);
    loadC(call, heap, cBase, ldc, j0, nc);
    dotBlocks(k, M, K4, nc, aBase, ldk, bBase, ldk, cBase, ldc, startFromC);
    copyRows(heap, cBase, ldc, C, cOff + j0, ldcSrc, M, nc);
  }
}

// ---- the in-place path, on a resident arena's instance --------------------------------------------------------

/**
 * Runs the call on a resident arena when B (else A) lies in one and can be read there; false when it cannot, and the
 * caller takes the copying path. An operand is read in place when it lies in the arena's resident region (not its
 * scratch), the kernel's reads past it (up to a tile: MR−1 rows of A, NR1−1 columns or DN1−1 rows of B, whose
 * products land only in C's padding) stay inside the memory, and, for 'nt', K is a multiple of 4 (`dot` reads whole
 * f32x4 vectors along K). A B whose rows are a multiple of 4 KiB apart is copied (padded) instead when more than one
 * row panel reuses it. C may not be in the arena; the call must fit the scratch.
 */
function inPlace(call: GemmCall): boolean {
  const { kind, M, N, K, A, aOff, lda, B, bOff, ldb, C, bias } = call;
  const space = arenas.get(B.buffer) ?? arenas.get(A.buffer);
  if (space === undefined) return false;
  const buf = space.heap.buffer;
  if (C.buffer === buf) return false;
  if (bias !== undefined && bias.buffer === buf && !inResident(space, bias, call.biasOff, 1, N, N)) return false;
  const Mp = roundUp(M, MR);
  let aAt: number | null = null;
  let bAt: number | null = null;
  if (A.buffer === buf) {
    const [rows, cols] = kind === 'tn' ? [K, M] : [M, K];
    if (!inResident(space, A, aOff, rows, cols, lda)) return false;
    // the last element the kernel reads: op(A)'s rows run to Mp − 1
    const reach = kind === 'tn' ? (K - 1) * lda + Mp : (Mp - 1) * lda + K;
    if ((kind !== 'nt' || K % 4 === 0) && start(A, aOff) + reach <= space.heap.length) aAt = start(A, aOff);
  }
  if (B.buffer === buf) {
    const [rows, cols] = kind === 'nt' ? [N, K] : [K, N];
    if (!inResident(space, B, bOff, rows, cols, ldb)) return false;
    // B's columns run to a whole tile (NR; NR1 for one row), or for 'nt' its rows to a whole DN (DN1)
    const reach =
      kind === 'nt'
        ? (M === 1 ? N + DN1 - 2 : roundUp(N, DN) - 1) * ldb + K
        : (K - 1) * ldb + (M === 1 ? N + NR1 : roundUp(N, NR));
    // Rows a multiple of 4 KiB apart map a KC×NR panel of B to a few L1 sets: with several row panels reusing it,
    // reading it in place ran at 0.6× the speed of copying it (padded) for a [768, 3072] B at 16–64 rows.
    const aliased = kind !== 'nt' && M > MR && ldb % 1024 === 0;
    if ((kind !== 'nt' || K % 4 === 0) && !aliased && start(B, bOff) + reach <= space.heap.length) {
      bAt = start(B, bOff);
    }
  }
  if (aAt === null && bAt === null) return false;
  return kind === 'nt' ? ntArena(space, call, aAt, bAt) : nnTnArena(space, call, aAt, bAt);
}

/** Float index of X[off] in its buffer. */
const start = (X: FloatArray, off: number) => X.byteOffset / 4 + off;

/** Whether the rows × cols operand X[off…] (row stride ld) lies within the arena's resident region. */
function inResident(space: ArenaSpace, X: FloatArray, off: number, rows: number, cols: number, ld: number): boolean {
  return start(X, off) + (rows - 1) * ld + cols <= space.residentEnd;
}

/**
 * 'nn' / 'tn' with A at heap[aAt] (stride call.lda) and/or B at heap[bAt] (stride call.ldb) in place; the other
 * operand is copied into the scratch as the copying path would lay it out. C chunks take the rest of the scratch.
 */
function nnTnArena(space: ArenaSpace, call: GemmCall, aAt: number | null, bAt: number | null): boolean {
  const { kind, M, N, K, A, aOff, B, bOff, C, cOff, ldc: ldcSrc } = call;
  const { heap, kernel: k } = space;
  const Mp = roundUp(M, MR);
  const aRows = kind === 'tn' ? K : M;
  const aCols = kind === 'tn' ? M : K;
  let next = space.residentEnd;
  const lda = aAt === null ? padLd(aCols) : call.lda;
  const aBase = aAt ?? next;
  if (aAt === null) next = roundUp(next + (aRows + MR) * lda, 4);
  // Per column of a chunk: K floats of B (when copied) and Mp of C; ld ≤ chunk + 16 after padding.
  const perCol = (bAt === null ? K : 0) + Mp;
  const fit = Math.floor(((heap.length - next - 4 - NR1) / perCol - 16) / NR) * NR;
  if (fit < NR) return false;
  const chunk = Math.min(fit, roundUp(N, NR));
  const ld = padLd(chunk);
  const bBase = next;
  const cBase = bAt === null ? roundUp(bBase + K * ld, 4) : next;
  if (aAt === null) copyRows(A, aOff, call.lda, heap, aBase, lda, aRows, aCols);
  const ars = kind === 'tn' ? 1 : lda;
  const acs = kind === 'tn' ? lda : 1;
  const startFromC = call.accumulate || call.bias !== undefined;

  for (let j0 = 0; j0 < N; j0 += chunk) {
    const nc = Math.min(chunk, N - j0);
    if (bAt === null) copyRows(B, bOff + j0, call.ldb, heap, bBase, ld, K, nc);
    loadC(call, heap, cBase, ld, j0, nc);
    if (bAt === null) mmBlocks(k, M, K, nc, aBase, ars, acs, bBase, ld, cBase, ld, startFromC);
    else mmBlocks(k, M, K, nc, aBase, ars, acs, bAt + j0, call.ldb, cBase, ld, startFromC);
    copyRows(heap, cBase, ld, C, cOff + j0, ldcSrc, M, nc);
  }
  return true;
}

/** 'nt' with A and/or B in place (then K is a multiple of 4); the other copied into the scratch, zero-padded. */
function ntArena(space: ArenaSpace, call: GemmCall, aAt: number | null, bAt: number | null): boolean {
  const { M, N, K, A, aOff, B, bOff, C, cOff, ldc: ldcSrc } = call;
  const { heap, kernel: k } = space;
  const Mp = roundUp(M, MR);
  const K4 = roundUp(K, 4);
  const ldk = padLd(K4);
  let next = space.residentEnd;
  const lda = aAt === null ? ldk : call.lda;
  const aBase = aAt ?? next;
  if (aAt === null) next += (M + MR) * ldk;
  // B chunk [chunk + DN1, ldk] when copied, C chunk [Mp, ldc] with ldc ≤ chunk + 16, and NR1 of slack.
  const room = heap.length - next - (bAt === null ? DN1 * ldk : 0) - 16 * Mp - NR1;
  const fit = Math.floor(room / ((bAt === null ? ldk : 0) + Mp) / DN) * DN;
  if (fit < DN) return false;
  const chunk = Math.min(fit, roundUp(N, DN));
  const ldc = padLd(chunk);
  const bBase = next;
  const cBase = bAt === null ? bBase + (Math.min(chunk, N) + DN1) * ldk : next;
  if (aAt === null) copyRows(A, aOff, call.lda, heap, aBase, ldk, M, K, K4);
  const startFromC = call.accumulate || call.bias !== undefined;

  for (let j0 = 0; j0 < N; j0 += chunk) {
    const nc = Math.min(chunk, N - j0);
    if (bAt === null) copyRows(B, bOff + j0 * call.ldb, call.ldb, heap, bBase, ldk, nc, K, K4);
    loadC(call, heap, cBase, ldc, j0, nc);
    if (bAt === null) dotBlocks(k, M, K4, nc, aBase, lda, bBase, ldk, cBase, ldc, startFromC);
    else dotBlocks(k, M, K4, nc, aBase, lda, bAt + j0 * call.ldb, call.ldb, cBase, ldc, startFromC);
    copyRows(heap, cBase, ldc, C, cOff + j0, ldcSrc, M, nc);
  }
  return true;
}
