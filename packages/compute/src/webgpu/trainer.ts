import type { CaptureSpec, Trace } from '../engine';
import { fail } from '../errors';
import { capturePredicate, HookPoints } from '../hookPoints';
import type { GPTParams } from '../params';
import { flattenParams, paramSpecs, paramsFromMap } from '../params';
import type { FloatArray, Tensor } from '../tensor';
import { tensor } from '../tensor';
import type { Batch } from '../train/batch';
import { validateBatch } from '../train/batch';
import type { OptimizerConfig, OptimizerSnapshot } from '../train/optim';
import type { ResolvedOptimizerConfig } from '../train/optimConfig';
import { validateOptimizer } from '../train/optimConfig';
import { backwardReads, recordBatchBackward } from './backward';
import type { GpuTensor } from './context';
import type { WebGpuEngine } from './engine';
import { adamw } from './kernels/adamw.wgsl';
import { clipApply } from './kernels/clipApply.wgsl';
import { clipScale } from './kernels/clipScale.wgsl';
import { crossEntropy } from './kernels/crossEntropy.wgsl';
import { flagNonFinite } from './kernels/flagNonFinite.wgsl';
import { sgd } from './kernels/sgd.wgsl';
import { sumSquares, sumSquaresChunks } from './kernels/sumSquares.wgsl';
import { checkActivationsFit, Pass, sequencesThatFit } from './model';
import type { GpuParams } from './params';
import { flattenGpuParams } from './params';
import type { Readback } from './scheduler';
import { Recorder } from './scheduler';

/**
 * One training step on the GPU, the same arithmetic as the CPU trainer (train/gradients.ts + clip.ts + optim.ts):
 *
 *   forward (the whole batch as one pass over B·T rows, activations kept on the GPU) → cross-entropy and ∂L/∂logits
 *   → backward (train/backward.ts, kernel for kernel, batched the same way) → global gradient norm and clipping →
 *   AdamW or SGD update of the engine's parameters
 *
 * Batching is what keeps the dispatch count independent of B: one matmul over B·T rows instead of B matmuls over T,
 * which on a GPU fills the device and on SwiftShader saves B − 1 fixed dispatch costs per op. Only when the batch's
 * largest activation (the logits [B·T, V], the scores [B, H, T, T]) would exceed the device's buffer limit is it
 * split into several such passes (sequencesThatFit), whose parameter gradients add up in the same buffers.
 *
 * all recorded into ONE command encoder and followed by ONE readback (the per-position losses, the norm and clip
 * factor, and whatever gradients were asked for). The clip factor never visits the CPU: the update kernels read it
 * from a GPU buffer. Divergence is decided on the GPU too, with the CPU trainer's three rules: a non-finite loss
 * (flagNonFinite), a non-finite gradient norm (clipScale), or an update that would make a weight non-finite (the
 * optimizer kernels' check mode, run over every parameter before any is written). Any of them and the apply kernels
 * write nothing, so the weights and optimizer moments stay as they were, and the step is reported as
 * GlassboxError('training-diverged') naming the cause like the CPU trainer does.
 *
 * This is the low-level step (you choose the batch and learning rate); WebGpuModelTrainer (./modelTrainer.ts) adds
 * the data source, schedule, train(n) and checkpoints on top, as the CPU Trainer does.
 */

export interface GpuTrainerOptions {
  /** Default: AdamW with β = (0.9, 0.999), ε = 1e-8, weight decay 0.01 on matrices (as train/optim.ts). */
  optimizer?: OptimizerConfig;
  /** Clip the global gradient norm to this (default Infinity: measure it, never clip). */
  clipNorm?: number;
}

export interface GpuStepOptions {
  lr: number;
  /**
   * Gradients to read back: `grad.params.<name>` (summed over the batch, before clipping, like computeGradients) and
   * `grad.<hook>` (per sequence, stacked to [B, …] when B > 1). Default none.
   */
  gradCapture?: CaptureSpec;
}

