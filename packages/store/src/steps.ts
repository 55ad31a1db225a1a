import type { GPTConfig } from '@glassbox/compute';
import { hookNames, hookSpec, layerHookName } from '@glassbox/compute';

/**
 * The stepper's ordered list of steps, derived from the engine's hook list (hookNames): every hook belongs to exactly
 * one step, and the steps come in the order the forward pass first reaches one of their hooks. Two steps have no hook
 * of their own: tokenization (before the pass) and sampling (after it). The embeddings step also shows block 0's
 * resid_pre (the sum of the two embeddings), which belongs to block 0's LayerNorm step.
 */
export type StepKind =
  | 'tokens'
  | 'embed'
  | 'ln1'
  | 'qkv'
  | 'mask'
  | 'scores'
  | 'pattern'
  | 'z'
  | 'attn_out'
  | 'resid_mid'
  | 'ln2'
  | 'mlp_pre'
  | 'mlp_post'
  | 'mlp_out'
  | 'resid_post'
  | 'ln_final'
  | 'logits'
  | 'softmax'
  | 'sample';

export interface StepInfo {
  kind: StepKind;
  /** True for the steps repeated in every block. */
  perLayer: boolean;
  title: string;
  /** One sentence for a student. */
  explanation: string;
  /** KaTeX source. */
  formula: string;
}

/** Which step each hook (template name, `{l}` for the layer) belongs to. Every hook in HOOK_SPECS must be here. */
export const HOOK_STEP: Readonly<Record<string, StepKind>> = {
  hook_embed: 'embed',
  hook_pos_embed: 'embed',
  'blocks.{l}.hook_resid_pre': 'ln1',
  'blocks.{l}.ln1.hook_scale': 'ln1',
  'blocks.{l}.ln1.hook_normalized': 'ln1',
  'blocks.{l}.attn.hook_q': 'qkv',
  'blocks.{l}.attn.hook_k': 'qkv',
  'blocks.{l}.attn.hook_v': 'qkv',
  'blocks.{l}.attn.hook_k_cache': 'qkv',
  'blocks.{l}.attn.hook_v_cache': 'qkv',
  'blocks.{l}.attn.hook_mask': 'mask',
  'blocks.{l}.attn.hook_attn_scores': 'scores',
  'blocks.{l}.attn.hook_pattern': 'pattern',
  'blocks.{l}.attn.hook_z': 'z',
  'blocks.{l}.hook_attn_out': 'attn_out',
  'blocks.{l}.hook_resid_mid': 'resid_mid',
  'blocks.{l}.ln2.hook_scale': 'ln2',
  'blocks.{l}.ln2.hook_normalized': 'ln2',
  'blocks.{l}.mlp.hook_pre': 'mlp_pre',
  'blocks.{l}.mlp.hook_post': 'mlp_post',
  'blocks.{l}.hook_mlp_out': 'mlp_out',
  'blocks.{l}.hook_resid_post': 'resid_post',
  'ln_final.hook_scale': 'ln_final',
  'ln_final.hook_normalized': 'ln_final',
  hook_logits: 'logits',
  hook_scaled_logits: 'softmax',
  hook_probs: 'softmax',
};

