import type { GPTConfig } from '../config';
import { dHead, dMlp } from '../config';
import { GRAD_PREFIX } from '../hooks';
import type { GpuContext, GpuTensor } from './context';
import { add } from './kernels/add.wgsl';
import { attentionMix } from './kernels/attentionMix.wgsl';
import { attentionScores } from './kernels/attentionScores.wgsl';
import { geluBackward } from './kernels/geluBackward.wgsl';
import { layerNormBackward } from './kernels/layerNormBackward.wgsl';
import { matmul } from './kernels/matmul.wgsl';
import { scatterAddRows, scatterPlan } from './kernels/scatterRows.wgsl';
import { softmaxBackward } from './kernels/softmaxBackward.wgsl';
import { sumRows } from './kernels/sumRows.wgsl';
import type { GpuParams } from './params';
import type { Readback, Recorder } from './scheduler';

/**
 * The backward pass of one sequence on the GPU: train/backward.ts's head → blocks L−1 … 0 → embed, kernel for kernel,
 * recorded into the training step's recorder. Parameter gradients accumulate into `grads` (the batch's sum);
 * activation gradients are read back only when captured (`grad.` + hook name).
 */

/** The forward values the backward reads (kept in GPU buffers by the training forward). */
export function backwardReads(config: GPTConfig): string[] {
  const names = ['hook_logits', 'ln_final.hook_scale', 'ln_final.hook_normalized'];
  names.push(`blocks.${config.n_layer - 1}.hook_resid_post`);
  for (let l = 0; l < config.n_layer; l++) {
    for (const h of [
      'hook_resid_pre',
      'ln1.hook_scale',
      'ln1.hook_normalized',
      'attn.hook_q',
      'attn.hook_k_cache',
      'attn.hook_v_cache',
      'attn.hook_mask',
      'attn.hook_pattern',
      'attn.hook_z',
      'hook_resid_mid',
      'ln2.hook_scale',
      'ln2.hook_normalized',
      'mlp.hook_pre',
      'mlp.hook_post',
    ]) {
      names.push(`blocks.${l}.${h}`);
    }
  }
  return names;
}

export interface SequenceBackwardArgs {
  ctx: GpuContext;
  rec: Recorder;
  config: GPTConfig;
  params: GpuParams;
  grads: GpuParams;
  ids: readonly number[];
  /** The forward's kept values, by hook name. */
  acts: ReadonlyMap<string, GpuTensor>;
  dlogits: GpuTensor;
  /** Whether `grad.<hook>` is wanted; a readback is recorded for it. */
  wants: (name: string) => boolean;
  reads: Map<string, Readback>;
}

export function recordSequenceBackward(a: SequenceBackwardArgs): void {
  new SequenceBackward(a).run();
}

class SequenceBackward {
  private readonly a: SequenceBackwardArgs;
  private readonly temps: GpuTensor[] = [];
  private readonly T: number;
  private readonly d: number;

  constructor(a: SequenceBackwardArgs) {
    this.a = a;
    this.T = a.ids.length;
    this.d = a.config.n_embd;
  }

  run(): void {
    try {
      let dResid = this.head();
      for (let l = this.a.config.n_layer - 1; l >= 0; l--) dResid = this.block(l, dResid);
      this.embed(dResid);
    } finally {
      // Everything above is only recorded; handing the buffers back now is safe because later users run later.
      for (const t of this.temps) this.a.ctx.free(t);
    }
  }

  /** logits = ln_final(x) · W_Eᵀ → ∂L/∂x of the last residual: [T, d]. */
  private head(): GpuTensor {
    const { rec, params: p, grads: g, dlogits } = this.a;
    const act = (n: string) => this.act(n);
    this.put('hook_logits', dlogits);
    const dNorm = this.tmp([this.T, this.d]);
    matmul(rec, { a: dlogits, b: p.embed.W_E, out: dNorm }); // dx = dy · W   (W: [V, d])
    matmul(rec, { a: dlogits, b: act('ln_final.hook_normalized'), out: g.embed.W_E, transA: true, accumulate: true });
    this.put('ln_final.hook_normalized', dNorm);
    const x = act(`blocks.${this.a.config.n_layer - 1}.hook_resid_post`);
    return this.layerNorm(dNorm, x, p.ln_final, g.ln_final, act('ln_final.hook_scale'), 'ln_final.');
  }

