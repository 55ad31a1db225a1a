import type { FloatArray, Tensor, Trace } from '@glassbox/compute';

/**
 * Summaries of a trace that views draw: computed here, from the captured tensors, so that views stay functions of
 * plain data and the numbers shown are traceable to one place.
 */

/** Row i of a [rows, width] tensor as a view (no copy). */
export function rowOf(t: Tensor, i: number): FloatArray {
  const width = t.data.length / t.shape[0];
  return t.data.subarray(i * width, (i + 1) * width);
}

export function l2(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

export interface ResidualNorms {
  /** Column labels: "embed", then for each layer "L0 +attn", "L0 +mlp", … */
  stages: string[];
  /** Rows: positions. */
  T: number;
  /** [T, stages] ‖residual stream‖ after each stage. */
  norms: Float32Array;
  /** [T, L] ‖attention output‖ and ‖MLP output‖ per layer: how much each sub-layer wrote into the stream. */
  attn: Float32Array;
  mlp: Float32Array;
}

/** How the residual stream's length changes through the layers, per token. Needs the resid/attn_out/mlp_out hooks. */
export function residualNorms(trace: Trace, nLayer: number): ResidualNorms {
  const first = trace['blocks.0.hook_resid_pre'];
  const T = first.shape[0];
  const stages = ['embed'];
  const cols: Tensor[] = [first];
  for (let l = 0; l < nLayer; l++) {
    stages.push(`L${l} +attn`, `L${l} +mlp`);
    cols.push(trace[`blocks.${l}.hook_resid_mid`], trace[`blocks.${l}.hook_resid_post`]);
  }
  const S = stages.length;
  const norms = new Float32Array(T * S);
  const attn = new Float32Array(T * nLayer);
  const mlp = new Float32Array(T * nLayer);
  for (let t = 0; t < T; t++) {
    cols.forEach((c, s) => {
      norms[t * S + s] = l2(rowOf(c, t));
    });
    for (let l = 0; l < nLayer; l++) {
      attn[t * nLayer + l] = l2(rowOf(trace[`blocks.${l}.hook_attn_out`], t));
      mlp[t * nLayer + l] = l2(rowOf(trace[`blocks.${l}.hook_mlp_out`], t));
    }
  }
  return { stages, T, norms, attn, mlp };
}

export interface LayerNormStats {
  mean: Float64Array;
  variance: Float64Array;
}

/** Mean and (biased, as LayerNorm uses) variance of each row of x: [T, d]. */
export function layerNormStats(x: Tensor): LayerNormStats {
  const [T, d] = x.shape;
  const mean = new Float64Array(T);
  const variance = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    let m = 0;
    for (let i = 0; i < d; i++) m += x.data[t * d + i];
    m /= d;
    let v = 0;
    for (let i = 0; i < d; i++) v += (x.data[t * d + i] - m) ** 2;
    mean[t] = m;
    variance[t] = v / d;
  }
  return { mean, variance };
}
