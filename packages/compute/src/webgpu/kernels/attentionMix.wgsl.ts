/**
 * Attention mix per head, and the three backward products of the same shape (matching cpu/ops/attention):
 *   forward           z[t, h]  = Σ_s pattern[h, t, s] · v[s, h]                           (attentionMix)
 *   transposed        dv[s, h] = Σ_t pattern[h, t, s] · dz[t, h]                          (attentionMixBackward)
 *   masked, scaled    dq[t, h] = Σ_s dScores[h, t, s] · k[s, h] / √dh   over mask ≠ 0     (attentionScoresBackward)
 *   both              dk[s, h] = Σ_t dScores[h, t, s] · q[t, h] / √dh   over mask ≠ 0
 * In general  out[a, h, :] = scale · Σ_j [mask] · P[h, a, j] (or P[h, j, a] transposed) · v[j, h, :]
 *   P: [H, T, S], mask: [T, S]; not transposed: v [S, H, dh] → out [T, H, dh]; transposed: v [T, H, dh] → out [S, H, dh]
 * A batch of sequences (the training step) adds a leading dimension B to P, v and out (P [B, H, T, S], v [B, ·, H, dh],
 * out [B, ·, H, dh]); sequence b's outputs sum only over sequence b's pattern and rows. The mask stays [T, S] (the
 * same causal mask for every sequence). The 3-D shapes are B = 1, on the same pipeline.
 * With a KV cache, v is a view of the layer's cache buffer (S rows). One thread per output; neighbouring threads
 * take neighbouring i, so the reads of v rows are contiguous. Grid: flat over B·rows·H·dh, 256 per workgroup.
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
  const batched = pattern.shape.length === 4;
  const [B, H, T, S] = batched ? pattern.shape : [1, ...pattern.shape];
  const lead = batched ? [B] : [];
  const dh = v.shape[v.shape.length - 1];
  // a: the output's row axis; j: the axis summed over.
  const [A, J] = transposed ? [S, T] : [T, S];
  expectShape(v, [...lead, J, H, dh], 'attention mix v');
  expectShape(out, [...lead, A, H, dh], 'attention mix output');
  if (mask) expectShape(mask, [T, S], 'attention mix mask');
  const n = B * A * H * dh;
  // P[b, h, a, j] when not transposed (a = t, j = s), P[b, h, j, a] when transposed (a = s, j = t); the mask is
  // always [t, s] and shared by the batch.
  const pIndex = transposed ? '(ph + j) * p.S + a' : '(ph + a) * p.S + j';
  const mIndex = transposed ? 'j * p.S + a' : 'a * p.S + j';
  rec.dispatch({
    key: `attentionMix:${+transposed}${+!!mask}`,
    code: () => /* wgsl */ `
struct Params { n: u32, T: u32, S: u32, H: u32, dh: u32, A: u32, J: u32, scale: f32 }
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
  let ba = idx / (p.dh * p.H); // b · A + a: out is laid out [B, A, H, dh]
  let a = ba % p.A;
  let b = ba / p.A;
  let ph = (b * p.H + h) * p.T; // start of P[b, h] in rows of S
  let stride = p.H * p.dh;
  let vo = b * p.J * stride + h * p.dh + i;
  var acc = 0.0;
  for (var j = 0u; j < p.J; j++) {
    ${mask ? `if (Mask[${mIndex}] == 0.0) { continue; }` : ''}
    acc += P[${pIndex}] * V[vo + j * stride];
  }
  Out[idx] = acc * p.scale;
}`,
    buffers: mask ? [pattern, v, out, mask] : [pattern, v, out],
    uniforms: [n, T, S, H, dh, A, J, f32Bits(scale)],
    workgroupSize: 256,
    workgroups: flatGrid(n, 256, rec.limits, 'attentionMix'),
  });
}