  /** One block backwards; dPost = ∂L/∂resid_post → ∂L/∂resid_pre: [T, d]. */
  private block(l: number, dPost: GpuTensor): GpuTensor {
    const { rec, config } = this.a;
    const p = this.a.params.blocks[l];
    const g = this.a.grads.blocks[l];
    const at = `blocks.${l}.`;
    const act = (n: string) => this.act(at + n);
    const { T, d } = this;
    const H = config.n_head;
    const dh = dHead(config);
    const m = dMlp(config);
    this.put(`${at}hook_resid_post`, dPost);

    // MLP:  mlp_out = gelu(ln2(resid_mid) · W_in + b_in) · W_out + b_out
    this.put(`${at}hook_mlp_out`, dPost);
    const dPost_ = this.linear(dPost, act('mlp.hook_post'), p.mlp.W_out, g.mlp.W_out, g.mlp.b_out, m);
    this.put(`${at}mlp.hook_post`, dPost_);
    const dPre = this.tmp([T, m]);
    geluBackward(rec, dPost_, act('mlp.hook_pre'), dPre);
    this.put(`${at}mlp.hook_pre`, dPre);
    const dLn2 = this.linear(dPre, act('ln2.hook_normalized'), p.mlp.W_in, g.mlp.W_in, g.mlp.b_in, d);
    this.put(`${at}ln2.hook_normalized`, dLn2);
    const dMidLn = this.layerNorm(dLn2, act('hook_resid_mid'), p.ln2, g.ln2, act('ln2.hook_scale'), `${at}ln2.`);
    const dMid = this.tmp([T, d]);
    add(rec, dPost, dMidLn, dMid);
    this.put(`${at}hook_resid_mid`, dMid);

    // Attention:  attn_out = concat_h(softmax(q_h·k_hᵀ/√dh + mask) · v_h) · W_O + b_O
    this.put(`${at}hook_attn_out`, dMid);
    const z = act('attn.hook_z');
    const dzFlat = this.linear(dMid, { buffer: z.buffer, shape: [T, d] }, p.attn.W_O, g.attn.W_O, g.attn.b_O, d);
    const dz = view(dzFlat, [T, H, dh]);
    this.put(`${at}attn.hook_z`, dz);
    const pattern = act('attn.hook_pattern');
    const [k, v, q, mask] = [
      act('attn.hook_k_cache'),
      act('attn.hook_v_cache'),
      act('attn.hook_q'),
      act('attn.hook_mask'),
    ];
    const dPattern = this.tmp([H, T, T]);
    attentionScores(rec, { q: dz, k: v, scores: dPattern, scale: 1 }); // dPattern = dz · vᵀ per head
    this.put(`${at}attn.hook_pattern`, dPattern);
    const dScores = this.tmp([H, T, T]);
    softmaxBackward(rec, dPattern, pattern, dScores);
    this.put(`${at}attn.hook_attn_scores`, dScores);
    const inv = 1 / Math.sqrt(dh);
    const dq = this.tmp([T, H, dh]);
    const dk = this.tmp([T, H, dh]);
    const dv = this.tmp([T, H, dh]);
    attentionMix(rec, dScores, k, dq, { mask, scale: inv });
    attentionMix(rec, dScores, q, dk, { mask, scale: inv, transposed: true });
    attentionMix(rec, pattern, dz, dv, { transposed: true });
    this.put(`${at}attn.hook_q`, dq);
    this.put(`${at}attn.hook_k`, dk);
    this.put(`${at}attn.hook_v`, dv);
    // q, k and v are three projections of the same ln1 output: its gradient is the sum of the three.
    const x1 = act('ln1.hook_normalized');
    const dLn1 = this.tmp([T, d]);
    const projections = [
      [dq, p.attn.W_Q, g.attn.W_Q, g.attn.b_Q],
      [dk, p.attn.W_K, g.attn.W_K, g.attn.b_K],
      [dv, p.attn.W_V, g.attn.W_V, g.attn.b_V],
    ] as const;
    projections.forEach(([dy, W, gW, gb], i) => {
      const flat = view(dy, [T, d]);
      matmul(rec, { a: flat, b: W, out: dLn1, transB: true, accumulate: i > 0 });
      matmul(rec, { a: x1, b: flat, out: gW, transA: true, accumulate: true });
      sumRows(rec, flat, gb);
    });
    this.put(`${at}ln1.hook_normalized`, dLn1);
    const dPreLn = this.layerNorm(dLn1, act('hook_resid_pre'), p.ln1, g.ln1, act('ln1.hook_scale'), `${at}ln1.`);
    const dResidPre = this.tmp([T, d]);
    add(rec, dMid, dPreLn, dResidPre);
    this.put(`${at}hook_resid_pre`, dResidPre);
    return dResidPre;
  }

