import type { GPTConfig } from '../config';
import type { RunOptions, RunResult, Trace } from '../engine';
import { checkIds, checkTemperature, HookPoints as SharedHookPoints } from '../hookPoints';
import type { AttentionParams, BlockParams, GPTParams, LayerNormParams, MlpParams } from '../params';
import type { Tensor } from '../tensor';
import { cast, clone, dtypeOf, reshape, zerosLike } from '../tensor';
import { asCpuCache, CpuKVCache } from './kvCache';
import {
  add,
  attentionMix,
  attentionScores,
  causalMask,
  gatherRows,
  gelu,
  layerNorm,
  linear,
  linearTransposed,
  positionRows,
  softmax,
} from './ops';

/**
 * The CPU reference forward pass of GPT-2, synchronous so the trainer can call it directly (in float32, or in float64
 * for gradient checks: every op follows the dtype of its input, and the input is a row of the parameters).
 *
 *   x = W_E[ids] + W_pos[start …]
 *   for each block:  x = x + attn(ln1(x));  x = x + mlp(ln2(x))
 *   logits = ln_final(x) · W_Eᵀ
 *
 * Each intermediate passes through `tap(name, value)`, in the order of hookNames(config). A hook function receives the
 * live tensor the pass is about to use: it may edit it in place or return a replacement of the same shape, and either
 * way the rest of the pass (and the trace) sees the edited value. The trace holds the tensors by reference; they are
 * fresh per call, so nothing the engine does later changes them.
 */
export function forward(
  config: GPTConfig,
  params: GPTParams,
  ids: readonly number[],
  options: RunOptions = {},
): RunResult {
  const cache = options.cache ? asCpuCache(options.cache, config) : new CpuKVCache(config);
  const start = cache.length;
  checkIds(ids, config, start);
  const temperature = checkTemperature(options.temperature);
  const pass: Pass = {
    config,
    cache,
    hooks: new HookPoints(config, options, { T: ids.length, S: start + ids.length }, start),
    keys: [],
    values: [],
  };
  const top = new Site(pass.hooks, '', null);

  const embed = top.tap('hook_embed', gatherRows(params.embed.W_E, ids)); // [T, d]
  const posEmbed = top.tap('hook_pos_embed', positionRows(params.pos_embed.W_pos, start, ids.length)); // [T, d]
  let x = add(embed, posEmbed);
  for (let l = 0; l < config.n_layer; l++) {
    // resid_post of block l is resid_pre of block l+1; a copy keeps an in-place edit at the second hook out of the
    // trace's record of the first.
    if (l > 0 && pass.hooks.hooked(`blocks.${l}.hook_resid_pre`)) x = clone(x);
    x = block(x, params.blocks[l], l, pass);
  }
  const final = layerNormAt(x, params.ln_final, top, 'ln_final', pass); // [T, d]
  const logits = top.tap('hook_logits', linearTransposed(final, params.embed.W_E)); // [T, V], W_E tied
  if (pass.hooks.touches('hook_scaled_logits') || pass.hooks.touches('hook_probs')) {
    const scaled = top.tap('hook_scaled_logits', scaleBy(logits, 1 / temperature)); // [T, V]
    if (pass.hooks.touches('hook_probs')) top.tap('hook_probs', softmax(scaled));
  }

  if (options.cache) cache.append(pass.keys, pass.values);
  return { logits, trace: pass.hooks.trace, start };
}

/** One pre-LN transformer block.   x: [T, d] → [T, d] */
function block(x: Tensor, p: BlockParams, l: number, pass: Pass): Tensor {
  const at = new Site(pass.hooks, `blocks.${l}.`, l);
  const resid_pre = at.tap('hook_resid_pre', x);
  const attn_out = at.tap('hook_attn_out', attention(layerNormAt(resid_pre, p.ln1, at, 'ln1', pass), p.attn, l, pass));
  const resid_mid = at.tap('hook_resid_mid', add(resid_pre, attn_out));
  const mlp_out = at.tap('hook_mlp_out', mlp(layerNormAt(resid_mid, p.ln2, at, 'ln2', pass), p.mlp, at));
  return at.tap('hook_resid_post', add(resid_mid, mlp_out));
}

/** Causal multi-head self-attention over the cached positions and this call's.   x: [T, d] → [T, d] */
function attention(x: Tensor, p: AttentionParams, l: number, pass: Pass): Tensor {
  const at = new Site(pass.hooks, `blocks.${l}.`, l);
  const H = pass.config.n_head;
  const q = at.tap('attn.hook_q', splitHeads(linear(x, p.W_Q, p.b_Q), H)); // [T, H, dh]
  const k = at.tap('attn.hook_k', splitHeads(linear(x, p.W_K, p.b_K), H)); // [T, H, dh]
  const v = at.tap('attn.hook_v', splitHeads(linear(x, p.W_V, p.b_V), H)); // [T, H, dh]
  const keys = at.tap('attn.hook_k_cache', pass.cache.keysWith(l, k)); // [S, H, dh]
  const values = at.tap('attn.hook_v_cache', pass.cache.valuesWith(l, v)); // [S, H, dh]
  pass.keys[l] = keys;
  pass.values[l] = values;
  const mask = at.tap('attn.hook_mask', causalMask(q.shape[0], keys.shape[0], q)); // [T, S]
  const scores = at.tap('attn.hook_attn_scores', attentionScores(q, keys, mask)); // [H, T, S]
  const pattern = at.tap('attn.hook_pattern', softmax(scores)); // [H, T, S]
  const z = at.tap('attn.hook_z', attentionMix(pattern, values)); // [T, H, dh]
  return linear(mergeHeads(z), p.W_O, p.b_O);
}

