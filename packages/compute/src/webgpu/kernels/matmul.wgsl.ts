/**
 * Matrix multiply:   Y = op(A) · op(B) (+ bias) (+ Y, when accumulating)
 *   op(A): [N, K]  A stored [N, K], or stored [K, N] with transA   (dW = xᵀ · dY)
 *   op(B): [K, M]  B stored [K, M], or stored [M, K] with transB   (tied unembedding x · W_Eᵀ; dx = dY · Wᵀ)
 *   bias:  [M] (optional)     Y: [N, M]
 * The variants (transA, transB, bias, accumulate) are uniform flags, not separate pipelines: the branches are uniform
 * and nearly free, while each extra pipeline costs a shader compile (about a second on SwiftShader, and real time on
 * a page's first run). Without a bias the context's 4-byte dummy buffer is bound in its place.
 *
 * Three kernels compute the same thing; `chooseKernel` picks one by shape and adapter, tests run every one:
 * - 'tiled': a workgroup of 16 × 16 threads computes a 64 × 64 tile of Y, each thread 4 rows × 4 adjacent columns
 *   held in four vec4 accumulators. K is walked in slices of 32 staged in workgroup memory (16 KiB). The kernel for
 *   large products on a GPU. Grid: ⌈M/64⌉ × ⌈N/64⌉.
 * - 'block': the same 4 × 4 outputs per thread with no workgroup memory and no barrier: operands come straight from
 *   storage (neighbouring threads share rows of A and read adjacent columns of B, so caches serve most of it). Many
 *   more workgroups than 'tiled' on small products, and on CPU-emulated adapters (SwiftShader), where a barrier
 *   switches every invocation of the group, 1.3–3× faster than 'tiled' at every shape measured. Grid: flat, 64 per group.
 * - 'rows': few rows (N ≤ 4: decoding one token) take one thread per output, walking K. The product is bound by
 *   reading B once, which neighbouring threads do at neighbouring addresses. Grid: flat over N·M, 256 per group.
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
  /** Which kernel; default: chosen from the shape (see `chooseKernel`). Tests and benchmarks force each one. */
  kernel?: MatmulKernel;
}

export type MatmulKernel = 'tiled' | 'block' | 'rows';

const TILE = 64;
/** Depth of the K slice staged per barrier pair: 2 × 32 × 64 floats = 16 KiB, WebGPU's guaranteed minimum. */
const TK = 32;
const SMALL_N = 4;

export function matmul(
  rec: Recorder,
  { a, b, bias, out, transA = false, transB = false, accumulate = false, kernel }: MatmulArgs,
) {
  const [N, K] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const M = transB ? b.shape[0] : b.shape[1];
  expectShape(a, transA ? [K, N] : [N, K], 'matmul A');
  expectShape(b, transB ? [M, K] : [K, M], 'matmul B');
  if (bias) expectShape(bias, [M], 'matmul bias');
  expectShape(out, [N, M], 'matmul output');
  const flags = +transA | (+transB << 1) | (+!!bias << 2) | (+accumulate << 3);
  const which = kernel ?? chooseKernel(N, M, rec.emulated);
  if (which === 'block') {
    rec.dispatch({
      key: 'matmul:block',
      code: blockWgsl,
      buffers: [a, b, bias ?? rec.dummy, out],
      uniforms: [N, K, M, flags],
      workgroupSize: 64,
      workgroups: flatGrid(Math.ceil(N / 4) * Math.ceil(M / 4), 64, rec.limits, 'matmul'),
    });
    return;
  }
  if (which === 'rows') {
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
    workgroupStorageBytes: 2 * TK * TILE * 4,
    workgroups: [Math.ceil(M / TILE), Math.ceil(N / TILE), 1],
  });
}

/** Tiles of the shared-memory kernel below which a dispatch would leave most of a GPU idle. */
const MIN_TILES = 32;

/**
 * ≤ 4 rows: 'rows'. Otherwise on a GPU the shared-memory tiles when there are enough of them to occupy the device,
 * else 'block' (a tile grid of 2 workgroups would leave a GPU idle). On a CPU-emulated adapter always 'block': there
 * the tiled kernel's barriers cost more than its shared memory saves (measured on SwiftShader, docs/benchmarks.md).
 */
export function chooseKernel(N: number, M: number, emulated = false): MatmulKernel {
  if (N <= SMALL_N) return 'rows';
  if (emulated) return 'block';
  return Math.ceil(N / TILE) * Math.ceil(M / TILE) >= MIN_TILES ? 'tiled' : 'block';
}