export const STEP_INFO: Readonly<Record<StepKind, StepInfo>> = {
  tokens: {
    kind: 'tokens',
    perLayer: false,
    title: 'Tokenization',
    explanation: 'The text is cut into tokens, and each token becomes an integer id from the vocabulary.',
    formula: '\\text{text} \\to (t_1, \\dots, t_T),\\quad t_i \\in \\{0, \\dots, V-1\\}',
  },
  embed: {
    kind: 'embed',
    perLayer: false,
    title: 'Embeddings',
    explanation:
      'Each token id picks a row of the token embedding W_E, each position a row of W_pos; their sum starts the residual stream.',
    formula: 'x_i^{(0)} = W_E[t_i] + W_{pos}[i]',
  },
  ln1: {
    kind: 'ln1',
    perLayer: true,
    title: 'LayerNorm 1',
    explanation:
      'Each token’s vector is shifted to mean 0 and scaled to variance 1, then multiplied by a learned gain and shifted by a bias.',
    formula: '\\mathrm{LN}(x) = \\frac{x - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}} \\odot w + b',
  },
  qkv: {
    kind: 'qkv',
    perLayer: true,
    title: 'Queries, keys, values',
    explanation:
      'Three linear maps turn each normalized vector into a query (what I look for), a key (what I offer) and a value (what I pass on), split into heads.',
    formula: 'Q = x W_Q + b_Q,\\quad K = x W_K + b_K,\\quad V = x W_V + b_V',
  },
  mask: {
    kind: 'mask',
    perLayer: true,
    title: 'Causal mask',
    explanation: 'A token may only look at itself and earlier tokens: the future is masked out.',
    formula: 'M_{ij} = \\begin{cases} 1 & j \\le i \\\\ 0 & j > i \\end{cases}',
  },
  scores: {
    kind: 'scores',
    perLayer: true,
    title: 'Attention scores',
    explanation:
      'Each query is compared with every key by a dot product, scaled by √d_head; masked (future) entries become −∞.',
    formula: 'S = \\frac{Q K^\\top}{\\sqrt{d_{head}}},\\quad S_{ij} = -\\infty \\text{ where } M_{ij} = 0',
  },
  pattern: {
    kind: 'pattern',
    perLayer: true,
    title: 'Attention pattern',
    explanation:
      'A softmax over each row turns the scores into weights that sum to 1: how much each token attends to each earlier token.',
    formula: 'A_{ij} = \\frac{e^{S_{ij}}}{\\sum_{k} e^{S_{ik}}}',
  },
  z: {
    kind: 'z',
    perLayer: true,
    title: 'Weighted sum of values',
    explanation: 'Each head mixes the value vectors with its attention weights; the heads are then concatenated.',
    formula: 'z^{h} = A^{h} V^{h},\\quad z = [z^1; \\dots; z^H]',
  },
  attn_out: {
    kind: 'attn_out',
    perLayer: true,
    title: 'Attention output',
    explanation: 'The concatenated heads are projected back to the model width by W_O.',
    formula: '\\mathrm{attn}(x) = z W_O + b_O',
  },
  resid_mid: {
    kind: 'resid_mid',
    perLayer: true,
    title: 'Residual add (attention)',
    explanation:
      'The attention output is added to the residual stream: attention writes into it, it does not replace it.',
    formula: 'x_{mid} = x + \\mathrm{attn}(\\mathrm{LN}_1(x))',
  },
  ln2: {
    kind: 'ln2',
    perLayer: true,
    title: 'LayerNorm 2',
    explanation: 'The residual stream is normalized again before the MLP.',
    formula: '\\mathrm{LN}_2(x_{mid}) = \\frac{x_{mid} - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}} \\odot w + b',
  },
  mlp_pre: {
    kind: 'mlp_pre',
    perLayer: true,
    title: 'MLP up-projection',
    explanation: 'Each token is mapped, on its own, to 4·d neurons by W_in.',
    formula: 'h = \\mathrm{LN}_2(x_{mid})\\, W_{in} + b_{in}',
  },
  mlp_post: {
    kind: 'mlp_post',
    perLayer: true,
    title: 'GELU',
    explanation: 'The GELU non-linearity lets through positive pre-activations and squashes negative ones towards 0.',
    formula:
      '\\mathrm{GELU}(h) = \\tfrac12 h \\left(1 + \\tanh\\!\\left(\\sqrt{2/\\pi}\\,(h + 0.044715 h^3)\\right)\\right)',
  },
  mlp_out: {
    kind: 'mlp_out',
    perLayer: true,
    title: 'MLP down-projection',
    explanation: 'The neuron activations are projected back to the model width by W_out.',
    formula: '\\mathrm{mlp}(x) = \\mathrm{GELU}(h)\\, W_{out} + b_{out}',
  },
  resid_post: {
    kind: 'resid_post',
    perLayer: true,
    title: 'Residual add (MLP)',
    explanation: 'The MLP output is added to the residual stream, which flows on to the next block.',
    formula: 'x_{post} = x_{mid} + \\mathrm{mlp}(\\mathrm{LN}_2(x_{mid}))',
  },
  ln_final: {
    kind: 'ln_final',
    perLayer: false,
    title: 'Final LayerNorm',
    explanation: 'After the last block the residual stream is normalized one last time.',
    formula: '\\mathrm{LN}_f(x^{(L)}) = \\frac{x^{(L)} - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}} \\odot w + b',
  },
  logits: {
    kind: 'logits',
    perLayer: false,
    title: 'Logits',
    explanation:
      'Each position’s vector is compared with every token’s embedding (the unembedding is tied to W_E): one score per vocabulary token.',
    formula: '\\ell = \\mathrm{LN}_f(x^{(L)})\\, W_E^\\top',
  },
  softmax: {
    kind: 'softmax',
    perLayer: false,
    title: 'Softmax with temperature',
    explanation:
      'Dividing the logits by a temperature and taking a softmax gives next-token probabilities: low temperature sharpens, high flattens.',
    formula: 'p_i = \\frac{e^{\\ell_i / \\tau}}{\\sum_j e^{\\ell_j / \\tau}}',
  },
  sample: {
    kind: 'sample',
    perLayer: false,
    title: 'Sampling',
    explanation:
      'Top-k and top-p keep only the most likely tokens, the rest is renormalised, and a seeded random number picks the next token.',
    formula: 'u \\sim U[0,1),\\quad t_{T+1} = \\min\\{ i : \\textstyle\\sum_{j \\le i} \\tilde p_j > u \\}',
  },
};

