import type { GPTConfig } from './config';
import { dHead, dMlp } from './config';
import { fail } from './errors';

/**
 * THE list of hook points. Everything else (the engines' capture code, docs/hooks.md, the views' step list) is derived
 * from it, so a name exists in exactly one place. Names follow TransformerLens so people who know it feel at home.
 *
 * Symbolic dimensions:
 *   T  positions processed in this call (the whole prompt, or 1 when decoding with the KV cache)
 *   S  key positions attended over = cached positions + T
 *   d  n_embd, H n_head, dh = d/H, m = 4·d (MLP width), V vocab_size
 * With a batch of B > 1 sequences (training), every tensor gains a leading B dimension.
 */
export type Dim = 'T' | 'S' | 'd' | 'H' | 'dh' | 'm' | 'V' | '1';

export interface HookSpec {
  /** Name with `{l}` standing for the layer index. */
  readonly name: string;
  readonly shape: readonly Dim[];
  /** One sentence for a student. */
  readonly meaning: string;
}

export const EMBED_HOOKS: readonly HookSpec[] = [
  { name: 'hook_embed', shape: ['T', 'd'], meaning: 'Token embedding: the row of W_E for each input token id.' },
  { name: 'hook_pos_embed', shape: ['T', 'd'], meaning: 'Position embedding: the row of W_pos for each position.' },
];

export const BLOCK_HOOKS: readonly HookSpec[] = [
  {
    name: 'blocks.{l}.hook_resid_pre',
    shape: ['T', 'd'],
    meaning: 'Residual stream entering the block (for block 0: token + position embedding).',
  },
  {
    name: 'blocks.{l}.ln1.hook_scale',
    shape: ['T', '1'],
    meaning: 'LayerNorm 1 scale: sqrt(variance + eps) of each position’s residual vector.',
  },
  {
    name: 'blocks.{l}.ln1.hook_normalized',
    shape: ['T', 'd'],
    meaning: 'LayerNorm 1 output: (x − mean) / scale, times the gain w, plus the bias b.',
  },
  {
    name: 'blocks.{l}.attn.hook_q',
    shape: ['T', 'H', 'dh'],
    meaning: 'Queries, per head: ln1 output times W_Q plus b_Q.',
  },
  { name: 'blocks.{l}.attn.hook_k', shape: ['T', 'H', 'dh'], meaning: 'Keys of the new positions, per head.' },
  { name: 'blocks.{l}.attn.hook_v', shape: ['T', 'H', 'dh'], meaning: 'Values of the new positions, per head.' },
  {
    name: 'blocks.{l}.attn.hook_k_cache',
    shape: ['S', 'H', 'dh'],
    meaning: 'Every key attended over: the KV cache from earlier calls followed by this call’s keys.',
  },
  {
    name: 'blocks.{l}.attn.hook_v_cache',
    shape: ['S', 'H', 'dh'],
    meaning: 'Every value attended over: the KV cache from earlier calls followed by this call’s values.',
  },
  {
    name: 'blocks.{l}.attn.hook_mask',
    shape: ['T', 'S'],
    meaning: 'Causal mask: 1 where a query position may attend to a key position (key ≤ query), 0 where it may not.',
  },
  {
    name: 'blocks.{l}.attn.hook_attn_scores',
    shape: ['H', 'T', 'S'],
    meaning: 'Attention scores q·k / sqrt(dh), with masked entries set to −∞, before the softmax.',
  },
  {
    name: 'blocks.{l}.attn.hook_pattern',
    shape: ['H', 'T', 'S'],
    meaning: 'Attention pattern: softmax of the scores over key positions; each row sums to 1.',
  },
  {
    name: 'blocks.{l}.attn.hook_z',
    shape: ['T', 'H', 'dh'],
    meaning: 'Per-head weighted sum of values (pattern · V), before the heads are concatenated.',
  },
  {
    name: 'blocks.{l}.hook_attn_out',
    shape: ['T', 'd'],
    meaning: 'Attention output: the concatenated heads times W_O plus b_O.',
  },
  {
    name: 'blocks.{l}.hook_resid_mid',
    shape: ['T', 'd'],
    meaning: 'Residual stream after adding the attention output.',
  },
  { name: 'blocks.{l}.ln2.hook_scale', shape: ['T', '1'], meaning: 'LayerNorm 2 scale: sqrt(variance + eps).' },
  {
    name: 'blocks.{l}.ln2.hook_normalized',
    shape: ['T', 'd'],
    meaning: 'LayerNorm 2 output, the MLP’s input.',
  },
  {
    name: 'blocks.{l}.mlp.hook_pre',
    shape: ['T', 'm'],
    meaning: 'MLP pre-activation: ln2 output times W_in plus b_in (one value per neuron).',
  },
  {
    name: 'blocks.{l}.mlp.hook_post',
    shape: ['T', 'm'],
    meaning: 'MLP activation: GELU (tanh approximation) of the pre-activation.',
  },
  {
    name: 'blocks.{l}.hook_mlp_out',
    shape: ['T', 'd'],
    meaning: 'MLP output: the activations times W_out plus b_out.',
  },
  {
    name: 'blocks.{l}.hook_resid_post',
    shape: ['T', 'd'],
    meaning: 'Residual stream leaving the block: resid_mid plus the MLP output.',
  },
];

