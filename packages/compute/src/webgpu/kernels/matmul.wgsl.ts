/**
 * Tiled matrix multiply:   Y = op(A) · op(B) (+ bias) (+ Y, when accumulating)
 *   op(A): [N, K]  A stored [N, K], or stored [K, N] with transA   (dW = xᵀ · dY)
 *   op(B): [K, M]  B stored [K, M], or stored [M, K] with transB   (tied unembedding x · W_Eᵀ; dx = dY · Wᵀ)
 *   bias:  [M] (optional)     Y: [N, M]
 *
 * A workgroup of 16 × 16 threads computes a 64 × 64 tile of Y, each thread 4 × 4 outputs (rows ty + 16i, columns
 * tx + 16j, so neighbouring threads store neighbouring columns). K is walked in slices of 16 staged in workgroup
 * memory (2 × 16 × 64 floats = 8 KiB). Tiles hanging over the edge of awkward sizes load zeros and skip the store.
 * The variants (transA, transB, bias, accumulate) are uniform flags, not separate pipelines: the branches are uniform
 * and nearly free, while each extra pipeline costs a shader compile (about a second on SwiftShader, and real time on
 * a page's first run). Without a bias the context's 4-byte dummy buffer is bound in its place.
 * Grid: ⌈M/64⌉ × ⌈N/64⌉.
 *
 * Few rows (N ≤ 4: decoding one token, a short prompt) take a second, barrier-free kernel instead: one thread per
 * output, walking K. A 64-row tile would leave 63 of every 64 threads idle there, and the product is bound by reading
 * W once anyway, which neighbouring threads do at neighbouring addresses (B row k, columns m, m+1, …).
 * Grid: flat over N·M, 256 per workgroup.
 */
import type { GpuTensor } from '../context';
import type { Recorder } from '../scheduler';
import { expectShape, FLAT_BUILTINS, FLAT_GROUP, flatGrid } from './shared';

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
const SMALL_N = 4;

export function matmul(
  rec: Recorder,
  { a, b, bias, out, transA = false, transB = false, accumulate = false }: MatmulArgs,
) {
  const [N, K] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const M = transB ? b.shape[0] : b.shape[1];
  expectShape(a, transA ? [K, N] : [N, K], 'matmul A');
  expectShape(b, transB ? [M, K] : [K, M], 'matmul B');
  if (bias) expectShape(bias, [M], 'matmul bias');
  expectShape(out, [N, M], 'matmul output');
  const flags = +transA | (+transB << 1) | (+!!bias << 2) | (+accumulate << 3);
  if (N <= SMALL_N) {
    rec.dispatch({
      key: 'matmul:rows',
      code: rowsWgsl,
      buffers: [a, b, bias ?? rec.dummy, out],
      uniforms: [N, K, M, flags],
      workgroupSize: 256,
      workgroups: flatGrid(N * M, 256, rec.limits, 'matmul'),
    });
    return;
  }
  rec.dispatch({
    key: 'matmul',
    code: matmulWgsl,
    buffers: [a, b, bias ?? rec.dummy, out],
    uniforms: [N, K, M, flags],
    workgroupSize: 256,
    workgroupStorageBytes: 2 * 16 * TILE * 4,
    workgroups: [Math.ceil(M / TILE), Math.ceil(N / TILE), 1],
  });
}

function matmulWgsl(): string {
  return /* wgsl */ `${HEADER}

const TS = ${TILE}u;
const TK = 16u;
var<workgroup> As: array<f32, ${16 * TILE}>; // As[k * TS + row]
var<workgroup> Bs: array<f32, ${16 * TILE}>; // Bs[k * TS + col]

fn loadA(r: u32, k: u32) -> f32 {
  if (r >= p.N || k >= p.K) { return 0.0; }
  return A[select(r * p.K + k, k * p.N + r, (p.flags & 1u) != 0u)];
}

fn loadB(k: u32, c: u32) -> f32 {
  if (k >= p.K || c >= p.M) { return 0.0; }
  return B[select(k * p.M + c, c * p.K + k, (p.flags & 2u) != 0u)];
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let row0 = wg.y * TS;
  let col0 = wg.x * TS;
  let transA = (p.flags & 1u) != 0u;
  let transB = (p.flags & 2u) != 0u;
  var acc: array<f32, 16>;
  for (var k0 = 0u; k0 < p.K; k0 += TK) {
    // 1024 values of each tile, 4 per thread; consecutive threads read consecutive addresses of the stored layout.
    for (var i = 0u; i < 4u; i++) {
      let e = li + i * 256u;
      let r = select(e / TK, e % TS, transA);
      let ka = select(e % TK, e / TS, transA);
      As[ka * TS + r] = loadA(row0 + r, k0 + ka);
      let c = select(e % TS, e / TK, transB);
      let kb = select(e / TS, e % TK, transB);
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
      if ((p.flags & 4u) != 0u) { y += Bias[c]; }
      if ((p.flags & 8u) != 0u) { y += Y[r * p.M + c]; }
      Y[r * p.M + c] = y;
    }
  }
}
`;
}

const HEADER = /* wgsl */ `
struct Params { N: u32, K: u32, M: u32, flags: u32 }
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read> Bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;`;

function rowsWgsl(): string {
  return /* wgsl */ `${HEADER}
@compute @workgroup_size(256)
fn main(${FLAT_BUILTINS}) {
  let idx = ${FLAT_GROUP} * 256u + li;
  if (idx >= p.N * p.M) { return; }
  let r = idx / p.M;
  let c = idx % p.M;
  let transA = (p.flags & 1u) != 0u;
  let transB = (p.flags & 2u) != 0u;
  var acc = 0.0;
  for (var k = 0u; k < p.K; k++) {
    let a = A[select(r * p.K + k, k * p.N + r, transA)];
    acc = fma(a, B[select(k * p.M + c, c * p.K + k, transB)], acc);
  }
  if ((p.flags & 4u) != 0u) { acc += Bias[c]; }
  if ((p.flags & 8u) != 0u) { acc += Y[idx]; }
  Y[idx] = acc;
}`;
}
