import type { GPTConfig } from '../config';
import { dHead, dMlp } from '../config';
import type { RunOptions, RunResult, Trace } from '../engine';
import { checkIds, checkTemperature, HookPoints } from '../hookPoints';
import type { Tensor } from '../tensor';
import { cast } from '../tensor';
import type { GpuContext, GpuTensor } from './context';
import { add } from './kernels/add.wgsl';
import { attentionMix } from './kernels/attentionMix.wgsl';
import { attentionScores } from './kernels/attentionScores.wgsl';
import { causalMask } from './kernels/causalMask.wgsl';
import { gatherRows, positionRows } from './kernels/gather.wgsl';
import { gelu } from './kernels/gelu.wgsl';
import { layerNorm } from './kernels/layerNorm.wgsl';
import { matmul } from './kernels/matmul.wgsl';
import { scaleBy } from './kernels/scale.wgsl';
import { softmax } from './kernels/softmax.wgsl';
import type { GpuKVCache } from './kvCache';
import { asGpuCache } from './kvCache';
import type { GpuParams } from './params';
import { Readback, Recorder } from './scheduler';

/** Captured bytes a pass may hold back to read at its end (see Pass.deferred). */
const DEFER_BYTES = 64 << 20;

/**
 * The WebGPU forward pass: cpu/model.ts step for step and hook for hook, with every tensor in a GPU buffer.
 *
 *   x = W_E[ids] + W_pos[start …]
 *   for each block:  x = x + attn(ln1(x));  x = x + mlp(ln2(x))
 *   logits = ln_final(x) · W_Eᵀ
 *
 * The whole pass is recorded into one Recorder and submitted as one command encoder; captured tensors are copied into
 * one staging buffer as they are produced and mapped once at the end. A hook function is the exception: it needs the
 * value now, so the pass is flushed there, the value read back, the hook called, and the (possibly replaced or edited
 * in place) value uploaded into a fresh buffer that the rest of the pass uses, as the CPU pass would.
 *
 * Buffers come from the context's pool and go back as soon as the last kernel that reads them has been recorded
 * (the GPU executes in order, so a later kernel may reuse them within the same pass).
 *
 * The same Pass runs a batch of B equally long sequences for the training step (PassOptions.batch). Every
 * position-wise step (embeddings, LayerNorm, the linear maps, GELU, residual adds, the unembedding) treats the batch
 * as one stack of B·T rows, so each is ONE dispatch over [B·T, …] instead of B small ones: on a GPU a 64-row matmul
 * leaves most of the device idle, and on SwiftShader every dispatch has a fixed cost. Only attention mixes positions,
 * and its kernels take a leading batch dimension (scores [B, H, T, S]) so that each sequence attends to itself.
 * Inference is B = 1, where every tensor has exactly the shape of its hook. A batched pass is for training: it takes
 * no KV cache, and no hook may be captured or hooked in it (the captures would be [B·T, …], not the hooks' shapes).
 */
export interface GpuModel {
  ctx: GpuContext;
  config: GPTConfig;
  params: GpuParams;
}

export async function forwardGpu(
  model: GpuModel,
  ids: readonly number[],
  options: RunOptions = {},
): Promise<RunResult> {
  const { ctx, config } = model;
  ctx.checkAlive();
  const cache = options.cache ? asGpuCache(options.cache, ctx, config) : null;
  const start = cache?.length ?? 0;
  checkIds(ids, config, start);
  const temperature = checkTemperature(options.temperature);
  const T = ids.length;
  const S = start + T;
  const hooks = new HookPoints(config, options, { T, S });
  checkActivationsFit(ctx, config, T, S);
  const pass = new Pass(model, hooks, cache, start, T);
  try {
    return await pass.run(ids, temperature);
  } finally {
    pass.releaseAll();
  }
}

