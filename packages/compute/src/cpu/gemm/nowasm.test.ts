import { afterAll, describe, expect, it } from 'vitest';

// An engine without WebAssembly (or with WebAssembly but no SIMD) must fall back to the JS kernel, not fail.
const scope = globalThis as { WebAssembly?: unknown };
const saved = scope.WebAssembly;
delete scope.WebAssembly;
const { gemm, gemmBackend, wasmGemmFeature } = await import('./index');

afterAll(() => {
  scope.WebAssembly = saved;
});

describe('gemm without WebAssembly', () => {
  it('chooses the JS kernel and still multiplies', () => {
    expect(wasmGemmFeature()).toBeNull();
    expect(gemmBackend()).toBe('js');
    const A = Float32Array.from({ length: 40 * 30 }, (_, i) => (i % 7) - 3);
    const B = Float32Array.from({ length: 30 * 20 }, (_, i) => (i % 5) - 2);
    const C = new Float32Array(40 * 20);
    gemm('nn', 40, 20, 30, A, B, C);
    let s = 0;
    for (let p = 0; p < 30; p++) s += A[5 * 30 + p] * B[p * 20 + 7];
    expect(C[5 * 20 + 7]).toBe(s);
  });

  it('refuses to force the wasm backend', () => {
    expect(() => gemmBackend('wasm')).toThrow(/WebAssembly SIMD is unavailable/);
  });
});