export interface GpuStepResult {
  /** Index of this step (= updates applied before it). */
  step: number;
  /** Mean cross-entropy over all B·T positions (accumulated in float64 from the GPU's per-position losses). */
  loss: number;
  /** −log p(target) per position: [T], or [B, T] when B > 1. */
  losses: Tensor;
  gradNorm: number;
  clipScale: number;
  lr: number;
  grads: Trace;
}

/** status[3] codes: why the update was withheld (0: it was not). */
const LOSS_NOT_FINITE = 1;
const FIRST_PARAM = 2;

export class WebGpuTrainer {
  readonly engine: WebGpuEngine;
  readonly optimizer: ResolvedOptimizerConfig;
  readonly clipNorm: number;
  /** Updates applied so far (AdamW's bias correction uses it). */
  t = 0;
  private readonly grads: GpuParams;
  private readonly moments: GpuParams[];
  private readonly partials: GpuTensor;
  private readonly status: GpuTensor;

  constructor(engine: WebGpuEngine, options: GpuTrainerOptions = {}) {
    this.engine = engine;
    this.optimizer = validateOptimizer(options.optimizer ?? { kind: 'adamw' });
    this.clipNorm = options.clipNorm ?? Number.POSITIVE_INFINITY;
    if (!(this.clipNorm > 0))
      fail('bad-config', `clip norm must be > 0 (or Infinity for no clipping), got ${this.clipNorm}`);
    const ctx = engine.context;
    const zerosLikeParams = (label: string): GpuParams => {
      const p = engine.gpuParams;
      // Same tree, fresh zeroed buffers: walk the parameter tree by name and rebuild it.
      const byName = new Map(
        flattenGpuParams(p).map(([n, t]) => [n, ctx.createTensor(t.shape, null, `${label} ${n}`)]),
      );
      return rebuild(p, '', byName) as GpuParams;
    };
    this.grads = zerosLikeParams('grad');
    this.moments =
      this.optimizer.kind === 'adamw'
        ? [zerosLikeParams('adam m'), zerosLikeParams('adam v')]
        : [zerosLikeParams('momentum')];
    const chunks = flattenGpuParams(this.grads).reduce((n, [, t]) => n + sumSquaresChunks(size(t)), 0);
    this.partials = ctx.createTensor([chunks], null, 'grad norm partials');
    this.status = ctx.createTensor([4], null, 'clip status');
  }