/** The largest buffers a pass of T new positions over S keys needs, checked before anything is recorded. */
export function checkActivationsFit(ctx: GpuContext, c: GPTConfig, T: number, S: number, B = 1): void {
  const b = B === 1 ? '' : `B=${B}, `;
  ctx.checkBufferSize(B * T * c.vocab_size * 4, `the logits [${b}T=${T}, V=${c.vocab_size}]`);
  ctx.checkBufferSize(B * c.n_head * T * S * 4, `the attention scores [${b}H=${c.n_head}, T=${T}, S=${S}]`);
  ctx.checkBufferSize(B * T * dMlp(c) * 4, `the MLP activations [${b}T=${T}, ${dMlp(c)}]`);
}

/**
 * The most sequences of T positions (over S keys) that one batched pass can hold, at most B: batching multiplies
 * the largest activation buffers by the batch size, and a single buffer may not exceed the device's binding limit
 * (128 MiB by default, which GPT-2's logits [B·T, 50257] pass at B·T ≈ 670). At least 1; whether one sequence fits
 * is checkActivationsFit's to say.
 */
export function sequencesThatFit(ctx: GpuContext, c: GPTConfig, T: number, S: number, B: number): number {
  const perSequence = 4 * Math.max(T * c.vocab_size, c.n_head * T * S, T * dMlp(c));
  const limit = Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);
  return Math.max(1, Math.min(B, Math.floor(limit / perSequence)));
}

export interface PassOptions {
  /** Record into this recorder (the training step records forward, loss and backward into one). */
  rec?: Recorder;
  /** Hook names whose values must outlive the pass's own use (the backward reads them); freed by releaseAll. */
  keep?: ReadonlySet<string>;
  /**
   * Sequences of T positions processed together (default 1). With B > 1, `record` takes the B·T ids one sequence
   * after another and position-wise tensors are [B·T, …]; attention's are [B, …] (see the class comment).
   */
  batch?: number;
}

export class Pass {
  private readonly ctx: GpuContext;
  private readonly config: GPTConfig;
  private readonly p: GpuParams;
  private readonly rec: Recorder;
  /** Buffers this pass took from the pool, by buffer (views share their owner's buffer). */
  private readonly owned = new Map<GPUBuffer, GpuTensor>();
  private readonly keep: ReadonlySet<string>;
  private readonly keptByName = new Map<string, GpuTensor>();
  /** Buffers of kept values: `release` leaves them alone, `releaseAll` frees them. */
  private readonly retained = new Set<GPUBuffer>();
  /** Buffers waiting for a deferred readback: `release` leaves them alone until `readDeferred`. */
  private readonly held = new Set<GPUBuffer>();
  /** The trace in tap order: a pending readback, or the CPU value a hook produced (null: read at the end). */
  private readonly captured: [string, Readback | Tensor | null][] = [];
  /**
   * Captured tensors whose readback waits for the end of the pass (index into `captured`), their buffers held back
   * from the pool until then. A copy is a transfer command, which ends the compute pass it interrupts: reading each
   * capture where it is made splits a pass with every hook captured into ~10 pieces per layer, and on the toy model
   * the readbacks then cost ~25% of the pass; read together at the end they share one break. Up to DEFER_BYTES: past
   * that, holding every activation until the end would double a big capture's peak memory, so they are read in place.
   */
  private readonly deferred: { index: number; t: GpuTensor }[] = [];
  private deferredBytes = 0;
  /** Keys and values attended over per layer (after hooks); their new rows go into the cache at the end. */
  private readonly keysUsed: GpuTensor[] = [];
  private readonly valuesUsed: GpuTensor[] = [];
  private readonly H: number;
  private readonly dh: number;
  private readonly d: number;
  /** Sequences in the batch, and rows of every position-wise tensor (B·T). */
  private readonly B: number;
  private readonly N: number;

