import v8 from 'node:v8';
import { afterAll, describe, expect, it } from 'vitest';

// Browsers with relaxed SIMD (Chrome 114+) get the fused-multiply-add kernel. Node 20 ships it behind a flag; turning
// the flag on before this file loads gemm makes it pick that kernel, so both variants are tested here.
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
const { gemm, wasmGemmFeature } = await import('./index');

afterAll(() => {
  v8.setFlagsFromString('--no-experimental-wasm-relaxed-simd');
});

function random(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed | 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) | 0;
    a[i] = (s >>> 8) / (1 << 24) - 0.5;
  }
  return a;
}

describe('gemm with relaxed SIMD', () => {
  it('selects the fused kernel', () => {
    expect(wasmGemmFeature()).toBe('relaxed-simd');
  });

  it.each(['nn', 'nt', 'tn'] as const)('%s matches the float64 loop', (kind) => {
    for (const [M, N, K] of [
      [1, 1, 1],
      [17, 65, 3],
      [129, 17, 300],
    ]) {
      const A = random(M * K, 1);
      const B = random(K * N, 2);
      const bias = random(N, 3);
      const C = random(M * N, 4);
      const want = Float64Array.from(C);
      // float64 operands take the plain loop
      gemm(kind, M, N, K, Float64Array.from(A), Float64Array.from(B), want, {
        accumulate: true,
        bias: Float64Array.from(bias),
      });
      gemm(kind, M, N, K, A, B, C, { accumulate: true, bias });
      let worst = 0;
      for (let i = 0; i < C.length; i++) worst = Math.max(worst, Math.abs(C[i] - want[i]));
      expect(worst).toBeLessThan(1e-6 * Math.sqrt(K) + 1e-6);
    }
  });
});
