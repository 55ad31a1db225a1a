import { gemm, gemmBackend } from '../../compute/src/cpu/gemm';

console.log('backend', gemmBackend());
for (const [kind, M, N, K] of [
  ['nn', 1024, 512, 128],
  ['nt', 1024, 4096, 128],
  ['tn', 128, 512, 1024],
  ['nn', 1024, 128, 4096],
] as const) {
  const A = new Float32Array(M * K).map(() => Math.random());
  const B = new Float32Array(K * N).map(() => Math.random());
  const C = new Float32Array(M * N);
  gemm(kind, M, N, K, A, B, C);
  const t0 = performance.now();
  const reps = 5;
  for (let r = 0; r < reps; r++) gemm(kind, M, N, K, A, B, C);
  const ms = (performance.now() - t0) / reps;
  console.log(kind, M, N, K, ms.toFixed(1), 'ms', ((2 * M * N * K) / ms / 1e6).toFixed(2), 'GFLOP/s');
}