/** The position-wise MLP with the GELU (tanh) non-linearity.   x: [T, d] → [T, d] */
function mlp(x: Tensor, p: MlpParams, at: Site): Tensor {
  const pre = at.tap('mlp.hook_pre', linear(x, p.W_in, p.b_in)); // [T, m]
  const post = at.tap('mlp.hook_post', gelu(pre)); // [T, m]
  return linear(post, p.W_out, p.b_out);
}

/**
 * LayerNorm with its two hook points. When a hook sits on the scale (freezing it is a common attribution trick), the
 * output is recomputed from the scale the hook left, so that intervention reaches the rest of the pass.
 *   x: [T, d] → [T, d]; scale: [T, 1]
 */
function layerNormAt(x: Tensor, p: LayerNormParams, at: Site, ln: string, pass: Pass): Tensor {
  const { out, scale } = layerNorm(x, p.w, p.b, pass.config.layer_norm_epsilon);
  const used = at.tap(`${ln}.hook_scale`, scale);
  return at.tap(`${ln}.hook_normalized`, at.hooked(`${ln}.hook_scale`) ? normalizeWithScale(x, used, p) : out);
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers: head layout, LayerNorm given its scale, temperature.

interface Pass {
  config: GPTConfig;
  /** The run's cache, or a fresh empty one when the run has none (then nothing is appended). */
  cache: CpuKVCache;
  hooks: HookPoints;
  /** Per layer, the keys and values attended over ([S, H, dh]); their new rows go into the cache at the end. */
  keys: Tensor[];
  values: Tensor[];
}

/** [T, d] → [T, H, dh]: head h owns columns h·dh … (h+1)·dh − 1, so this is a reshape, not a copy. */
function splitHeads(t: Tensor, H: number): Tensor {
  const [T, d] = t.shape;
  return reshape(t, [T, H, d / H]);
}

/** [T, H, dh] → [T, d], the concatenation of the heads (again free in this layout). */
function mergeHeads(z: Tensor): Tensor {
  const [T, H, dh] = z.shape;
  return reshape(z, [T, H * dh]);
}

/** (x − mean) / scale · w + b, the LayerNorm output for a given (possibly intervened-on) scale.   x: [T, d] */
function normalizeWithScale(x: Tensor, scale: Tensor, p: LayerNormParams): Tensor {
  const [T, d] = x.shape;
  const out = zerosLike(x);
  for (let t = 0; t < T; t++) {
    const xs = x.data.subarray(t * d, (t + 1) * d);
    let mean = 0;
    for (let i = 0; i < d; i++) mean += xs[i];
    mean /= d;
    for (let i = 0; i < d; i++) out.data[t * d + i] = ((xs[i] - mean) / scale.data[t]) * p.w.data[i] + p.b.data[i];
  }
  return out;
}

function scaleBy(x: Tensor, s: number): Tensor {
  const y = zerosLike(x);
  for (let i = 0; i < x.data.length; i++) y.data[i] = x.data[i] * s;
  return y;
}

// ---------------------------------------------------------------------------------------------------------------
// Hook plumbing: validation of names, capture, interventions.

/** The hook points of one block (prefix `blocks.{l}.`) or of the embedding / final stage (prefix ''). */
class Site {
  constructor(
    private readonly points: HookPoints,
    private readonly prefix: string,
    private readonly layer: number | null,
  ) {}

  tap(suffix: string, value: Tensor): Tensor {
    return this.points.tap(this.prefix + suffix, value, this.layer);
  }

  hooked(suffix: string): boolean {
    return this.points.hooked(this.prefix + suffix);
  }
}

/** The shared hook bookkeeping plus the trace this pass fills. */
class HookPoints extends SharedHookPoints {
  readonly trace: Trace = {};

  constructor(
    config: GPTConfig,
    options: RunOptions,
    dims: { T: number; S: number },
    private readonly start: number,
  ) {
    super(config, options, dims);
  }

  /** Run the hook on `value` (if there is one), record the value the pass will use, and return it. */
  tap(name: string, value: Tensor, layer: number | null): Tensor {
    let used = value;
    const fn = this.fn(name);
    if (fn) {
      const out = fn(value, { name, layer, start: this.start });
      if (out !== undefined && out !== null) used = cast(this.checkReplacement(name, out), dtypeOf(value.data));
    }
    if (this.captured.has(name)) this.trace[name] = used;
    return used;
  }
}