  constructor(
    model: GpuModel,
    private readonly hooks: HookPoints,
    private readonly cache: GpuKVCache | null,
    private readonly start: number,
    private readonly T: number,
    options: PassOptions = {},
  ) {
    this.ctx = model.ctx;
    this.config = model.config;
    this.p = model.params;
    this.rec = options.rec ?? new Recorder(model.ctx);
    this.keep = options.keep ?? new Set();
    this.H = this.config.n_head;
    this.dh = dHead(this.config);
    this.d = this.config.n_embd;
    this.B = options.batch ?? 1;
    this.N = this.B * T;
    if (!(Number.isInteger(this.B) && this.B >= 1)) throw new Error(`batch must be a whole number >= 1, got ${this.B}`);
    if (this.B > 1 && cache) throw new Error('a batched pass takes no KV cache');
  }

  /**
   * Record the whole forward pass (flushing only where a hook function needs a value) and return the logits used
   * after hooks: [B·T, V]. `ids`: the B·T ids, one sequence after another. The caller records what follows
   * (readbacks, the loss) and flushes.
   */
  async record(ids: readonly number[], temperature: number): Promise<GpuTensor> {
    const { p, T, N, d, rec } = this;
    if (ids.length !== N) throw new Error(`a pass of ${this.B} × ${T} positions got ${ids.length} ids`);
    const idsGpu = this.alloc([N], 'ids');
    rec.upload(idsGpu, Uint32Array.from(ids));
    const embed = this.alloc([N, d], 'embed');
    gatherRows(rec, p.embed.W_E, idsGpu, embed);
    this.release(idsGpu);
    const tokEmbed = await this.tap('hook_embed', embed, null); // [B·T, d]
    const pos = this.alloc([N, d], 'pos_embed');
    positionRows(rec, p.pos_embed.W_pos, this.start, pos, T);
    const posEmbed = await this.tap('hook_pos_embed', pos, null); // [B·T, d]
    let x = this.alloc([N, d], 'resid');
    add(rec, tokEmbed, posEmbed, x);
    this.release(tokEmbed, posEmbed);
    for (let l = 0; l < this.config.n_layer; l++) x = await this.block(x, l);

    const final = await this.layerNormAt(x, this.p.ln_final, '', 'ln_final', null); // [B·T, d]
    this.release(x);
    const V = this.config.vocab_size;
    const rawLogits = this.alloc([N, V], 'logits');
    matmul(rec, { a: final, b: p.embed.W_E, out: rawLogits, transB: true }); // tied unembedding
    this.release(final);
    const logits = await this.tap('hook_logits', rawLogits, null); // [B·T, V]
    if (this.hooks.touches('hook_scaled_logits') || this.hooks.touches('hook_probs')) {
      const scaledRaw = this.alloc([N, V], 'scaled_logits');
      scaleBy(rec, logits, 1 / temperature, scaledRaw);
      const scaled = await this.tap('hook_scaled_logits', scaledRaw, null);
      if (this.hooks.touches('hook_probs')) {
        const probs = this.alloc([N, V], 'probs');
        softmax(rec, scaled, probs);
        this.release(await this.tap('hook_probs', probs, null));
      }
      this.release(scaled);
    }
    this.readDeferred();
    return logits;
  }

  async run(ids: readonly number[], temperature: number): Promise<RunResult> {
    const logits = await this.record(ids, temperature);
    const logitsValue = this.valueAt('hook_logits') ?? this.rec.read(logits);
    if (this.cache) this.recordCacheWrites(this.cache);
    await this.rec.flush();
    this.cache?.commit(this.start + this.T);
    return {
      logits: logitsValue instanceof Readback ? logitsValue.tensor : logitsValue,
      trace: this.trace(),
      start: this.start,
    };
  }

  /** The captured tensors, in tap order (after the recorder has been flushed). */
  trace(): Trace {
    const trace: Trace = {};
    for (const [name, v] of this.captured) {
      if (v === null) throw new Error(`${name} was captured but its readback was never recorded`);
      trace[name] = v instanceof Readback ? v.tensor : v;
    }
    return trace;
  }