export const FINAL_HOOKS: readonly HookSpec[] = [
  { name: 'ln_final.hook_scale', shape: ['T', '1'], meaning: 'Final LayerNorm scale: sqrt(variance + eps).' },
  { name: 'ln_final.hook_normalized', shape: ['T', 'd'], meaning: 'Final LayerNorm output.' },
  {
    name: 'hook_logits',
    shape: ['T', 'V'],
    meaning: 'Logits: final LayerNorm output times W_Eᵀ (the unembedding is tied to the token embedding).',
  },
  {
    name: 'hook_scaled_logits',
    shape: ['T', 'V'],
    meaning: 'Logits divided by the temperature (equal to the logits at temperature 1).',
  },
  {
    name: 'hook_probs',
    shape: ['T', 'V'],
    meaning: 'Next-token probabilities: softmax of the scaled logits.',
  },
];

export const HOOK_SPECS: readonly HookSpec[] = [...EMBED_HOOKS, ...BLOCK_HOOKS, ...FINAL_HOOKS];

export function layerHookName(template: string, layer: number): string {
  return template.replace('{l}', String(layer));
}

/** Every concrete hook name for a model, in the order the forward pass reaches them. */
export function hookNames(config: GPTConfig): string[] {
  const names = EMBED_HOOKS.map((h) => h.name);
  for (let l = 0; l < config.n_layer; l++) for (const h of BLOCK_HOOKS) names.push(layerHookName(h.name, l));
  for (const h of FINAL_HOOKS) names.push(h.name);
  return names;
}

const LAYER_PATTERN = /^blocks\.(\d+)\.(.+)$/;

/** The spec of a concrete name (`blocks.3.attn.hook_q` → the `blocks.{l}.attn.hook_q` spec), or undefined. */
export function hookSpec(name: string): { spec: HookSpec; layer: number | null } | undefined {
  const m = LAYER_PATTERN.exec(name);
  if (m) {
    const spec = BLOCK_HOOKS.find((h) => h.name === `blocks.{l}.${m[2]}`);
    return spec ? { spec, layer: Number(m[1]) } : undefined;
  }
  const spec = [...EMBED_HOOKS, ...FINAL_HOOKS].find((h) => h.name === name);
  return spec ? { spec, layer: null } : undefined;
}

export interface HookDims {
  T: number;
  /** Key positions (cache + T); equals T when there is no cache. */
  S: number;
}

export function resolveDims(shape: readonly Dim[], config: GPTConfig, dims: HookDims): number[] {
  const table: Record<Dim, number> = {
    T: dims.T,
    S: dims.S,
    d: config.n_embd,
    H: config.n_head,
    dh: dHead(config),
    m: dMlp(config),
    V: config.vocab_size,
    '1': 1,
  };
  return shape.map((s) => table[s]);
}

/** The concrete shape of a hook for this model and call, or an error naming the unknown hook. */
export function hookShape(name: string, config: GPTConfig, dims: HookDims): number[] {
  const found = hookSpec(name);
  if (!found || (found.layer !== null && found.layer >= config.n_layer)) {
    fail('bad-hook', `unknown hook "${name}" for a ${config.n_layer}-layer model`);
  }
  return resolveDims(found.spec.shape, config, dims);
}

/** Gradient hooks reuse the activation names under `grad.`; parameter gradients live under `grad.params.`. */
export const GRAD_PREFIX = 'grad.';
export const PARAM_GRAD_PREFIX = 'grad.params.';
export function gradName(name: string): string {
  return GRAD_PREFIX + name;
}
