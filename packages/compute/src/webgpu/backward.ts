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
 * The backward pass of a batch of B sequences on the GPU: train/backward.ts's head → blocks L−1 … 0 → embed, kernel
 * for kernel, recorded into the training step's recorder. Like the batched forward (model.ts, Pass), every
 * position-wise gradient is one dispatch over all B·T rows, and so is every parameter gradient: the batch's sum
 * Σ_b x_bᵀ · dy_b is the single product xᵀ · dy over the stacked rows, and Σ_rows dy (biases, LayerNorm) runs over
 * them too. Only attention's backward keeps the sequences apart, through the kernels' batch dimension. Parameter
 * gradients accumulate into `grads` (a step whose batch is too big for one pass adds several such passes);
 * activation gradients are read back only when captured (`grad.` + hook name), shaped [B, …] (per sequence,
 * stacked).
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

export interface BatchBackwardArgs {
  ctx: GpuContext;
  rec: Recorder;
  config: GPTConfig;
  params: GpuParams;
  grads: GpuParams;
  /** Sequences in the batch; `ids` holds their B·T ids one sequence after another. */
  B: number;
  ids: readonly number[];
  /** The forward's kept values, by hook name. */
  acts: ReadonlyMap<string, GpuTensor>;
  dlogits: GpuTensor;
  /** Whether `grad.<hook>` is wanted; a readback is recorded for it. */
  wants: (name: string) => boolean;
  reads: Map<string, Readback>;
}

export function recordBatchBackward(a: BatchBackwardArgs): void {
  new BatchBackward(a).run();
}

class BatchBackward {
  private readonly a: BatchBackwardArgs;
  private readonly temps: GpuTensor[] = [];
  private readonly B: number;
  private readonly T: number;
  /** Rows of every position-wise tensor: B·T. */
  private readonly N: number;
  private readonly d: number;