  async step(batch: Batch, { lr, gradCapture = [] }: GpuStepOptions): Promise<GpuStepResult> {
    const { engine } = this;
    const ctx = engine.context;
    const config = engine.config;
    ctx.checkAlive();
    if (!(Number.isFinite(lr) && lr >= 0)) fail('bad-config', `learning rate must be a finite number >= 0, got ${lr}`);
    const { B, T } = validateBatch(config, batch);
    checkActivationsFit(ctx, config, T, T);
    const perPass = sequencesThatFit(ctx, config, T, T, B);
    const wants = capturePredicate(gradCapture);
    const rec = new Recorder(ctx);
    const model = { ctx, config, params: engine.gpuParams };
    const keep = new Set(backwardReads(config));
    const noHooks = new HookPoints(config, {}, { T, S: T });
    const gradList = flattenGpuParams(this.grads);
    for (const [, g] of gradList) rec.clear(g);

    // Per pass: the losses [n·T] and the captured activation gradients [n, …] of its n sequences.
    const lossReads: Readback[] = [];
    const lossBufs: GpuTensor[] = [];
    const actReads: Map<string, Readback>[] = [];
    const passes: Pass[] = [];
    const temps: GpuTensor[] = [];
    try {
      for (let first = 0; first < B; first += perPass) {
        const n = Math.min(perPass, B - first);
        const ids = batch.inputs.slice(first, first + n).flat();
        const pass = new Pass(model, noHooks, null, 0, T, { rec, keep, batch: n });
        passes.push(pass);
        const logits = await pass.record(ids, 1); // [n·T, V]
        const targets = ctx.alloc([n * T], 'targets');
        const loss = ctx.alloc([n * T], 'loss');
        const dlogits = ctx.alloc([n * T, config.vocab_size], 'dlogits');
        temps.push(targets, loss, dlogits);
        rec.upload(targets, Uint32Array.from(batch.targets.slice(first, first + n).flat()));
        crossEntropy(rec, { logits, targets, N: B * T, loss, dlogits }); // N: the mean is over the whole batch
        lossReads.push(rec.read(loss));
        lossBufs.push(loss);
        const reads = new Map<string, Readback>();
        actReads.push(reads);
        recordBatchBackward({
          ctx,
          rec,
          config,
          params: engine.gpuParams,
          grads: this.grads,
          B: n,
          ids,
          acts: pass.kept,
          dlogits,
          wants,
          reads,
        });
        pass.releaseAll(); // recorded uses come first on the GPU; the next pass may reuse these buffers
      }

      const paramReads = new Map<string, Readback>();
      for (const [name, g] of gradList) {
        if (wants(`grad.params.${name}`)) paramReads.set(`grad.params.${name}`, rec.read(g));
      }
      let offset = 0;
      for (const [, g] of gradList) {
        sumSquares(rec, g, this.partials, offset);
        offset += sumSquaresChunks(size(g));
      }
      clipScale(rec, this.partials, this.clipNorm, this.status); // status = [norm, scale, ok, 0]
      for (const l of lossBufs) flagNonFinite(rec, l, this.status, LOSS_NOT_FINITE);
      for (const [, g] of gradList) clipApply(rec, g, this.status);
      const t = this.t + 1;
      this.recordUpdate(rec, lr, t, true);
      this.recordUpdate(rec, lr, t, false);
      const statusRead = rec.read(this.status);
      await rec.flush();

      const [norm, scale, ok, why] = statusRead.tensor.data;
      const lossData = joinRows(lossReads.map((r) => r.tensor.data));
      let sum = 0;
      for (const x of lossData) sum += x;
      const loss = sum / (B * T);
      if (!ok || why !== 0 || !Number.isFinite(loss)) {
        // The apply kernels wrote nothing: weights and moments are as they were before this step.
        const cause =
          why === LOSS_NOT_FINITE || !Number.isFinite(loss)
            ? `the loss is ${loss}`
            : !ok
              ? `the gradient norm is ${norm}`
              : `the update made ${gradList[why - FIRST_PARAM]?.[0] ?? 'a parameter'} non-finite (learning rate ${lr} too large?)`;
        fail(
          'training-diverged',
          `training diverged at step ${this.t}: ${cause}. The parameters are left as they were before this step ` +
            '(the last good ones); lower the learning rate or clip the gradients.',
        );
      }
      this.t = t;
      const grads: Trace = {};
      for (const [name, first] of actReads[0]) {
        // Each pass read [n, …hook shape]; join the passes, and drop the batch axis for a single sequence.
        const data = joinRows(actReads.map((m) => (m.get(name) as Readback).tensor.data));
        const shape = first.shape.slice(1);
        grads[name] = tensor(B === 1 ? shape : [B, ...shape], data);
      }
      for (const [name, r] of paramReads) grads[name] = r.tensor;
      const losses = tensor(B === 1 ? [T] : [B, T], lossData);
      return { step: this.t - 1, loss, losses, gradNorm: norm, clipScale: scale, lr, grads };
    } finally {
      for (const p of passes) p.releaseAll();
      for (const t of temps) ctx.free(t);
    }
  }

