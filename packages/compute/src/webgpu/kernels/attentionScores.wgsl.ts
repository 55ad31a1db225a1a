/**
 * Attention scores per head, matching cpu/ops/attention (attentionScores):
 *   scores[h, t, s] = q[t, h] · k[s, h] / sqrt(dh)   where mask[t, s] ≠ 0,   −∞ where mask[t, s] = 0
 *   q: [T, H, dh] (the T new positions), k: [S, H, dh] (S = cached + T keys), mask: [T, S] → scores: [H, T, S]
 * With a KV cache, k is a view of the first S rows of the layer's cache buffer, so decoding one token reads the
 * cached keys in place.
 * A batch of sequences (the training step) adds a leading dimension to q, k and scores: q [B, T, H, dh],
 * k [B, S, H, dh] → scores [B, H, T, S], each sequence's queries meeting only its own keys. The mask stays [T, S]:
 * every sequence of a batch has the same length, so one causal mask serves them all. The 3-D shapes are B = 1 and
 * run the same pipeline (sequence b = 0), so inference and training share one kernel.
 * Without a mask and with scale 1 the same kernel gives the pattern's gradient in attentionMixBackward:
 *   dPattern[h, t, s] = dz[t, h] · v[s, h]        (q := dz, k := v)
 * One thread per score. Grid: flat over B·H·T·S, 256 per workgroup.
 */
import type { GpuTensor } from '../context';
import type { Recorder } from '../scheduler';
import { f32Bits } from '../scheduler';
import { expectShape, FLAT_BUILTINS, FLAT_GROUP, flatGrid } from './shared';

export interface AttentionScoresArgs {
  q: GpuTensor;
  k: GpuTensor;
  /** Omitted: no entry is masked (the backward use). */
  mask?: GpuTensor;
  scores: GpuTensor;
  /** Default 1/√dh. */
  scale?: number;
}

export function attentionScores(rec: Recorder, { q, k, mask, scores, scale }: AttentionScoresArgs): void {
  const batched = q.shape.length === 4;
  const [B, T, H, dh] = batched ? q.shape : [1, ...q.shape];
  const S = k.shape[batched ? 1 : 0];
  const lead = batched ? [B] : [];
  expectShape(k, [...lead, S, H, dh], 'attention k');
  if (mask) expectShape(mask, [T, S], 'attention mask');
  expectShape(scores, [...lead, H, T, S], 'attention scores');
  const n = B * H * T * S;
  rec.dispatch({
    key: `attentionScores:${+!!mask}`,
    code: () => /* wgsl */ `
struct Params { n: u32, T: u32, S: u32, H: u32, dh: u32, scale: f32, negInf: u32 }
@group(0) @binding(0) var<storage, read> Q: array<f32>;
@group(0) @binding(1) var<storage, read> K: array<f32>;
@group(0) @binding(2) var<storage, read_write> Scores: array<f32>;
${mask ? '@group(0) @binding(3) var<storage, read> Mask: array<f32>;' : ''}
@group(0) @binding(${mask ? 4 : 3}) var<uniform> p: Params;
@compute @workgroup_size(256)
fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_GROUP} * 256u + li;
  if (i >= p.n) { return; }
  let s = i % p.S;
  let t = (i / p.S) % p.T;
  let bh = i / (p.S * p.T); // b · H + h: scores are laid out [B, H, T, S]
  let h = bh % p.H;
  let b = bh / p.H;
  ${
    mask
      ? `if (Mask[t * p.S + s] == 0.0) {
    // −∞ comes in through the uniform: WGSL constant expressions cannot hold infinities.
    Scores[i] = bitcast<f32>(p.negInf);
    return;
  }`
      : ''
  }
  let qo = ((b * p.T + t) * p.H + h) * p.dh;
  let ko = ((b * p.S + s) * p.H + h) * p.dh;
  var dot = 0.0;
  for (var j = 0u; j < p.dh; j++) { dot += Q[qo + j] * K[ko + j]; }
  Scores[i] = dot * p.scale;
}`,
    buffers: mask ? [q, k, scores, mask] : [q, k, scores],
    uniforms: [n, T, S, H, dh, f32Bits(scale ?? 1 / Math.sqrt(dh)), 0xff800000],
    workgroupSize: 256,
    workgroups: flatGrid(n, 256, rec.limits, 'attentionScores'),
  });
}
