import { fail } from '../../errors';
import type { Tensor } from '../../tensor';
import { formatShape, sameShape, zerosLike } from '../../tensor';

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
  const xs = x.data;
  const ys = out.data;
  const ws = w.data;
  const bs = b.data;
  for (let t = 0; t < T; t++) {
    const o = t * d;
    let mean = 0;
    for (let i = 0; i < d; i++) mean += xs[o + i];
    mean /= d;
    let v = 0;
    for (let i = 0; i < d; i++) {
      const c = xs[o + i] - mean;
      v += c * c;
    }
    const s = Math.sqrt(v / d + eps);
    scale.data[t] = s;
    for (let i = 0; i < d; i++) ys[o + i] = ((xs[o + i] - mean) / s) * ws[i] + bs[i];
  }
  return { out, scale };
}

/** Gradients of LayerNorm, one per input, plus the gradient of the scale it exposes as a hook. */
export interface LayerNormGrads {
  /** ∂L/∂x: [T, d] */
  dx: Tensor;
  /** ∂L/∂w: [d] */
  dw: Tensor;
  /** ∂L/∂b: [d] */
  db: Tensor;
  /** ∂L/∂scale with x held fixed (what `grad.….hook_scale` shows): [T, 1] */
  dScale: Tensor;
}

/**
 * Backward of y = x̂·w + b with x̂ = (x − mean) / s and s = sqrt(var + eps), per row.
 *   dy, x: [T, d], w: [d], scale: [T, 1] (the forward's `hook_scale`, so the statistics are not recomputed)
 * With g = dy ⊙ w (the gradient reaching x̂):
 *   dw = Σ_rows dy ⊙ x̂,   db = Σ_rows dy
 *   dx = (g − mean(g) − x̂ · mean(g ⊙ x̂)) / s
 * The two subtracted means are the paths through the row's mean and through its scale: moving every x_i up by the
 * same amount changes nothing, and growing x along x̂ only grows s.
 */
export function layerNormBackward(dy: Tensor, x: Tensor, w: Tensor, scale: Tensor): LayerNormGrads {
  const [T, d] = x.shape;
  if (!sameShape(dy.shape, x.shape) || w.data.length !== d || scale.data.length !== T) {
    fail(
      'bad-shape',
      `layerNormBackward: dy ${formatShape(dy.shape)}, x ${formatShape(x.shape)}, w ${formatShape(w.shape)}, scale ${formatShape(scale.shape)}`,
    );
  }
  const dx = zerosLike(x);
  const dw = zerosLike(x, [d]);
  const db = zerosLike(x, [d]);
  const dScale = zerosLike(x, [T, 1]);
  const xhat = new Float64Array(d);
  const g = new Float64Array(d);
  for (let t = 0; t < T; t++) {
    const o = t * d;
    const s = scale.data[t];
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x.data[o + i];
    mean /= d;
    let meanG = 0;
    let meanGX = 0;
    for (let i = 0; i < d; i++) {
      xhat[i] = (x.data[o + i] - mean) / s;
      g[i] = dy.data[o + i] * w.data[i];
      dw.data[i] += dy.data[o + i] * xhat[i];
      db.data[i] += dy.data[o + i];
      meanG += g[i];
      meanGX += g[i] * xhat[i];
    }
    meanG /= d;
    meanGX /= d;
    for (let i = 0; i < d; i++) dx.data[o + i] = (g[i] - meanG - xhat[i] * meanGX) / s;
    // ∂y_i/∂s = −w_i·x̂_i / s
    dScale.data[t] = (-meanGX * d) / s;
  }
  return { dx, dw, db, dScale };
}