  /** The buffers kept for the backward pass, by hook name (see PassOptions.keep). */
  get kept(): ReadonlyMap<string, GpuTensor> {
    return this.keptByName;
  }

  /** One pre-LN transformer block.   x: [B·T, d] → [B·T, d] */
  private async block(x: GpuTensor, l: number): Promise<GpuTensor> {
    const at = `blocks.${l}.`;
    const b = this.p.blocks[l];
    const residPre = await this.tap(`${at}hook_resid_pre`, x, l);
    const ln1 = await this.layerNormAt(residPre, b.ln1, at, 'ln1', l);
    const attnOut = await this.tap(`${at}hook_attn_out`, await this.attention(ln1, l), l);
    this.release(ln1);
    const mid = this.alloc([this.N, this.d], 'resid_mid');
    add(this.rec, residPre, attnOut, mid);
    this.release(residPre, attnOut);
    const residMid = await this.tap(`${at}hook_resid_mid`, mid, l);
    const ln2 = await this.layerNormAt(residMid, b.ln2, at, 'ln2', l);
    const mlpOut = await this.tap(`${at}hook_mlp_out`, await this.mlp(ln2, l), l);
    this.release(ln2);
    const post = this.alloc([this.N, this.d], 'resid_post');
    add(this.rec, residMid, mlpOut, post);
    this.release(residMid, mlpOut);
    return this.tap(`${at}hook_resid_post`, post, l);
  }

  /**
   * Causal multi-head self-attention over the cached positions and this call's.   x: [B·T, d] → [B·T, d]
   * The projections run over all B·T rows at once; the attention kernels get the batch as a leading dimension
   * (`seqs`), so each sequence's queries see only its own keys.
   */
  private async attention(x: GpuTensor, l: number): Promise<GpuTensor> {
    const { T, N, H, dh, d, rec, start } = this;
    const S = start + T;
    const a = this.p.blocks[l].attn;
    const at = `blocks.${l}.attn.`;
    const q = await this.tap(`${at}hook_q`, this.linear(x, a.W_Q, a.b_Q, [N, H, dh], 'q'), l);
    const k = await this.tap(`${at}hook_k`, this.linear(x, a.W_K, a.b_K, [N, H, dh], 'k'), l);
    const v = await this.tap(`${at}hook_v`, this.linear(x, a.W_V, a.b_V, [N, H, dh], 'v'), l);
    let keysAll = k; // [S, H, dh]: without a cache S = T and the new keys are all the keys
    let valuesAll = v;
    if (this.cache) {
      const kc = this.cache.keyBuffer(l);
      const vc = this.cache.valueBuffer(l);
      rec.copy(k, 0, kc, start * d * 4, T * d * 4);
      rec.copy(v, 0, vc, start * d * 4, T * d * 4);
      keysAll = { buffer: kc.buffer, shape: [S, H, dh] };
      valuesAll = { buffer: vc.buffer, shape: [S, H, dh] };
      this.release(k, v);
    }
    const keys = await this.tap(`${at}hook_k_cache`, keysAll, l);
    const values = await this.tap(`${at}hook_v_cache`, valuesAll, l);
    this.keysUsed[l] = keys;
    this.valuesUsed[l] = values;

    // One mask for the whole batch: every sequence has the same T and S.
    const maskRaw = this.alloc([T, S], 'mask');
    causalMask(rec, maskRaw);
    const mask = await this.tap(`${at}hook_mask`, maskRaw, l); // [T, S]
    const scoresRaw = this.alloc(this.seqShape(H, T, S), 'scores');
    attentionScores(rec, { q: this.seqs(q), k: this.seqs(keys), mask, scores: scoresRaw });
    this.release(q, mask);
    const scores = await this.tap(`${at}hook_attn_scores`, scoresRaw, l); // [B, H, T, S]
    const patternRaw = this.alloc(scores.shape, 'pattern');
    softmax(rec, scores, patternRaw);
    this.release(scores);
    const pattern = await this.tap(`${at}hook_pattern`, patternRaw, l); // [B, H, T, S]
    const zRaw = this.alloc([N, H, dh], 'z');
    attentionMix(rec, pattern, this.seqs(values), this.seqs(zRaw));
    this.release(pattern);
    // Without a cache, nothing reads the keys and values again; with one, their new rows are copied at the end.
    if (!this.cache) this.release(keys, values);
    const z = await this.tap(`${at}hook_z`, zRaw, l); // [B·T, H, dh]
    const out = this.linear({ buffer: z.buffer, shape: [N, d] }, a.W_O, a.b_O, [N, d], 'attn_out');
    this.release(z);
    return out;
  }