  /**
   * The optimizer kernels for every parameter; matrices get weight decay (train/optim.ts's rule). `check`: flag a
   * would-be non-finite result with FIRST_PARAM + the parameter's index instead of writing.
   */
  private recordUpdate(rec: Recorder, lr: number, t: number, check: boolean): void {
    const kinds = paramSpecs(this.engine.config).map((s) => s.kind);
    const params = flattenGpuParams(this.engine.gpuParams);
    const grads = flattenGpuParams(this.grads);
    const slots = this.moments.map(flattenGpuParams);
    const o = this.optimizer;
    params.forEach(([, param], i) => {
      const code = check ? FIRST_PARAM + i : undefined;
      const lambda = kinds[i] === 'matrix' ? o.weightDecay : 0;
      const grad = grads[i][1];
      if (o.kind === 'adamw') {
        const [c1, c2] = [1 - o.beta1 ** t, 1 - o.beta2 ** t];
        const [m, v] = [slots[0][i][1], slots[1][i][1]];
        adamw(rec, {
          param,
          grad,
          m,
          v,
          status: this.status,
          lr,
          beta1: o.beta1,
          beta2: o.beta2,
          eps: o.eps,
          c1,
          c2,
          lambda,
          check: code,
        });
      } else {
        const buf = slots[0][i][1];
        sgd(rec, { param, grad, buf, status: this.status, lr, momentum: o.momentum, lambda, check: code });
      }
    });
  }

  /**
   * The engine's parameters and the optimizer state, read back in one transfer: the CPU Trainer's
   * `optimizer.restore()` takes `optimizer` as it is (AdamW's m and v, or SGD's momentum buffer as m).
   */
  async readState(): Promise<{ params: GPTParams; optimizer: OptimizerSnapshot }> {
    const { engine } = this;
    engine.context.checkAlive();
    const rec = new Recorder(engine.context);
    const params = flattenGpuParams(engine.gpuParams).map(([name, t]) => [name, rec.read(t)] as const);
    const slots = this.moments.map((tree) => flattenGpuParams(tree).map(([, t]) => rec.read(t)));
    await rec.flush();
    const data = (r: Readback) => r.tensor.data;
    return {
      params: paramsFromMap(engine.config, new Map(params.map(([name, r]) => [name, r.tensor]))),
      optimizer: {
        t: this.t,
        m: slots[0].map(data),
        v: this.optimizer.kind === 'adamw' ? slots[1].map(data) : slots[0].map(() => undefined),
      },
    };
  }

  /**
   * The inverse of readState: upload `params` into the engine's parameter buffers and `optimizer` into the moment
   * buffers (zeroed, with t = 0, when it is absent), in one submission. Shapes are the caller's to check
   * (checkCheckpoint); float64 data is rounded to float32.
   */
  async writeState(params: GPTParams, optimizer?: OptimizerSnapshot): Promise<void> {
    const { engine } = this;
    engine.context.checkAlive();
    const rec = new Recorder(engine.context);
    const f32 = (a: ArrayLike<number>) => (a instanceof Float32Array ? a : Float32Array.from(a));
    const src = flattenParams(params);
    flattenGpuParams(engine.gpuParams).forEach(([, t], i) => {
      rec.upload(t, f32(src[i][1].data));
    });
    this.moments.forEach((tree, k) => {
      flattenGpuParams(tree).forEach(([, t], i) => {
        const data = optimizer ? (k === 0 ? optimizer.m[i] : optimizer.v[i]) : undefined;
        if (data) rec.upload(t, f32(data));
        else rec.clear(t);
      });
    });
    await rec.flush();
    this.t = optimizer?.t ?? 0;
  }

  /** Free the gradient and optimizer buffers. */
  dispose(): void {
    for (const tree of [this.grads, ...this.moments]) for (const [, t] of flattenGpuParams(tree)) t.buffer.destroy();
    this.partials.buffer.destroy();
    this.status.buffer.destroy();
  }
}

/** The passes' readbacks one after another (no copy when the batch ran as one pass). */
function joinRows(parts: readonly FloatArray[]): FloatArray {
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function size(t: GpuTensor): number {
  return t.shape.reduce((a, b) => a * b, 1);
}

function rebuild(node: unknown, path: string, byName: ReadonlyMap<string, GpuTensor>): unknown {
  if (typeof node === 'object' && node !== null && 'shape' in node) return byName.get(path);
  const key = (k: string | number) => (path ? `${path}.${k}` : String(k));
  if (Array.isArray(node)) return node.map((n, i) => rebuild(n, key(i), byName));
  return Object.fromEntries(Object.entries(node as object).map(([k, v]) => [k, rebuild(v, key(k), byName)]));
}