  /** resid_pre of block 0 = W_E[ids] + W_pos[0 … T−1]: both tables get dResid scattered into the rows read. */
  private embed(dResid: GpuTensor): void {
    const { rec, grads: g, ids } = this.a;
    this.put('hook_embed', dResid);
    this.put('hook_pos_embed', dResid);
    const scatter = (table: GpuTensor, rows: readonly number[]) => {
      const plan = scatterPlan(rows);
      const [r, o, pos] = [plan.rows, plan.offsets, plan.positions].map((arr) => {
        const t = this.tmp([arr.length]);
        rec.upload(t, arr);
        return t;
      });
      scatterAddRows(rec, { dOut: dResid, rows: r, offsets: o, positions: pos, dTable: table });
    };
    scatter(g.embed.W_E, ids);
    scatter(
      g.pos_embed.W_pos,
      ids.map((_, t) => t),
    );
  }

  /**
   * y = x · W + b backwards: gW += xᵀ · dy, gb += Σ_rows dy; returns dx = dy · Wᵀ: [N, K].
   *   dy: [N, M], x: [N, K], W: [K, M]
   */
  private linear(dy: GpuTensor, x: GpuTensor, W: GpuTensor, gW: GpuTensor, gb: GpuTensor, K: number): GpuTensor {
    const { rec } = this.a;
    const dx = this.tmp([dy.shape[0], K]);
    matmul(rec, { a: dy, b: W, out: dx, transB: true });
    matmul(rec, { a: x, b: dy, out: gW, transA: true, accumulate: true });
    sumRows(rec, dy, gb);
    return dx;
  }

  /** LayerNorm backwards: accumulates gw, gb; records grad.<prefix>hook_scale; returns dx: [T, d]. */
  private layerNorm(
    dy: GpuTensor,
    x: GpuTensor,
    p: { w: GpuTensor },
    g: { w: GpuTensor; b: GpuTensor },
    scale: GpuTensor,
    prefix: string,
  ): GpuTensor {
    const { rec } = this.a;
    const dx = this.tmp([this.T, this.d]);
    const dScale = this.tmp([this.T, 1]);
    const xhat = this.tmp([this.T, this.d]);
    layerNormBackward(rec, { dy, x, w: p.w, scale, dx, dScale, xhat });
    sumRows(rec, dy, g.w, xhat);
    sumRows(rec, dy, g.b);
    this.put(`${prefix}hook_scale`, dScale);
    return dx;
  }

  private act(name: string): GpuTensor {
    const t = this.a.acts.get(name);
    if (!t) throw new Error(`training forward did not keep ${name}`);
    return t;
  }

  private put(hook: string, t: GpuTensor): void {
    const name = GRAD_PREFIX + hook;
    if (this.a.wants(name)) this.a.reads.set(name, this.a.rec.read(t));
  }

  private tmp(shape: readonly number[]): GpuTensor {
    const t = this.a.ctx.alloc(shape, 'grad');
    this.temps.push(t);
    return t;
  }
}

function view(t: GpuTensor, shape: readonly number[]): GpuTensor {
  return { buffer: t.buffer, shape };
}
