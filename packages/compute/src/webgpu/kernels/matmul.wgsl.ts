/**
 * Tiled matrix multiply:   Y = op(A) · op(B) (+ bias) (+ Y, when accumulating)
 *   op(A): [N, K]  A stored [N, K], or stored [K, N] with transA   (dW = xᵀ · dY)
 *   op(B): [K, M]  B stored [K, M], or stored [M, K] with transB   (tied unembedding x · W_Eᵀ; dx = dY · Wᵀ)
 *   bias:  [M] (optional)     Y: [N, M]
 *
 * A workgroup of 16 × 16 threads computes a 64 × 64 tile of Y, each thread 4 × 4 outputs (rows ty + 16i, columns
 * tx + 16j, so neighbouring threads store neighbouring columns). K is walked in slices of 16 staged in workgroup
 * memory (2 × 16 × 64 floats = 8 KiB). Tiles hanging over the edge of awkward sizes load zeros and skip the store.
 * Grid: ⌈M/64⌉ × ⌈N/64⌉.
 */
import type { GpuTensor } from '../context';
import type { Recorder } from '../scheduler';
import { expectShape } from './shared';

export interface MatmulArgs {
  a: GpuTensor;
  b: GpuTensor;
  bias?: GpuTensor;
  out: GpuTensor;
  transA?: boolean;
  transB?: boolean;
  /** Y += op(A)·op(B) instead of Y = … (gradient accumulation). */
  accumulate?: boolean;
}

const TILE = 64;

export function matmul(rec: Recorder, { a, b, bias, out, transA = false, transB = false, accumulate = false }: MatmulArgs) {
  const [N, K] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const M = transB ? b.shape[0] : b.shape[1];
  expectShape(a, transA ? [K, N] : [N, K], 'matmul A');
  expectShape(b, transB ? [M, K] : [K, M], 'matmul B');
  if (bias) expectShape(bias, [M], 'matmul bias');
  expectShape(out, [N, M], 'matmul output');
  const variant = { transA, transB, bias: !!bias, accumulate };
  rec.dispatch({
    key: `matmul:${+transA}${+transB}${+!!bias}${+accumulate}`,
    code: () => matmulWgsl(variant),
    buffers: bias ? [a, b, bias, out] : [a, b, out],
    uniforms: [N, K, M],
    workgroupSize: 256,
    workgroupStorageBytes: 2 * 16 * TILE * 4,
    workgroups: [Math.ceil(M / TILE), Math.ceil(N / TILE), 1],
  });
}

interface Variant {
  transA: boolean;
  transB: boolean;
  bias: boolean;
  accumulate: boolean;
}

function matmulWgsl(v: Variant): string {
  const yBinding = v.bias ? 3 : 2;
  return /* wgsl */ `
struct Params { N: u32, K: u32, M: u32 }
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
${v.bias ? '@group(0) @binding(2) var<storage, read> bias: array<f32>;' : ''}
@group(0) @binding(${yBinding}) var<storage, read_write> Y: array<f32>;
@group(0) @binding(${yBinding + 1}) var<uniform> p: Params;

const TS = ${TILE}u;
const TK = 16u;
var<workgroup> As: array<f32, ${16 * TILE}>; // As[k * TS + row]
var<workgroup> Bs: array<f32, ${16 * TILE}>; // Bs[k * TS + col]

fn loadA(r: u32, k: u32) -> f32 {
  if (r >= p.N || k >= p.K) { return 0.0; }
  return A[${v.transA ? 'k * p.N + r' : 'r * p.K + k'}];
}

fn loadB(k: u32, c: u32) -> f32 {
  if (k >= p.K || c >= p.M) { return 0.0; }
  return B[${v.transB ? 'c * p.K + k' : 'k * p.M + c'}];
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let row0 = wg.y * TS;
  let col0 = wg.x * TS;
  var acc: array<f32, 16>;
  for (var k0 = 0u; k0 < p.K; k0 += TK) {
    // 1024 values of each tile, 4 per thread; consecutive threads read consecutive addresses of the stored layout.
    for (var i = 0u; i < 4u; i++) {
      let e = li + i * 256u;
      ${v.transA ? 'let r = e % TS; let ka = e / TS;' : 'let r = e / TK; let ka = e % TK;'}
      As[ka * TS + r] = loadA(row0 + r, k0 + ka);
      ${v.transB ? 'let c = e / TK; let kb = e % TK;' : 'let c = e % TS; let kb = e / TS;'}
      Bs[kb * TS + c] = loadB(k0 + kb, col0 + c);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      var av: array<f32, 4>;
      var bv: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) {
        av[i] = As[kk * TS + lid.y + 16u * i];
        bv[i] = Bs[kk * TS + lid.x + 16u * i];
      }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) {
          acc[i * 4u + j] = fma(av[i], bv[j], acc[i * 4u + j]);
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let r = row0 + lid.y + 16u * i;
    if (r >= p.N) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let c = col0 + lid.x + 16u * j;
      if (c >= p.M) { continue; }
      var y = acc[i * 4u + j];
      ${v.bias ? 'y += bias[c];' : ''}
      ${v.accumulate ? 'y += Y[r * p.M + c];' : ''}
      Y[r * p.M + c] = y;
    }
  }
}
`;
}
