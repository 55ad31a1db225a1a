import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GemmKind } from './index';
import { gemm, gemmBackend, gemmScratchFloats, ResidentArena, wasmGemmFeature } from './index';
import { gemmPathCounts } from './wasm';

function random(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed | 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) | 0;
    a[i] = (s >>> 8) / (1 << 24) - 0.5;
  }
  return a;
}

const KINDS: GemmKind[] = ['nn', 'nt', 'tn'];
/** Stored [rows, cols] of A and B for a call. */
const shapeA = (kind: GemmKind, M: number, K: number) => (kind === 'tn' ? [K, M] : [M, K]);
const shapeB = (kind: GemmKind, N: number, K: number) => (kind === 'nt' ? [N, K] : [K, N]);

interface Case {
  kind: GemmKind;
  M: number;
  N: number;
  K: number;
  /** row strides and offsets of A and B as stored (padding columns in front / at the end of each row) */
  pad?: number;
  off?: number;
  accumulate?: boolean;
  bias?: boolean;
}

/**
 * Runs one call twice: with `which` operand(s) (and the bias) resident in `arena`, and with plain copies of every
 * operand (the copying path). Returns both C's and whether the resident call ran in place.
 */
function both(arena: ResidentArena, c: Case, which: 'A' | 'B' | 'AB') {
  const { kind, M, N, K, pad = 0, off = 0, accumulate = false } = c;
  const [ar, ac] = shapeA(kind, M, K);
  const [br, bc] = shapeB(kind, N, K);
  const lda = ac + pad;
  const ldb = bc + pad;
  const Aplain = random(off + ar * lda, M * 31 + K);
  const Bplain = random(off + br * ldb, N * 17 + K);
  const biasPlain = c.bias ? random(N + off, 7) : undefined;
  const C0 = random(M * N, 3);
  const A = which.includes('A') ? arena.place(Aplain) : Aplain.slice();
  const B = which.includes('B') ? arena.place(Bplain) : Bplain.slice();
  const bias = biasPlain ? arena.place(biasPlain) : undefined;
  const opts = { lda, ldb, aOffset: off, bOffset: off, accumulate, bias, biasOffset: off };
  const resident = C0.slice();
  const before = gemmPathCounts.inPlace;
  gemm(kind, M, N, K, A, B, resident, opts);
  const inPlace = gemmPathCounts.inPlace > before;
  const copied = C0.slice();
  gemm(kind, M, N, K, Aplain, Bplain, copied, { ...opts, bias: biasPlain });
  return { resident, copied, inPlace };
}

const bigArena = () => ResidentArena.create([4e6], gemmScratchFloats(300, 1200)) as ResidentArena;