  /** The position-wise MLP with the GELU (tanh) non-linearity.   x: [B·T, d] → [B·T, d] */
  private async mlp(x: GpuTensor, l: number): Promise<GpuTensor> {
    const m = this.p.blocks[l].mlp;
    const at = `blocks.${l}.mlp.`;
    const pre = await this.tap(`${at}hook_pre`, this.linear(x, m.W_in, m.b_in, [this.N, dMlp(this.config)], 'pre'), l);
    const postRaw = this.alloc(pre.shape, 'post');
    gelu(this.rec, pre, postRaw);
    this.release(pre);
    const post = await this.tap(`${at}hook_post`, postRaw, l);
    const out = this.linear(post, m.W_out, m.b_out, [this.N, this.d], 'mlp_out');
    this.release(post);
    return out;
  }

  /** LayerNorm and its two hooks; a hook on the scale makes the output be recomputed from the scale it left. */
  private async layerNormAt(
    x: GpuTensor,
    p: { w: GpuTensor; b: GpuTensor },
    at: string,
    ln: string,
    layer: number | null,
  ): Promise<GpuTensor> {
    const { N, d, rec } = this;
    const eps = this.config.layer_norm_epsilon;
    const out = this.alloc([N, d], `${ln} out`);
    const scaleRaw = this.alloc([N, 1], `${ln} scale`);
    layerNorm(rec, { x, w: p.w, b: p.b, eps, out, scale: scaleRaw });
    const scale = await this.tap(`${at}${ln}.hook_scale`, scaleRaw, layer);
    if (this.hooks.hooked(`${at}${ln}.hook_scale`)) {
      layerNorm(rec, { x, w: p.w, b: p.b, eps, out, scale, givenScale: true });
    }
    this.release(scale);
    return this.tap(`${at}${ln}.hook_normalized`, out, layer);
  }

  /** y = x · W + b into a fresh buffer, returned with the given (reshaped) shape.   x: [N, K], W: [K, M] */
  private linear(x: GpuTensor, W: GpuTensor, b: GpuTensor, shape: number[], label: string): GpuTensor {
    const [N] = x.shape;
    const y = this.alloc([N, W.shape[1]], label);
    matmul(this.rec, { a: x, b: W, bias: b, out: y });
    return { buffer: y.buffer, shape };
  }

  /**
   * A hook point. Captured: a readback is recorded here (it runs in order, before anything can overwrite the buffer).
   * Hooked: flush, read, call the hook, upload what it left into a fresh buffer, and carry on with that.
   */
  private async tap(name: string, t: GpuTensor, layer: number | null): Promise<GpuTensor> {
    const fn = this.hooks.fn(name);
    if (this.B > 1 && (fn || this.hooks.captured.has(name))) throw new Error(`a batched pass cannot hook ${name}`);
    if (!fn) {
      if (this.hooks.captured.has(name)) this.capture(name, t);
      return this.kept_(name, t);
    }
    const readback = this.rec.read(t);
    await this.rec.flush();
    const value = readback.tensor;
    const out = fn(value, { name, layer, start: this.start });
    const used = out !== undefined && out !== null ? cast(this.hooks.checkReplacement(name, out), 'float32') : value;
    const fresh = this.alloc(t.shape, name);
    this.rec.upload(fresh, used.data as Float32Array);
    this.release(t);
    if (this.hooks.captured.has(name)) this.captured.push([name, used]);
    return this.kept_(name, fresh);
  }

