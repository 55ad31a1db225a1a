import type { GPTConfig } from '../config';
import { add } from '../cpu/ops/add';
import { attentionMixBackward, attentionScoresBackward } from '../cpu/ops/attention';
import { gatherRowsBackward, positionRowsBackward } from '../cpu/ops/embedding';
import { geluBackward } from '../cpu/ops/gelu';
import { layerNormBackward } from '../cpu/ops/layerNorm';
import { linearBackward, linearTransposedBackward } from '../cpu/ops/linear';
import { softmaxBackward } from '../cpu/ops/softmax';
import type { CaptureSpec, Trace } from '../engine';
import { fail } from '../errors';
import { capturePredicate } from '../hookPoints';
import { GRAD_PREFIX, hookNames, PARAM_GRAD_PREFIX } from '../hooks';
import type { BlockParams, GPTParams } from '../params';
import { flattenParams, paramSpecs } from '../params';
import type { Tensor } from '../tensor';
import { clone, dtypeOf, reshape, stack } from '../tensor';
import type { ParamGrads } from './grads';
import { accumulate, zeroGrads } from './grads';

/**
 * The backward pass of the whole model, written by hand: each stage reads the forward trace (capture at least
 * backwardInputs(config)) and chains the ops' own backward functions in reverse order of the forward.
 *
 * Stages, in the order a view steps through them (the reverse of the forward):
 *   head       logits = ln_final(x) · W_Eᵀ           → ∂L/∂x of the last residual; W_E (unembedding part), ln_final
 *   block l    for l = L−1 … 0: MLP then attention   → ∂L/∂resid_pre; the block's 16 parameters
 *   embed      x = W_E[ids] + W_pos[0 … T−1]         → W_E (scatter-add, the tied matrix's second gradient), W_pos
 *
 * A batch of B sequences runs each stage per sequence and adds their parameter gradients (the loss is a mean over
 * the whole batch, and crossEntropyBackward already divided by N = B·T). Activation gradients are named `grad.` +
 * the hook name and gain a leading B dimension when B > 1; parameter gradients are `grad.params.` + the parameter
 * name. No gradient is given for hook_mask (not differentiable), hook_k_cache / hook_v_cache (equal to hook_k /
 * hook_v without a cache, which training never uses), or hook_scaled_logits / hook_probs (the loss reads the logits).
 */
export type BackwardStage = { kind: 'head' } | { kind: 'block'; layer: number } | { kind: 'embed' };

export function backwardStages(config: GPTConfig): BackwardStage[] {
  const blocks: BackwardStage[] = [];
  for (let l = config.n_layer - 1; l >= 0; l--) blocks.push({ kind: 'block', layer: l });
  return [{ kind: 'head' }, ...blocks, { kind: 'embed' }];
}

const NO_GRAD = /(^hook_scaled_logits$|^hook_probs$|attn\.hook_mask$|attn\.hook_[kv]_cache$)/;
const NOT_READ = /(^hook_scaled_logits$|^hook_probs$|attn\.hook_[kv]$)/;

/** The forward hooks the backward reads: capture these (or 'all') when the forward is for training. */
export function backwardInputs(config: GPTConfig): string[] {
  return hookNames(config).filter((n) => !NOT_READ.test(n));
}

/** Every activation gradient name (`grad.` + hook name), in forward order. */
export function gradHookNames(config: GPTConfig): string[] {
  return hookNames(config)
    .filter((n) => !NO_GRAD.test(n))
    .map((n) => GRAD_PREFIX + n);
}

/** One sequence's share of the backward: its ids, its forward trace, and ∂L/∂logits for it ([T, V]). */
export interface SequenceForward {
  ids: readonly number[];
  trace: Trace;
  dlogits: Tensor;
}

export interface StageResult {
  stage: BackwardStage;
  /**
   * The gradients this stage produced: `grad.<hook>` ([B, …] when B > 1) and `grad.params.<name>` of the parameters
   * it touched (copies, summed over the batch, before clipping). grad.params.embed.W_E after 'head' holds only the
   * unembedding's part; after 'embed' it is the full gradient.
   */
  grads: Trace;
}

/** Records a gradient under its `grad.` name for one sequence, if the caller asked for it. */
type Put = (hook: string, g: Tensor) => void;

export class ModelBackward {
  /** Parameter gradients, summed over the batch; complete once `done`. */
  readonly grads: ParamGrads;
  private readonly stages: BackwardStage[];
  private cursor = 0;
  /** Per sequence, ∂L/∂(residual stream) at the current depth: [T, d]. */
  private readonly dResid: Tensor[];
  private readonly captured: Trace = {};
  private readonly wants: (name: string) => boolean;

