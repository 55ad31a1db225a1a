import { afterEach, describe, expect, it } from 'vitest';
import { GlassboxError } from '../../errors';
import { type GemmBackend, type GemmKind, gemm, gemmBackend, wasmGemmFeature } from './index';
import { gemmModuleBytes } from './wasmKernel';

const KINDS: GemmKind[] = ['nn', 'nt', 'tn'];

function random(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed | 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) | 0;
    a[i] = (s >>> 8) / (1 << 24) - 0.5;
  }
  return a;
}

/** The textbook definition, written out independently of the library: float64 sums over p in order. */
function expected(
  kind: GemmKind,
  M: number,
  N: number,
  K: number,
  A: ArrayLike<number>,
  B: ArrayLike<number>,
  C0: ArrayLike<number>,
  accumulate: boolean,
  bias?: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let p = 0; p < K; p++) {
        const a = kind === 'tn' ? A[p * M + i] : A[i * K + p];
        const b = kind === 'nt' ? B[j * K + p] : B[p * N + j];
        s += a * b;
      }
      if (bias) s += bias[j];
      out[i * N + j] = accumulate ? C0[i * N + j] + s : s;
    }
  }
  return out;
}

function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i] - y[i]);
    worst = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(worst, d);
  }
  return worst;
}

/** Runs gemm in float32 and returns the worst error against the float64 definition, relative to √K. */
function float32Error(kind: GemmKind, M: number, N: number, K: number, accumulate: boolean, withBias: boolean) {
  const A = random(M * K, M * 7 + K);
  const B = random(K * N, N * 13 + K);
  const C = random(M * N, 99);
  const bias = withBias ? random(N, 5) : undefined;
  const want = expected(kind, M, N, K, A, B, C, accumulate, bias);
  gemm(kind, M, N, K, A, B, C, { accumulate, bias });
  return maxAbsDiff(C, want) / Math.sqrt(Math.max(K, 1));
}

const backends: GemmBackend[] = wasmGemmFeature() === null ? ['js'] : ['wasm', 'js'];

afterEach(() => {
  gemmBackend(null);
});