function matmulWgsl(): string {
  return /* wgsl */ `${HEADER}

const TS = ${TILE}u;
const TK = ${TK}u;
var<workgroup> As: array<f32, ${TK * TILE}>;            // As[k * TS + row]
var<workgroup> Bs: array<vec4<f32>, ${(TK * TILE) / 4}>; // Bs[k * 16 + q]: columns 4q … 4q + 3 of the tile

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
  // Four named accumulators rather than an indexed array: an array indexed in a loop may live in memory (it does on
  // SwiftShader), four vec4 values stay in registers.
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var k0 = 0u; k0 < p.K; k0 += TK) {
    // Consecutive threads read consecutive addresses of the stored layout (which index runs fastest depends on it).
    for (var i = 0u; i < ${(TK * TILE) / 256}u; i++) {
      let e = li + i * 256u;
      let r = select(e / TK, e % TS, transA);
      let ka = select(e % TK, e / TS, transA);
      As[ka * TS + r] = loadA(row0 + r, k0 + ka);
    }
    for (var i = 0u; i < ${(TK * TILE) / 1024}u; i++) {
      let e = li + i * 256u;
      let kb = select(e / 16u, e % TK, transB);
      let c = col0 + 4u * select(e % 16u, e / TK, transB);
      let k = k0 + kb;
      Bs[kb * 16u + (c - col0) / 4u] = vec4f(loadB(k, c), loadB(k, c + 1u), loadB(k, c + 2u), loadB(k, c + 3u));
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let b = Bs[kk * 16u + lid.x];
      let a = kk * TS + lid.y;
      acc0 = fma(vec4f(As[a]), b, acc0);
      acc1 = fma(vec4f(As[a + 16u]), b, acc1);
      acc2 = fma(vec4f(As[a + 32u]), b, acc2);
      acc3 = fma(vec4f(As[a + 48u]), b, acc3);
    }
    workgroupBarrier();
  }
  store(row0 + lid.y, col0 + 4u * lid.x, acc0);
  store(row0 + lid.y + 16u, col0 + 4u * lid.x, acc1);
  store(row0 + lid.y + 32u, col0 + 4u * lid.x, acc2);
  store(row0 + lid.y + 48u, col0 + 4u * lid.x, acc3);
}

${STORE_WGSL}`;
}

/** Y[r, c0 … c0 + 3] = v (+ bias) (+ Y), skipping what lies past the edge. */
const STORE_WGSL = /* wgsl */ `
fn store(r: u32, c0: u32, v: vec4f) {
  if (r >= p.N) { return; }
  for (var j = 0u; j < 4u; j++) {
    let c = c0 + j;
    if (c >= p.M) { return; }
    var y = v[j];
    if ((p.flags & 4u) != 0u) { y += Bias[c]; }
    if ((p.flags & 8u) != 0u) { y += Y[r * p.M + c]; }
    Y[r * p.M + c] = y;
  }
}
`;

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

function blockWgsl(): string {
  return /* wgsl */ `${HEADER}
fn loadA(r: u32, k: u32) -> f32 {
  return A[select(r * p.K + k, k * p.N + r, (p.flags & 1u) != 0u)];
}

fn loadB(k: u32, c: u32) -> f32 {
  return B[select(k * p.M + c, c * p.K + k, (p.flags & 2u) != 0u)];
}

@compute @workgroup_size(64)
fn main(${FLAT_BUILTINS}) {
  let colBlocks = (p.M + 3u) / 4u;
  let idx = ${FLAT_GROUP} * 64u + li;
  if (idx >= ((p.N + 3u) / 4u) * colBlocks) { return; }
  let r0 = (idx / colBlocks) * 4u;
  let c0 = (idx % colBlocks) * 4u;
  // Rows and columns past the edge read the last valid one (in bounds, never stored) so the loop has no branches.
  let r = vec4u(min(r0, p.N - 1u), min(r0 + 1u, p.N - 1u), min(r0 + 2u, p.N - 1u), min(r0 + 3u, p.N - 1u));
  let c = vec4u(min(c0, p.M - 1u), min(c0 + 1u, p.M - 1u), min(c0 + 2u, p.M - 1u), min(c0 + 3u, p.M - 1u));
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var k = 0u; k < p.K; k++) {
    let b = vec4f(loadB(k, c.x), loadB(k, c.y), loadB(k, c.z), loadB(k, c.w));
    acc0 = fma(vec4f(loadA(r.x, k)), b, acc0);
    acc1 = fma(vec4f(loadA(r.y, k)), b, acc1);
    acc2 = fma(vec4f(loadA(r.z, k)), b, acc2);
    acc3 = fma(vec4f(loadA(r.w, k)), b, acc3);
  }
  store(r0, c0, acc0);
  store(r0 + 1u, c0, acc1);
  store(r0 + 2u, c0, acc2);
  store(r0 + 3u, c0, acc3);
}
${STORE_WGSL}`;
}