export const STEP_KINDS = Object.keys(STEP_INFO) as StepKind[];

export function isStepKind(s: string): s is StepKind {
  return Object.hasOwn(STEP_INFO, s);
}

export interface Step {
  kind: StepKind;
  /** The block for per-layer steps, null for the others. */
  layer: number | null;
  /** The concrete hook names whose tensors this step shows, in pass order. */
  hooks: string[];
}

/** Template name of a concrete hook (`blocks.3.attn.hook_q` → `blocks.{l}.attn.hook_q`). */
function templateOf(name: string): string {
  const found = hookSpec(name);
  if (!found) throw new Error(`hook ${name} is not in the hook list`);
  return found.spec.name;
}

/** The ordered steps of one forward pass of this model. */
export function buildSteps(config: Pick<GPTConfig, 'n_layer'> & Partial<GPTConfig>): Step[] {
  const steps: Step[] = [{ kind: 'tokens', layer: null, hooks: [] }];
  const byKey = new Map<string, Step>();
  for (const name of hookNames(config as GPTConfig)) {
    const kind = HOOK_STEP[templateOf(name)];
    if (kind === undefined) throw new Error(`hook ${name} belongs to no step: add it to HOOK_STEP`);
    const layer = STEP_INFO[kind].perLayer ? (hookSpec(name)?.layer ?? null) : null;
    const key = `${kind}@${layer}`;
    let step = byKey.get(key);
    if (!step) {
      step = { kind, layer, hooks: [] };
      byKey.set(key, step);
      steps.push(step);
    }
    step.hooks.push(name);
  }
  // The block's input is shown with LayerNorm 1, except for block 0, where it is the embeddings' sum.
  const embed = byKey.get('embed@null');
  if (embed) embed.hooks.push(layerHookName('blocks.{l}.hook_resid_pre', 0));
  steps.push({ kind: 'sample', layer: null, hooks: [] });
  return steps;
}

export function stepId(step: Pick<Step, 'kind' | 'layer'>): string {
  return step.layer === null ? step.kind : `${step.kind}@${step.layer}`;
}

/** Index of (kind, layer) in the list; for per-layer kinds the layer picks the block, for the others it is ignored. */
export function findStep(steps: readonly Step[], kind: StepKind, layer: number): number {
  return steps.findIndex((s) => s.kind === kind && (s.layer === null || s.layer === layer));
}