describe.each(backends)('gemm on the %s backend', (backend) => {
  const SIZES = [1, 3, 17, 65, 129];

  it.each(KINDS)('%s matches the float64 definition on awkward sizes, with and without accumulate', (kind) => {
    gemmBackend(backend);
    for (const M of SIZES) {
      for (const N of SIZES) {
        for (const K of SIZES) {
          for (const accumulate of [false, true]) {
            expect(float32Error(kind, M, N, K, accumulate, false), `M=${M} N=${N} K=${K}`).toBeLessThan(1e-6);
          }
        }
      }
    }
  });

  it.each(KINDS)('%s adds the bias to every row, overwriting or accumulating', (kind) => {
    gemmBackend(backend);
    for (const [M, N, K] of [
      [5, 9, 3],
      [64, 33, 40],
      [130, 8, 17],
    ]) {
      expect(float32Error(kind, M, N, K, false, true)).toBeLessThan(1e-6);
      expect(float32Error(kind, M, N, K, true, true)).toBeLessThan(1e-6);
    }
  });

  it.each(KINDS)('%s blocks over rows and the reduction (M > 128, K > 256) without losing terms', (kind) => {
    gemmBackend(backend);
    expect(float32Error(kind, 300, 24, 600, true, true)).toBeLessThan(1e-6);
    expect(float32Error(kind, 131, 4096, 130, false, false)).toBeLessThan(1e-6);
  });

  it('reads and writes at element offsets, leaving the rest of C alone', () => {
    gemmBackend(backend);
    const [M, N, K] = [6, 10, 7];
    for (const kind of KINDS) {
      const A = random(3 + M * K + 2, 1);
      const B = random(5 + K * N + 1, 2);
      const bias = random(4 + N, 3);
      const C = random(7 + M * N + 3, 4);
      const before = C.slice();
      gemm(kind, M, N, K, A, B, C, { aOffset: 3, bOffset: 5, cOffset: 7, bias, biasOffset: 4, accumulate: true });
      const want = expected(kind, M, N, K, A.subarray(3), B.subarray(5), before.subarray(7), true, bias.subarray(4));
      expect(maxAbsDiff(C.subarray(7, 7 + M * N), want)).toBeLessThan(1e-5);
      expect(Array.from(C.subarray(0, 7))).toEqual(Array.from(before.subarray(0, 7)));
      expect(Array.from(C.subarray(7 + M * N))).toEqual(Array.from(before.subarray(7 + M * N)));
    }
  });

  it.each(KINDS)('%s reads strided operands in place and writes a column block of a wider C', (kind) => {
    gemmBackend(backend);
    // As one attention head would: [T, dh] slices (dh = 40 here) of [T, H·dh] activations.
    for (const [M, N, K] of [
      [3, 5, 7],
      [70, 33, 40],
    ]) {
      const [aRows, aCols] = kind === 'tn' ? [K, M] : [M, K];
      const [bRows, bCols] = kind === 'nt' ? [N, K] : [K, N];
      const [lda, ldb, ldc] = [aCols + 9, bCols + 3, N + 17];
      const Aw = random(aRows * lda, 1);
      const Bw = random(bRows * ldb, 2);
      const Cw = random(M * ldc, 3);
      const dense = (X: Float32Array, rows: number, cols: number, ld: number, off: number) => {
        const out = new Float32Array(rows * cols);
        for (let r = 0; r < rows; r++) out.set(X.subarray(off + r * ld, off + r * ld + cols), r * cols);
        return out;
      };
      const before = Cw.slice();
      const want = expected(
        kind,
        M,
        N,
        K,
        dense(Aw, aRows, aCols, lda, 4),
        dense(Bw, bRows, bCols, ldb, 1),
        dense(before, M, N, ldc, 6),
        true,
      );
      gemm(kind, M, N, K, Aw, Bw, Cw, { lda, ldb, ldc, aOffset: 4, bOffset: 1, cOffset: 6, accumulate: true });
      expect(maxAbsDiff(dense(Cw, M, N, ldc, 6), want)).toBeLessThan(1e-5);
      // everything outside the [M, N] block of C is untouched
      const mask = new Uint8Array(Cw.length);
      for (let i = 0; i < M; i++) mask.fill(1, 6 + i * ldc, 6 + i * ldc + N);
      for (let e = 0; e < Cw.length; e++) if (!mask[e]) expect(Cw[e]).toBe(before[e]);
    }
  });

  it('handles K = 0: C becomes zero, the bias, or is left unchanged when accumulating', () => {
    gemmBackend(backend);
    const C = new Float32Array([1, 2, 3, 4, 5, 6]);
    gemm('nn', 2, 3, 0, new Float32Array(0), new Float32Array(0), C, { accumulate: true });
    expect(Array.from(C)).toEqual([1, 2, 3, 4, 5, 6]);
    gemm('nt', 2, 3, 0, new Float32Array(0), new Float32Array(0), C, { bias: new Float32Array([1, 2, 3]) });
    expect(Array.from(C)).toEqual([1, 2, 3, 1, 2, 3]);
    gemm('tn', 2, 3, 0, new Float32Array(0), new Float32Array(0), C);
    expect(Array.from(C)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('ignores NaNs left in its scratch memory by an earlier call', () => {
    gemmBackend(backend);
    for (const kind of KINDS) {
      const poison = new Float32Array(9 * 70).fill(Number.NaN);
      gemm(kind, 9, 9, 70, poison, poison.slice(), new Float32Array(81));
      expect(float32Error(kind, 5, 7, 3, false, false)).toBeLessThan(1e-6);
    }
  });
});

describe('gemm on wide problems', () => {
  // B and C above 32 MB are processed in column chunks so the WebAssembly arena stays bounded.
  it.each(['nn', 'nt'] as const)('%s splits a 34 MB B into column chunks and still gets every column', (kind) => {
    expect(float32Error(kind, 5, 4100, 2100, true, true)).toBeLessThan(1e-6);
  });
});

describe('gemm with float64 data', () => {
  it.each(KINDS)('%s is exactly the plain float64 loop', (kind) => {
    const [M, N, K] = [7, 5, 9];
    const A = Float64Array.from(random(M * K, 1), (x) => x + 1e-12);
    const B = Float64Array.from(random(K * N, 2), (x) => x / 3);
    const bias = Float64Array.from(random(N, 3));
    const C = Float64Array.from(random(M * N, 4));
    const want = expected(kind, M, N, K, A, B, C, true, bias);
    gemm(kind, M, N, K, A, B, C, { accumulate: true, bias });
    expect(Array.from(C)).toEqual(Array.from(want));
  });

  it('uses the float64 loop whenever any operand is float64', () => {
    const A = random(6, 1);
    const B = Float64Array.from(random(6, 2), (x) => x / 3);
    const C = new Float64Array(4);
    gemm('nn', 2, 2, 3, A, B, C);
    expect(Array.from(C)).toEqual(Array.from(expected('nn', 2, 2, 3, A, B, C, false)));
  });
});

describe('gemm argument checks', () => {
  const expectBadShape = (fn: () => void) => {
    expect(fn).toThrow(GlassboxError);
    try {
      fn();
    } catch (e) {
      expect((e as GlassboxError).code).toBe('bad-shape');
    }
  };

  it('rejects operands too short for the sizes', () => {
    expectBadShape(() => gemm('nn', 2, 2, 2, new Float32Array(3), new Float32Array(4), new Float32Array(4)));
    expectBadShape(() => gemm('nt', 2, 2, 2, new Float32Array(4), new Float32Array(4), new Float32Array(3)));
    expectBadShape(() =>
      gemm('tn', 2, 2, 2, new Float32Array(4), new Float32Array(4), new Float32Array(4), { bias: new Float32Array(1) }),
    );
    expectBadShape(() => gemm('nn', 2.5, 2, 2, new Float32Array(9), new Float32Array(9), new Float32Array(9)));
    // a row stride shorter than the row, or one that runs past the end
    expectBadShape(() =>
      gemm('nn', 2, 2, 3, new Float32Array(9), new Float32Array(9), new Float32Array(9), { lda: 2 }),
    );
    expectBadShape(() =>
      gemm('nt', 2, 2, 2, new Float32Array(4), new Float32Array(4), new Float32Array(5), { ldc: 4 }),
    );
  });

  it('rejects a C that overlaps A, B or the bias (aliasing is not supported)', () => {
    const buf = new Float32Array(64);
    expectBadShape(() => gemm('nn', 4, 4, 4, buf, new Float32Array(16), buf, { cOffset: 8 }));
    expectBadShape(() => gemm('nt', 4, 4, 4, new Float32Array(16), buf.subarray(20), buf.subarray(30)));
    expectBadShape(() => gemm('tn', 4, 4, 4, new Float32Array(16), new Float32Array(16), buf, { bias: buf }));
    // disjoint views of one buffer are fine
    gemm('nn', 4, 4, 4, buf.subarray(0, 16), buf.subarray(16, 32), buf.subarray(32, 48));
  });
});

describe('the WebAssembly module', () => {
  it('stays under the 4 KB a browser main thread may compile synchronously', () => {
    expect(gemmModuleBytes(false).length).toBeLessThan(4096);
    expect(gemmModuleBytes(true).length).toBeLessThan(4096);
  });

  it('compiles as simd128 on Node 20 (relaxed SIMD is tested in relaxed.test.ts)', () => {
    expect(wasmGemmFeature()).toBe('simd');
  });
});
