import type { GPTConfig } from '../config';
import { validateConfig } from '../config';
import type { CaptureSpec, HookFn, Trace } from '../engine';
import { fail, GlassboxError } from '../errors';
import type { GPTParams } from '../params';
import { cloneParams, flattenParams } from '../params';
import type { Tensor } from '../tensor';
import { stack, tensor } from '../tensor';
import type { BackwardStage, StageResult } from './backward';
import { ModelBackward } from './backward';
import type { Batch, BatchSource } from './batch';
import { validateBatch } from './batch';
import { clipGradNorm } from './clip';
import type { SequenceRun } from './gradients';
import { batchLoss, dLogits, forwardBatch } from './gradients';
import type { ModelTrainer, TrainerCheckpoint } from './modelTrainer';
import { checkCheckpoint, trainLoop } from './modelTrainer';
import type { InspectSpec, OptimizerConfig, OptimizerSnapshot, ParamUpdate } from './optim';
import { Optimizer } from './optim';
import type { LrSchedule } from './schedule';
import { learningRate, validateSchedule } from './schedule';

/**
 * A training run a view can step through. One training step is four phases, each a method that returns what it
 * computed:
 *
 *   forward()        run the batch through the model (trace of every hook)
 *   loss()           cross-entropy per position, their mean, and ∂L/∂logits = (softmax − onehot)/N
 *   backwardStep()   one stage of the backward pass: head (unembedding + ln_final), block L−1, …, block 0, embed
 *   update()         clip the gradients, take the optimizer step, report before / update / after
 *
 * `runStep()` does all four with minimal capture; `train(n)` repeats it with progress callbacks and cancellation.
 * The parameters are updated in place (share them with a CpuEngine to generate from the model being trained).
 * This is the CPU implementation of ModelTrainer (./modelTrainer.ts); the WebGPU one runs whole steps only.
 *
 * Failure: a non-finite loss, gradient norm or updated weight throws GlassboxError('training-diverged') and leaves
 * the parameters and optimizer state exactly as they were before that step: the last good ones.
 */
export interface TrainerOptions {
  /** The batch for each step (see wholeSequence, randomWindows). */
  data: BatchSource;
  /** Default: AdamW with β = (0.9, 0.999), ε = 1e-8, weight decay 0.01 on matrices. */
  optimizer?: OptimizerConfig;
  schedule: LrSchedule;
  /** Clip the global gradient norm to this (default Infinity: measure it, never clip). */
  clipNorm?: number;
  /** Parameters whose before / update / after the stepped update() reports (default none). */
  inspect?: InspectSpec;
  /** Forward hooks captured by the stepped forward() (default 'all'). */
  capture?: CaptureSpec;
  /** Gradient names (`grad.…`) captured by the stepped backwardStep() (default 'all'). */
  gradCapture?: CaptureSpec;
  /**
   * Interventions applied during training forwards (rarely wanted). The backward treats an edited activation as if
   * the model had computed it, so gradients flow through it unchanged.
   */
  hooks?: Readonly<Record<string, HookFn>>;
}

/** The phase the next call is expected to start. */
export type TrainerPhase = 'forward' | 'loss' | 'backward' | 'update';

export interface ForwardStepResult {
  /** Index of the step being computed (= completed updates so far). */
  step: number;
  batch: Batch;
  /** [T, V], or [B, T, V] when B > 1. */
  logits: Tensor;
  /** Captured hooks, with a leading B dimension when B > 1. */
  trace: Trace;
}

export interface LossStepResult {
  step: number;
  /** Mean cross-entropy over all B·T positions. */
  loss: number;
  /** −log p(target) per position: [T] or [B, T] (float64). */
  losses: Tensor;
  /** ∂L/∂logits = (softmax − onehot)/N, the start of the backward pass: [T, V] or [B, T, V]. */
  dlogits: Tensor;
}

export interface BackwardStepResult extends StageResult {
  step: number;
  /** The stage the next backwardStep() will run, or undefined when the backward pass is complete. */
  next: BackwardStage | undefined;
}

export interface UpdateStepResult {
  step: number;
  lr: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Factor the gradients were multiplied by (1: not clipped). */
  clipScale: number;
  /** before / grad / update / after (and AdamW m, v) of the inspected parameters. */
  updates: ParamUpdate[];
}

export interface StepSummary {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  clipScale: number;
  /** Tokens (B·T positions) trained on in this step. */
  tokens: number;
}

export interface TrainProgress extends StepSummary {
  /** Steps finished in this train() call, and how many were asked for. */
  done: number;
  total: number;
  /** Average over this train() call so far. */
  tokensPerSecond: number;
  elapsedMs: number;
}

export interface TrainOptions {
  onProgress?: (p: TrainProgress) => void;
  /** Checked between steps: an abort ends the run after the step in flight, with stoppedBy 'aborted'. */
  signal?: AbortSignal;
  /** Yield to the event loop at least this often so the page stays responsive and an abort can arrive (default 16). */
  yieldEveryMs?: number;
}

