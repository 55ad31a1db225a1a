import type { Tensor } from '../../tensor';
import { zerosLike } from '../../tensor';

export interface LayerNormResult {
  /** (x − mean) / scale · w + b: [T, d] */
  out: Tensor;
  /** sqrt(var + eps) per row: [T, 1] (the TransformerLens `hook_scale`) */
  scale: Tensor;
}

/**
 * LayerNorm over the last dimension, with the biased variance (divide by d), as PyTorch and GPT-2 do.
 *   x: [T, d], w: [d], b: [d]
 */
export function layerNorm(x: Tensor, w: Tensor, b: Tensor, eps: number): LayerNormResult {
  const [T, d] = x.shape;
  const out = zerosLike(x);
  const scale = zerosLike(x, [T, 1]);
  for (let t = 0; t < T; t++) {
    const o = t * d;
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x.data[o + i];
    mean /= d;
    let v = 0;
    for (let i = 0; i < d; i++) {
      const c = x.data[o + i] - mean;
      v += c * c;
    }
    const s = Math.sqrt(v / d + eps);
    scale.data[t] = s;
    for (let i = 0; i < d; i++) out.data[o + i] = ((x.data[o + i] - mean) / s) * w.data[i] + b.data[i];
  }
  return { out, scale };
}