  constructor(
    private readonly config: GPTConfig,
    private readonly params: GPTParams,
    private readonly seqs: readonly SequenceForward[],
    capture: CaptureSpec = 'all',
  ) {
    if (seqs.length === 0) fail('bad-shape', 'backward needs at least one sequence');
    const T = seqs[0].ids.length;
    for (const [b, s] of seqs.entries()) {
      if (seqs.length > 1 && s.ids.length !== T) {
        fail(
          'bad-shape',
          `sequence ${b} has ${s.ids.length} positions, sequence 0 has ${T}: a batch needs equal lengths`,
        );
      }
      for (const name of backwardInputs(config)) {
        if (!s.trace[name]) fail('bad-hook', `backward needs the forward's ${name}: capture backwardInputs(config)`);
      }
      const S = s.trace['blocks.0.attn.hook_k_cache'].shape[0];
      if (S !== s.ids.length) fail('unsupported', 'backward needs a forward run without a KV cache');
    }
    this.grads = zeroGrads(config, dtypeOf(params.embed.W_E.data));
    this.stages = backwardStages(config);
    this.dResid = seqs.map(() => undefined as unknown as Tensor);
    this.wants = capturePredicate(capture);
  }

  get done(): boolean {
    return this.cursor >= this.stages.length;
  }

  /** The stage the next `step()` runs, or undefined when done. */
  get nextStage(): BackwardStage | undefined {
    return this.stages[this.cursor];
  }

  /** Run the next stage for every sequence of the batch. */
  step(): StageResult {
    const stage = this.stages[this.cursor];
    if (!stage) fail('unsupported', 'the backward pass is already complete');
    const perSeq: Trace[] = this.seqs.map(() => ({}));
    this.seqs.forEach((s, b) => {
      const put: Put = (hook, g) => {
        if (this.wants(GRAD_PREFIX + hook)) perSeq[b][GRAD_PREFIX + hook] = g;
      };
      if (stage.kind === 'head') this.dResid[b] = headBackward(this.config, this.params, s, this.grads, put);
      else if (stage.kind === 'block') {
        const l = stage.layer;
        const at: Trace = {};
        const prefix = `blocks.${l}.`;
        for (const [k, t] of Object.entries(s.trace)) if (k.startsWith(prefix)) at[k.slice(prefix.length)] = t;
        const blockPut: Put = (hook, g) => put(prefix + hook, g);
        this.dResid[b] = blockBackward(this.params.blocks[l], at, this.dResid[b], this.grads.blocks[l], blockPut);
      } else embedBackward(s.ids, this.dResid[b], this.grads, put);
    });
    this.cursor += 1;
    const grads: Trace = {};
    for (const name of Object.keys(perSeq[0])) {
      grads[name] = this.seqs.length === 1 ? perSeq[0][name] : stack(perSeq.map((t) => t[name]));
    }
    for (const name of stageParams(stage, this.config)) {
      const full = PARAM_GRAD_PREFIX + name;
      if (this.wants(full)) grads[full] = clone(paramByName(this.grads, name));
    }
    Object.assign(this.captured, grads);
    return { stage, grads };
  }

  /** Run every remaining stage; returns the whole gradient trace (what was captured). */
  run(): Trace {
    while (!this.done) this.step();
    return this.trace();
  }

  /** Everything captured so far, `grad.<hook>` and `grad.params.<name>`. */
  trace(): Trace {
    return { ...this.captured };
  }
}

/**
 * head: logits = ln_final(x) · W_Eᵀ, x the last block's resid_post.
 * Returns ∂L/∂x: [T, d].
 */
function headBackward(config: GPTConfig, p: GPTParams, s: SequenceForward, g: ParamGrads, put: Put): Tensor {
  const tr = s.trace;
  const x = tr[`blocks.${config.n_layer - 1}.hook_resid_post`];
  put('hook_logits', s.dlogits);
  const unembed = linearTransposedBackward(s.dlogits, tr['ln_final.hook_normalized'], p.embed.W_E);
  accumulate(g.embed.W_E, unembed.dW);
  put('ln_final.hook_normalized', unembed.dx);
  const ln = layerNormBackward(unembed.dx, x, p.ln_final.w, tr['ln_final.hook_scale']);
  accumulate(g.ln_final.w, ln.dw);
  accumulate(g.ln_final.b, ln.db);
  put('ln_final.hook_scale', ln.dScale);
  return ln.dx;
}

/**
 * One block, backwards:   resid_mid = resid_pre + attn(ln1(resid_pre));  resid_post = resid_mid + mlp(ln2(resid_mid))
 * `at` is the block's forward trace without the `blocks.{l}.` prefix; dPost = ∂L/∂resid_post: [T, d].
 * Returns ∂L/∂resid_pre: [T, d]. At each residual add the gradient is copied to both branches, and where the
 * branches meet again (the input of the add) their gradients are summed.
 */
