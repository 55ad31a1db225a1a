/**
 * Attention mix per head, and the three backward products of the same shape (matching cpu/ops/attention):
 *   forward           z[t, h]  = Σ_s pattern[h, t, s] · v[s, h]                           (attentionMix)
 *   transposed        dv[s, h] = Σ_t pattern[h, t, s] · dz[t, h]                          (attentionMixBackward)
 *   masked, scaled    dq[t, h] = Σ_s dScores[h, t, s] · k[s, h] / √dh   over mask ≠ 0     (attentionScoresBackward)
 *   both              dk[s, h] = Σ_t dScores[h, t, s] · q[t, h] / √dh   over mask ≠ 0
 * In general  out[a, h, :] = scale · Σ_b [mask] · P[h, a, b] (or P[h, b, a] transposed) · v[b, h, :]
 *   P: [H, T, S], mask: [T, S]; not transposed: v [S, H, dh] → out [T, H, dh]; transposed: v [T, H, dh] → out [S, H, dh]
 * With a KV cache, v is a view of the layer's cache buffer (S rows). One thread per output; neighbouring threads
 * take neighbouring i, so the reads of v rows are contiguous. Grid: flat over rows·H·dh, 256 per workgroup.
 */
import type { GpuTensor } from '../context';
import type { Recorder } from '../scheduler';
import { f32Bits } from '../scheduler';
import { expectShape, FLAT_BUILTINS, FLAT_GROUP, flatGrid } from './shared';

export interface MixOptions {
  /** Sum over the pattern's query axis instead of its key axis (the transpose of the pattern). */
  transposed?: boolean;
  /** Skip entries where mask[t, s] = 0 (the scores' backward: masked scores are constants). */
  mask?: GpuTensor;
  /** Multiply the sum by this (1/√dh for the scores' backward). */
  scale?: number;
}

export function attentionMix(
  rec: Recorder,
  pattern: GpuTensor,
  v: GpuTensor,
  out: GpuTensor,
  { transposed = false, mask, scale = 1 }: MixOptions = {},
): void {
  const [H, T, S] = pattern.shape;
  const dh = v.shape[2];
  const [A, B] = transposed ? [S, T] : [T, S];
  expectShape(v, [B, H, dh], 'attention mix v');
  expectShape(out, [A, H, dh], 'attention mix output');
  if (mask) expectShape(mask, [T, S], 'attention mix mask');
  const n = A * H * dh;
  // P[h, a, b] when not transposed (a = t, b = s), P[h, b, a] when transposed (a = s, b = t); mask is always [t, s].
  const pIndex = transposed ? '(h * p.T + b) * p.S + a' : '(h * p.T + a) * p.S + b';
  const mIndex = transposed ? 'b * p.S + a' : 'a * p.S + b';
  rec.dispatch({
    key: `attentionMix:${+transposed}${+!!mask}`,
    code: () => /* wgsl */ `
struct Params { n: u32, T: u32, S: u32, H: u32, dh: u32, B: u32, scale: f32 }
@group(0) @binding(0) var<storage, read> P: array<f32>;
@group(0) @binding(1) var<storage, read> V: array<f32>;
${mask ? '@group(0) @binding(3) var<storage, read> Mask: array<f32>;' : ''}
@group(0) @binding(2) var<storage, read_write> Out: array<f32>;
@group(0) @binding(${mask ? 4 : 3}) var<uniform> p: Params;
@compute @workgroup_size(256)
fn main(${FLAT_BUILTINS}) {
  let idx = ${FLAT_GROUP} * 256u + li;
  if (idx >= p.n) { return; }
  let i = idx % p.dh;
  let h = (idx / p.dh) % p.H;
  let a = idx / (p.dh * p.H);
  let stride = p.H * p.dh;
  var acc = 0.0;
  for (var b = 0u; b < p.B; b++) {
    ${mask ? `if (Mask[${mIndex}] == 0.0) { continue; }` : ''}
    acc += P[${pIndex}] * V[b * stride + h * p.dh + i];
  }
  Out[idx] = acc * p.scale;
}`,
    buffers: mask ? [pattern, v, out, mask] : [pattern, v, out],
    uniforms: [n, T, S, H, dh, B, f32Bits(scale)],
    workgroupSize: 256,
    workgroups: flatGrid(n, 256, rec.limits, 'attentionMix'),
  });
}