  constructor(a: BatchBackwardArgs) {
    this.a = a;
    this.B = a.B;
    this.N = a.ids.length;
    this.T = this.N / a.B;
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

  /** logits = ln_final(x) · W_Eᵀ → ∂L/∂x of the last residual: [B·T, d]. */
  private head(): GpuTensor {
    const { rec, params: p, grads: g, dlogits } = this.a;
    const act = (n: string) => this.act(n);
    this.put('hook_logits', dlogits);
    const dNorm = this.tmp([this.N, this.d]);
    matmul(rec, { a: dlogits, b: p.embed.W_E, out: dNorm }); // dx = dy · W   (W: [V, d])
    matmul(rec, { a: dlogits, b: act('ln_final.hook_normalized'), out: g.embed.W_E, transA: true, accumulate: true });
    this.put('ln_final.hook_normalized', dNorm);
    const x = act(`blocks.${this.a.config.n_layer - 1}.hook_resid_post`);
    return this.layerNorm(dNorm, x, p.ln_final, g.ln_final, act('ln_final.hook_scale'), 'ln_final.');
  }

  /** One block backwards; dPost = ∂L/∂resid_post → ∂L/∂resid_pre: [B·T, d]. */
  private block(l: number, dPost: GpuTensor): GpuTensor {
    const { rec, config } = this.a;
    const p = this.a.params.blocks[l];
    const g = this.a.grads.blocks[l];
    const at = `blocks.${l}.`;
    const act = (n: string) => this.act(at + n);
    const { B, T, N, d } = this;
    const H = config.n_head;
    const dh = dHead(config);
    const m = dMlp(config);
    this.put(`${at}hook_resid_post`, dPost);

    // MLP:  mlp_out = gelu(ln2(resid_mid) · W_in + b_in) · W_out + b_out
    this.put(`${at}hook_mlp_out`, dPost);
    const dPost_ = this.linear(dPost, act('mlp.hook_post'), p.mlp.W_out, g.mlp.W_out, g.mlp.b_out, m);
    this.put(`${at}mlp.hook_post`, dPost_);
    const dPre = this.tmp([N, m]);
    geluBackward(rec, dPost_, act('mlp.hook_pre'), dPre);
    this.put(`${at}mlp.hook_pre`, dPre);
    const dLn2 = this.linear(dPre, act('ln2.hook_normalized'), p.mlp.W_in, g.mlp.W_in, g.mlp.b_in, d);
    this.put(`${at}ln2.hook_normalized`, dLn2);
    const dMidLn = this.layerNorm(dLn2, act('hook_resid_mid'), p.ln2, g.ln2, act('ln2.hook_scale'), `${at}ln2.`);
    const dMid = this.tmp([N, d]);
    add(rec, dPost, dMidLn, dMid);
    this.put(`${at}hook_resid_mid`, dMid);

    // Attention:  attn_out = concat_h(softmax(q_h·k_hᵀ/√dh + mask) · v_h) · W_O + b_O
    // Per-sequence tensors are viewed [B, T, H, dh] and patterns [B, H, T, T] for the batched attention kernels.
    this.put(`${at}hook_attn_out`, dMid);
    const z = act('attn.hook_z');
    const dzFlat = this.linear(dMid, view(z, [N, d]), p.attn.W_O, g.attn.W_O, g.attn.b_O, d);
    const dz = view(dzFlat, [B, T, H, dh]);
    this.put(`${at}attn.hook_z`, dz);
    const pattern = view(act('attn.hook_pattern'), [B, H, T, T]);
    const [k, v, q] = ['attn.hook_k_cache', 'attn.hook_v_cache', 'attn.hook_q'].map((n) => view(act(n), [B, T, H, dh]));
    const mask = act('attn.hook_mask'); // [T, T], the same for every sequence
    const dPattern = this.tmp([B, H, T, T]);
    attentionScores(rec, { q: dz, k: v, scores: dPattern, scale: 1 }); // dPattern = dz · vᵀ per sequence and head
    this.put(`${at}attn.hook_pattern`, dPattern);
    const dScores = this.tmp([B, H, T, T]);
    softmaxBackward(rec, dPattern, pattern, dScores);
    this.put(`${at}attn.hook_attn_scores`, dScores);
    const inv = 1 / Math.sqrt(dh);
    const dq = this.tmp([B, T, H, dh]);
    const dk = this.tmp([B, T, H, dh]);
    const dv = this.tmp([B, T, H, dh]);
    attentionMix(rec, dScores, k, dq, { mask, scale: inv });
    attentionMix(rec, dScores, q, dk, { mask, scale: inv, transposed: true });
    attentionMix(rec, pattern, dz, dv, { transposed: true });
    this.put(`${at}attn.hook_q`, dq);
    this.put(`${at}attn.hook_k`, dk);
    this.put(`${at}attn.hook_v`, dv);
    // q, k and v are three projections of the same ln1 output: its gradient is the sum of the three.
    const x1 = act('ln1.hook_normalized');
    const dLn1 = this.tmp([N, d]);
    const projections = [
      [dq, p.attn.W_Q, g.attn.W_Q, g.attn.b_Q],
      [dk, p.attn.W_K, g.attn.W_K, g.attn.b_K],
      [dv, p.attn.W_V, g.attn.W_V, g.attn.b_V],
    ] as const;
    projections.forEach(([dy, W, gW, gb], i) => {
      const flat = view(dy, [N, d]);
      matmul(rec, { a: flat, b: W, out: dLn1, transB: true, accumulate: i > 0 });
      matmul(rec, { a: x1, b: flat, out: gW, transA: true, accumulate: true });
      sumRows(rec, flat, gb);
    });
    this.put(`${at}ln1.hook_normalized`, dLn1);
    const dPreLn = this.layerNorm(dLn1, act('hook_resid_pre'), p.ln1, g.ln1, act('ln1.hook_scale'), `${at}ln1.`);
    const dResidPre = this.tmp([N, d]);
    add(rec, dMid, dPreLn, dResidPre);
    this.put(`${at}hook_resid_pre`, dResidPre);
    return dResidPre;
  }

  /**
   * resid_pre of block 0 = W_E[ids] + W_pos[0 … T−1]: both tables get dResid scattered into the rows read. One
   * scatter over all B·T rows each: row b·T + t read token ids[b·T + t] and position t.
   */
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
      ids.map((_, i) => i % this.T),
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

  /** LayerNorm backwards: accumulates gw, gb; records grad.<prefix>hook_scale; returns dx: [B·T, d]. */
  private layerNorm(
    dy: GpuTensor,
    x: GpuTensor,
    p: { w: GpuTensor },
    g: { w: GpuTensor; b: GpuTensor },
    scale: GpuTensor,
    prefix: string,
  ): GpuTensor {
    const { rec } = this.a;
    const dx = this.tmp([this.N, this.d]);
    const dScale = this.tmp([this.N, 1]);
    const xhat = this.tmp([this.N, this.d]);
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

  /**
   * Read back a captured gradient as [B, …hook shape]: attention's 4-D tensors already are; a position-wise
   * [B·T, …] one is the same bytes viewed as [B, T, …].
   */
  private put(hook: string, t: GpuTensor): void {
    const name = GRAD_PREFIX + hook;
    if (!this.a.wants(name)) return;
    const [rows, ...rest] = t.shape;
    const stacked = t.shape.length === 4 ? t : view(t, [this.B, rows / this.B, ...rest]);
    this.a.reads.set(name, this.a.rec.read(stacked));
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