  /** Record the readback of a captured tensor: now, or at the end of the pass (see `deferred`). */
  private capture(name: string, t: GpuTensor): void {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * 4;
    // Only buffers this pass owns: nothing else writes them before the end (a cache view may be written later).
    if (this.owned.has(t.buffer) && this.deferredBytes + bytes <= DEFER_BYTES) {
      this.deferred.push({ index: this.captured.length, t });
      this.deferredBytes += bytes;
      this.held.add(t.buffer);
      this.captured.push([name, null]);
    } else {
      this.captured.push([name, this.rec.read(t)]);
    }
  }

  /** The deferred readbacks, in tap order, then their buffers back to the pool (the GPU runs the copies first). */
  private readDeferred(): void {
    for (const { index, t } of this.deferred) this.captured[index][1] = this.rec.read(t);
    const ts = this.deferred.map((d) => d.t);
    this.deferred.length = 0;
    this.deferredBytes = 0;
    for (const t of ts) this.held.delete(t.buffer);
    this.release(...ts);
  }

  private kept_(name: string, t: GpuTensor): GpuTensor {
    if (this.keep.has(name)) {
      this.keptByName.set(name, t);
      this.retained.add(t.buffer);
    }
    return t;
  }

  /** The value recorded for a hook that is captured or hooked (so the logits are not read back twice). */
  private valueAt(name: string): Readback | Tensor | undefined {
    return this.captured.find(([n]) => n === name)?.[1] ?? undefined;
  }

  /** Rows start … S−1 of each layer's keys and values into the cache, where a hook replaced them. */
  private recordCacheWrites(cache: GpuKVCache): void {
    const off = this.start * this.d * 4;
    const bytes = this.T * this.d * 4;
    for (let l = 0; l < this.config.n_layer; l++) {
      const kc = cache.keyBuffer(l);
      const vc = cache.valueBuffer(l);
      if (this.keysUsed[l].buffer !== kc.buffer) this.rec.copy(this.keysUsed[l], off, kc, off, bytes);
      if (this.valuesUsed[l].buffer !== vc.buffer) this.rec.copy(this.valuesUsed[l], off, vc, off, bytes);
    }
  }

  /** A per-sequence shape with the batch in front, as the attention kernels take it; B = 1 keeps the hook's shape. */
  private seqShape(...shape: number[]): number[] {
    return this.B === 1 ? shape : [this.B, ...shape];
  }

  /** A [B·T, …] (or [B·S, …]) tensor viewed as [B, T, …] for the attention kernels; unchanged when B = 1. */
  private seqs(t: GpuTensor): GpuTensor {
    if (this.B === 1) return t;
    const [rows, ...rest] = t.shape;
    return { buffer: t.buffer, shape: [this.B, rows / this.B, ...rest] };
  }

  private alloc(shape: readonly number[], label: string): GpuTensor {
    const t = this.ctx.alloc(shape, label);
    this.owned.set(t.buffer, t);
    return t;
  }

  /** Hand buffers back to the pool (views and buffers the pass does not own, like the cache, are ignored). */
  private release(...ts: GpuTensor[]): void {
    for (const t of ts) {
      const own = this.owned.get(t.buffer);
      if (!own || this.retained.has(t.buffer) || this.held.has(t.buffer)) continue;
      this.owned.delete(t.buffer);
      this.ctx.free(own);
    }
  }

  releaseAll(): void {
    for (const t of this.owned.values()) this.ctx.free(t);
    this.owned.clear();
    this.retained.clear();
    this.held.clear();
    this.keptByName.clear();
  }
}