export interface TrainSummary {
  /** Steps completed in this call. */
  steps: number;
  stoppedBy: 'steps' | 'aborted';
  /** Loss of the last completed step (NaN if none). */
  lastLoss: number;
  elapsedMs: number;
  tokensPerSecond: number;
}

/** What the current step has computed so far. */
interface Pending {
  batch: Batch;
  runs: SequenceRun[];
  loss?: LossStepResult;
  backward?: ModelBackward;
}

export class Trainer implements ModelTrainer {
  readonly kind = 'cpu' as const;
  /** The CPU trainer can run a step one phase at a time. */
  readonly supportsStepping = true as const;
  readonly config: GPTConfig;
  /** The live parameters (updated in place). */
  readonly params: GPTParams;
  readonly optimizer: Optimizer;
  /** Completed steps (updates applied). */
  completedSteps = 0;
  /** One record per completed step, for a loss curve. */
  readonly history: StepSummary[] = [];
  readonly options: TrainerOptions;
  private pending: Pending | undefined;
  private running = false;

  constructor(config: GPTConfig, params: GPTParams, options: TrainerOptions) {
    this.config = validateConfig(config);
    this.params = params;
    validateSchedule(options.schedule);
    if (typeof options.data !== 'function') fail('bad-config', 'trainer options.data must be a function step → batch');
    const clip = options.clipNorm ?? Number.POSITIVE_INFINITY;
    if (!(clip > 0)) fail('bad-config', `clipNorm must be > 0, got ${clip}`);
    this.options = options;
    this.optimizer = new Optimizer(this.config, params, options.optimizer);
  }

  /** The phase the next stepped call should be. */
  get phase(): TrainerPhase {
    const p = this.pending;
    if (!p) return 'forward';
    if (!p.loss) return 'loss';
    if (!p.backward?.done) return 'backward';
    return 'update';
  }

  /** The learning rate the next update will use. */
  get lr(): number {
    return learningRate(this.completedSteps, this.options.schedule);
  }

  /** Start a step: run the batch (default: the data source's batch for this step) through the model. */
  forward(options: { batch?: Batch; capture?: CaptureSpec } = {}): ForwardStepResult {
    const { batch, runs } = this.start(options.batch, options.capture ?? this.options.capture ?? 'all');
    return {
      step: this.completedSteps,
      batch,
      logits: batched(runs.map((r) => r.logits)),
      trace: batchedTrace(runs.map((r) => r.trace)),
    };
  }

  loss(): LossStepResult {
    const p = this.expect('loss');
    const { loss, losses } = batchLoss(p.runs);
    if (!Number.isFinite(loss)) this.diverge(`the loss is ${loss}`);
    const T = losses[0].length;
    p.loss = {
      step: this.completedSteps,
      loss,
      losses: batched(losses.map((l) => tensor([T], l, 'float64'))),
      dlogits: batched(dLogits(p.runs)),
    };
    return p.loss;
  }

  /** Run the next backward stage (head first, embeddings last). */
  backwardStep(options: { capture?: CaptureSpec } = {}): BackwardStepResult {
    const p = this.expect('backward');
    if (!p.backward) {
      const d = p.loss as LossStepResult;
      const B = p.runs.length;
      const per = d.dlogits.data.length / B;
      const [T, V] = p.runs[0].logits.shape;
      const seqs = p.runs.map((r, b) => ({
        ids: r.ids,
        trace: r.trace,
        dlogits: { shape: [T, V], data: d.dlogits.data.subarray(b * per, (b + 1) * per) },
      }));
      p.backward = new ModelBackward(
        this.config,
        this.params,
        seqs,
        options.capture ?? this.options.gradCapture ?? 'all',
      );
    }
    const r = p.backward.step();
    return { ...r, step: this.completedSteps, next: p.backward.nextStage };
  }

  /** Run the remaining backward stages; returns the captured gradient trace. */
  backward(options: { capture?: CaptureSpec } = {}): Trace {
    const p = this.expect('backward');
    while (this.phase === 'backward') this.backwardStep(options);
    return (p.backward as ModelBackward).trace();
  }

  /** Clip, then apply the optimizer step. Undone (and an error thrown) if it would leave a non-finite weight. */
  update(options: { inspect?: InspectSpec } = {}): UpdateStepResult {
    const p = this.expect('update');
    const grads = (p.backward as ModelBackward).grads;
    const lr = this.lr;
    const clip = clipGradNorm(grads, this.options.clipNorm ?? Number.POSITIVE_INFINITY);
    if (!Number.isFinite(clip.norm)) this.diverge(`the gradient norm is ${clip.norm}`);
    const before = this.snapshot();
    const updates = this.optimizer.step(this.params, grads, lr, options.inspect ?? this.options.inspect ?? []);
    const bad = flattenParams(this.params).find(([, t]) => !t.data.every(Number.isFinite));
    if (bad) {
      this.rewind(before);
      this.diverge(`the update made ${bad[0]} non-finite (learning rate ${lr} too large?)`);
    }
    const loss = p.loss as LossStepResult;
    const tokens = p.runs.length * p.runs[0].ids.length;
    this.history.push({
      step: this.completedSteps,
      loss: loss.loss,
      lr,
      gradNorm: clip.norm,
      clipScale: clip.scale,
      tokens,
    });
    const result = { step: this.completedSteps, lr, gradNorm: clip.norm, clipScale: clip.scale, updates };
    this.completedSteps += 1;
    this.pending = undefined;
    return result;
  }