describe.runIf(wasmGemmFeature() !== null)('gemm on operands resident in WebAssembly memory', () => {
  beforeEach(() => {
    gemmBackend('wasm');
  });
  afterEach(() => {
    gemmBackend(null);
  });

  it.each(KINDS)('%s with B resident: in place, and bit for bit the copying path', (kind) => {
    const arena = bigArena();
    for (const [M, N, K] of [
      [1, 37, 64],
      [1, 3072, 16],
      [3, 65, 300],
      [17, 129, 44],
      [70, 33, 520],
      [200, 8, 12],
    ]) {
      for (const [accumulate, bias] of [
        [false, false],
        [true, true],
        [false, true],
      ]) {
        const r = both(arena, { kind, M, N, K, accumulate, bias }, 'B');
        expect(r.inPlace, `${kind} M=${M} N=${N} K=${K}`).toBe(true);
        expect(Array.from(r.resident)).toEqual(Array.from(r.copied));
      }
    }
  });

  it.each(KINDS)('%s with A resident, and with both resident', (kind) => {
    const arena = bigArena();
    for (const [M, N, K] of [
      [1, 40, 64],
      [5, 19, 36],
      [66, 70, 260],
    ]) {
      for (const which of ['A', 'AB'] as const) {
        const r = both(arena, { kind, M, N, K, accumulate: true, bias: true }, which);
        expect(r.inPlace, `${which} ${kind} M=${M}`).toBe(true);
        expect(Array.from(r.resident)).toEqual(Array.from(r.copied));
      }
    }
  });

  it.each(KINDS)('%s reads resident operands at offsets and with row strides', (kind) => {
    const arena = bigArena();
    for (const [M, N, K] of [
      [1, 50, 40],
      [9, 21, 72],
    ]) {
      for (const which of ['A', 'B'] as const) {
        const r = both(arena, { kind, M, N, K, pad: 12, off: 5, accumulate: true, bias: true }, which);
        expect(r.inPlace).toBe(true);
        expect(Array.from(r.resident)).toEqual(Array.from(r.copied));
      }
    }
  });

  it('writes only the [M, N] block of a strided C', () => {
    const arena = bigArena();
    const [M, N, K] = [3, 10, 8];
    const B = arena.place(random(K * N, 1));
    const A = random(M * K, 2);
    const C = random(2 + M * (N + 5), 3);
    const want = C.slice();
    gemm('nn', M, N, K, A, B.slice(), want, { cOffset: 2, ldc: N + 5 });
    gemm('nn', M, N, K, A, B, C, { cOffset: 2, ldc: N + 5 });
    expect(Array.from(C)).toEqual(Array.from(want));
  });

  it('gives one row the same bits as any row of a taller call (the single-row kernels)', () => {
    const arena = bigArena();
    for (const kind of ['nn', 'nt'] as const) {
      const [N, K] = [77, 520];
      const B = arena.place(random(N * K, 4));
      const row = random(K, 5);
      const A3 = new Float32Array(3 * K);
      for (let i = 0; i < 3; i++) A3.set(row, i * K);
      const one = new Float32Array(N);
      const three = new Float32Array(3 * N);
      gemm(kind, 1, N, K, row, B, one);
      gemm(kind, 3, N, K, A3, B, three);
      for (let i = 0; i < 3; i++) expect(Array.from(three.subarray(i * N, (i + 1) * N))).toEqual(Array.from(one));
    }
  });

  it('falls back to copying (same results) when the call does not fit the scratch', () => {
    const arena = ResidentArena.create([1e5], gemmScratchFloats(4, 32)) as ResidentArena;
    for (const kind of KINDS) {
      const r = both(arena, { kind, M: 1000, N: 64, K: 40, bias: true }, 'B'); // scratch ≈ one page
      expect(r.inPlace).toBe(false);
      expect(Array.from(r.resident)).toEqual(Array.from(r.copied));
      // a single row still fits
      expect(both(arena, { kind, M: 1, N: 64, K: 40 }, 'B').inPlace).toBe(true);
    }
  });

  it("falls back for 'nt' when K is not a multiple of 4 (dot reads whole vectors along K)", () => {
    const arena = bigArena();
    for (const which of ['A', 'B'] as const) {
      const r = both(arena, { kind: 'nt', M: 5, N: 30, K: 41, bias: true }, which);
      expect(r.inPlace).toBe(false);
      expect(Array.from(r.resident)).toEqual(Array.from(r.copied));
    }
    // 'nn' and 'tn' read any K in place
    expect(both(arena, { kind: 'nn', M: 5, N: 30, K: 41 }, 'B').inPlace).toBe(true);
  });

  it('falls back when C is resident, and copies a B whose rows are 4 KiB apart for several rows', () => {
    const arena = bigArena();
    const B = arena.place(random(16 * 20, 1));
    const C = arena.place(new Float32Array(3 * 20));
    const before = gemmPathCounts.copied;
    gemm('nn', 3, 20, 16, random(48, 2), B, C);
    expect(gemmPathCounts.copied).toBe(before + 1);
    const want = new Float32Array(60);
    gemm('nn', 3, 20, 16, random(48, 2), B.slice(), want);
    expect(Array.from(C)).toEqual(Array.from(want));

    const wide = both(arena, { kind: 'nn', M: 8, N: 1024, K: 20 }, 'B');
    expect(wide.inPlace).toBe(false);
    expect(Array.from(wide.resident)).toEqual(Array.from(wide.copied));
    expect(both(arena, { kind: 'nn', M: 1, N: 1024, K: 20 }, 'B').inPlace).toBe(true);
  });

  it('keeps its views valid while other gemm calls grow the shared memory', () => {
    const arena = bigArena();
    const values = random(64 * 48, 9);
    const W = arena.place(values);
    const buffer = W.buffer;
    // 8 MB of operands: the shared instance's memory grows (detaching its old buffer), the arena's does not
    const n = 1000;
    gemm('nn', n, n, n / 2, random((n * n) / 2, 1), random((n * n) / 2, 2), new Float32Array(n * n));
    expect(W.buffer).toBe(buffer);
    expect(W.length).toBe(values.length);
    expect(Array.from(W)).toEqual(Array.from(values));
    expect(arena.holds(W)).toBe(true);
    const r = both(arena, { kind: 'nn', M: 2, N: 48, K: 64 }, 'B');
    expect(r.inPlace).toBe(true);
    expect(Array.from(r.resident)).toEqual(Array.from(r.copied));
  });

  it('refuses more memory than allowed with a GlassboxError', () => {
    expect(() => ResidentArena.create([1 << 20], 0, { maxBytes: 1 << 20 })).toThrow(/at most 1\.0 MiB/);
    expect(() => ResidentArena.create([1 << 20], 0, { maxBytes: 1 << 20 })).toThrowError(
      expect.objectContaining({ name: 'GlassboxError', code: 'device-limit' }),
    );
  });
});