function blockBackward(p: BlockParams, at: Trace, dPost: Tensor, g: BlockParams, put: Put): Tensor {
  put('hook_resid_post', dPost);

  // MLP:  mlp_out = gelu(ln2(resid_mid) · W_in + b_in) · W_out + b_out
  put('hook_mlp_out', dPost);
  const out = linearBackward(dPost, at['mlp.hook_post'], p.mlp.W_out);
  put('mlp.hook_post', out.dx);
  const dPre = geluBackward(out.dx, at['mlp.hook_pre']);
  put('mlp.hook_pre', dPre);
  const inp = linearBackward(dPre, at['ln2.hook_normalized'], p.mlp.W_in);
  put('ln2.hook_normalized', inp.dx);
  const ln2 = layerNormBackward(inp.dx, at.hook_resid_mid, p.ln2.w, at['ln2.hook_scale']);
  put('ln2.hook_scale', ln2.dScale);
  const dMid = add(dPost, ln2.dx);
  put('hook_resid_mid', dMid);

  // Attention:  attn_out = concat_h(softmax(q_h·k_hᵀ/√dh + mask) · v_h) · W_O + b_O
  put('hook_attn_out', dMid);
  const z = at['attn.hook_z']; // [T, H, dh]
  const [T, H, dh] = z.shape;
  const o = linearBackward(dMid, reshape(z, [T, H * dh]), p.attn.W_O);
  const dz = reshape(o.dx, [T, H, dh]);
  put('attn.hook_z', dz);
  const pattern = at['attn.hook_pattern'];
  const mix = attentionMixBackward(dz, pattern, at['attn.hook_v_cache']);
  put('attn.hook_pattern', mix.dPattern);
  const dScores = softmaxBackward(mix.dPattern, pattern);
  put('attn.hook_attn_scores', dScores);
  const qk = attentionScoresBackward(dScores, at['attn.hook_q'], at['attn.hook_k_cache'], at['attn.hook_mask']);
  put('attn.hook_q', qk.dq);
  put('attn.hook_k', qk.dk);
  put('attn.hook_v', mix.dv);
  // q, k and v are three projections of the same ln1 output, so its gradient is the sum of the three.
  const x1 = at['ln1.hook_normalized'];
  const flat = (t: Tensor) => reshape(t, [T, H * dh]);
  const gq = linearBackward(flat(qk.dq), x1, p.attn.W_Q);
  const gk = linearBackward(flat(qk.dk), x1, p.attn.W_K);
  const gv = linearBackward(flat(mix.dv), x1, p.attn.W_V);
  const dLn1 = add(add(gq.dx, gk.dx), gv.dx);
  put('ln1.hook_normalized', dLn1);
  const ln1 = layerNormBackward(dLn1, at.hook_resid_pre, p.ln1.w, at['ln1.hook_scale']);
  put('ln1.hook_scale', ln1.dScale);
  const dResidPre = add(dMid, ln1.dx);
  put('hook_resid_pre', dResidPre);

  accumulate(g.mlp.W_out, out.dW);
  accumulate(g.mlp.b_out, out.db);
  accumulate(g.mlp.W_in, inp.dW);
  accumulate(g.mlp.b_in, inp.db);
  accumulate(g.ln2.w, ln2.dw);
  accumulate(g.ln2.b, ln2.db);
  accumulate(g.attn.W_O, o.dW);
  accumulate(g.attn.b_O, o.db);
  accumulate(g.attn.W_Q, gq.dW);
  accumulate(g.attn.b_Q, gq.db);
  accumulate(g.attn.W_K, gk.dW);
  accumulate(g.attn.b_K, gk.db);
  accumulate(g.attn.W_V, gv.dW);
  accumulate(g.attn.b_V, gv.db);
  accumulate(g.ln1.w, ln1.dw);
  accumulate(g.ln1.b, ln1.db);
  return dResidPre;
}

/**
 * embed: resid_pre of block 0 = W_E[ids] + W_pos[0 … T−1]. Both terms receive the same gradient; each lands in
 * the rows it was read from (a scatter-add). W_E already holds the unembedding's gradient: the tied matrix gets both.
 */
function embedBackward(ids: readonly number[], dResid: Tensor, g: ParamGrads, put: Put): void {
  put('hook_embed', dResid);
  put('hook_pos_embed', dResid);
  accumulate(g.embed.W_E, gatherRowsBackward(dResid, ids, g.embed.W_E.shape[0]));
  accumulate(g.pos_embed.W_pos, positionRowsBackward(dResid, 0, g.pos_embed.W_pos.shape[0]));
}

/** The parameters whose gradient a stage writes. */
function stageParams(stage: BackwardStage, config: GPTConfig): string[] {
  if (stage.kind === 'head') return ['embed.W_E', 'ln_final.w', 'ln_final.b'];
  if (stage.kind === 'embed') return ['embed.W_E', 'pos_embed.W_pos'];
  const prefix = `blocks.${stage.layer}.`;
  return paramSpecs(config)
    .map((spec) => spec.name)
    .filter((n) => n.startsWith(prefix));
}

function paramByName(p: GPTParams, name: string): Tensor {
  const found = flattenParams(p).find(([n]) => n === name);
  if (!found) fail('bad-hook', `no parameter named ${name}`);
  return found[1];
}