  /** One whole step (forward → loss → backward → update) capturing only what the backward needs. */
  runStep(options: { batch?: Batch } = {}): StepSummary {
    this.start(options.batch, []);
    this.loss();
    this.backward({ capture: [] });
    this.update({ inspect: [] });
    return this.history[this.history.length - 1];
  }

  /**
   * Train for n steps. Resolves with stoppedBy 'aborted' (not an error: stopping is a normal user action) when the
   * signal fires; rejects with 'training-diverged' on a non-finite loss, leaving the last good weights.
   */
  async train(n: number, options: TrainOptions = {}): Promise<TrainSummary> {
    if (this.running) fail('unsupported', 'this trainer is already running train()');
    this.running = true;
    this.pending = undefined;
    try {
      return await trainLoop(n, () => this.runStep(), options);
    } finally {
      this.running = false;
    }
  }

  /** A copy of the current parameters (ModelTrainer's API; `params` is the live tree). */
  async getParams(): Promise<GPTParams> {
    return cloneParams(this.config, this.params);
  }

  /** Copies of the parameters and optimizer state at this step. */
  async checkpoint(): Promise<TrainerCheckpoint> {
    const s = this.snapshot();
    return { step: this.completedSteps, params: s.params, optimizer: s.optimizer };
  }

  /**
   * Go on from `checkpoint` (this trainer's, or any trainer's on either engine): its weights are copied into the live
   * parameters (`params` stays the same tree), the optimizer takes its state or starts afresh without one, and the
   * next step is `checkpoint.step`. A half-done stepped step is dropped, and history records from that step on.
   */
  restore(checkpoint: TrainerCheckpoint): void {
    if (this.running) fail('unsupported', 'restore() called while train() is running; stop it first');
    checkCheckpoint(this.config, this.optimizer.config.kind, checkpoint);
    this.pending = undefined;
    this.rewind({ params: checkpoint.params, optimizer: checkpoint.optimizer ?? this.optimizer.fresh() });
    this.completedSteps = checkpoint.step;
    const keep = this.history.filter((h) => h.step < checkpoint.step);
    this.history.splice(0, this.history.length, ...keep);
  }

  /** Nothing to free: the CPU trainer holds only JavaScript arrays. */
  dispose(): void {}

  /** Forward the batch and make it the pending step (capturing what the backward needs, plus `capture`). */
  private start(given: Batch | undefined, capture: CaptureSpec): Pending {
    const batch = given ?? this.options.data(this.completedSteps);
    validateBatch(this.config, batch);
    this.pending = undefined;
    const runs = forwardBatch(this.config, this.params, batch, { capture, hooks: this.hookFor() });
    this.pending = { batch, runs };
    return this.pending;
  }

  private hookFor(): ((b: number) => Readonly<Record<string, HookFn>> | undefined) | undefined {
    const hooks = this.options.hooks;
    return hooks ? () => hooks : undefined;
  }

  private expect(phase: TrainerPhase): Pending {
    if (this.phase !== phase) {
      fail('unsupported', `${phase} step called out of order: the trainer expects ${this.phase} next`);
    }
    return this.pending as Pending;
  }

  private diverge(what: string): never {
    this.pending = undefined;
    throw new GlassboxError(
      'training-diverged',
      `training diverged at step ${this.completedSteps}: ${what}. The parameters are left as they were before this ` +
        'step (the last good ones); lower the learning rate or clip the gradients.',
    );
  }

  private snapshot(): { params: GPTParams; optimizer: OptimizerSnapshot } {
    return { params: cloneParams(this.config, this.params), optimizer: this.optimizer.snapshot() };
  }

  private rewind(s: { params: GPTParams; optimizer: OptimizerSnapshot }): void {
    const saved = flattenParams(s.params);
    flattenParams(this.params).forEach(([, t], i) => {
      t.data.set(saved[i][1].data);
    });
    this.optimizer.restore(s.optimizer);
  }
}

/** One tensor per sequence → the tensor itself for B = 1, else stacked [B, …]. */
function batched(ts: readonly Tensor[]): Tensor {
  return ts.length === 1 ? ts[0] : stack(ts);
}

function batchedTrace(traces: readonly Trace[]): Trace {
  const out: Trace = {};
  for (const name of Object.keys(traces[0])) out[name] = batched(traces.map((t) => t[name]));
  return out;
}
