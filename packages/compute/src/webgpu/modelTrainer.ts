import type { GPTConfig } from '../config';
import type { CaptureSpec, Trace } from '../engine';
import { fail, GlassboxError } from '../errors';
import type { GPTParams } from '../params';
import type { Batch } from '../train/batch';
import type { ModelTrainer, TrainerCheckpoint } from '../train/modelTrainer';
import { checkCheckpoint, trainLoop } from '../train/modelTrainer';
import { learningRate, validateSchedule } from '../train/schedule';
import type { StepSummary, TrainerOptions, TrainOptions, TrainSummary } from '../train/trainer';
import type { WebGpuEngine } from './engine';
import { WebGpuTrainer } from './trainer';

export interface WebGpuModelTrainerOptions {
  /**
   * Read the weights and optimizer state back every this many completed steps (default 0: not during training), so
   * a lost device costs at most this many steps. Each checkpoint reads 3× the parameters (AdamW) from the GPU.
   */
  checkpointEvery?: number;
  /** Take a checkpoint when train() returns or throws (default true), so its weights survive a later device loss. */
  checkpointOnTrainEnd?: boolean;
}

export interface GpuStepSummary extends StepSummary {
  /** The gradients asked for with `gradCapture` (see GpuStepOptions; empty by default). */
  grads: Trace;
}

/**
 * ModelTrainer on WebGPU: the CPU Trainer's options, data source, schedule, runStep() / train(n) / history and
 * divergence rules, with each step run by WebGpuTrainer (forward, loss, backward, clip and update in one command
 * submission and one readback). The weights stay on the GPU, in the engine's buffers, updated in place.
 *
 * What the CPU trainer has and this one has not:
 * - the stepped phases (forward / loss / backwardStep / update): splitting the step would mean a readback per phase
 *   and keeping every activation alive for the caller; they throw 'unsupported' (`supportsStepping` is false);
 * - training interventions (`options.hooks`): refused at construction. `capture`, `gradCapture` and `inspect` only
 *   configure the stepped phases and are ignored here; runStep({ gradCapture }) reads gradients back instead.
 *
 * Device loss: the weights on the GPU are gone, so the trainer keeps the newest CPU copy it read (`lastCheckpoint`:
 * the initial weights, every `checkpoint()` and `getParams()`, and the automatic checkpoints of
 * `checkpointEvery` / `checkpointOnTrainEnd`); `fallbackTrainerToCpu(trainer)` resumes from it on the CPU.
 */
export class WebGpuModelTrainer implements ModelTrainer {
  readonly kind = 'webgpu' as const;
  /** The WebGPU step is one submission: it cannot stop between phases. Use the CPU trainer to step through one. */
  readonly supportsStepping = false as const;
  readonly config: GPTConfig;
  readonly options: TrainerOptions & WebGpuModelTrainerOptions;
  /** The engine whose parameters this trainer updates (its `run` sees the model being trained). */
  readonly engine: WebGpuEngine;
  /** The low-level step (gradient and optimizer buffers). */
  readonly gpuTrainer: WebGpuTrainer;
  readonly history: StepSummary[] = [];
  private steps = 0;
  private last: TrainerCheckpoint;
  private busy = false;
  private running = false;
  private readonly ownsEngine: boolean;

  constructor(
    engine: WebGpuEngine,
    options: TrainerOptions & WebGpuModelTrainerOptions,
    { ownsEngine = false }: { ownsEngine?: boolean } = {},
  ) {
    validateSchedule(options.schedule);
    if (typeof options.data !== 'function') fail('bad-config', 'trainer options.data must be a function step → batch');
    if (options.hooks) {
      fail(
        'unsupported',
        'training interventions (options.hooks) run on the CPU trainer only: the WebGPU step has no hook points',
      );
    }
    const every = options.checkpointEvery ?? 0;
    if (!Number.isInteger(every) || every < 0) {
      fail('bad-config', `checkpointEvery must be an integer >= 0, got ${every}`);
    }
    this.engine = engine;
    this.config = engine.config;
    this.options = options;
    this.gpuTrainer = new WebGpuTrainer(engine, { optimizer: options.optimizer, clipNorm: options.clipNorm });
    this.ownsEngine = ownsEngine;
    this.last = { step: 0, params: engine.lastParams };
  }

  get completedSteps(): number {
    return this.steps;
  }

  /** The learning rate the next update will use. */
  get lr(): number {
    return learningRate(this.steps, this.options.schedule);
  }

  /** The newest CPU copy of the weights (and, from a checkpoint, the optimizer state): what survives a lost device. */
  get lastCheckpoint(): TrainerCheckpoint {
    return this.last;
  }

  /**
   * One whole step on the GPU. `gradCapture` reads gradients back in the same transfer (`grad.params.<name>` before
   * clipping, `grad.<hook>`); by default only the loss, norm and clip factor come back.
   */
  async runStep({ batch, gradCapture }: { batch?: Batch; gradCapture?: CaptureSpec } = {}): Promise<GpuStepSummary> {
    this.claim('runStep()');
    try {
      const step = this.steps;
      const b = batch ?? this.options.data(step);
      const lr = this.lr;
      const r = await this.gpuTrainer.step(b, { lr, gradCapture });
      const summary: StepSummary = {
        step,
        loss: r.loss,
        lr,
        gradNorm: r.gradNorm,
        clipScale: r.clipScale,
        tokens: b.inputs.length * b.inputs[0].length,
      };
      this.history.push(summary);
      this.steps += 1;
      const every = this.options.checkpointEvery ?? 0;
      if (every > 0 && this.steps % every === 0) await this.readCheckpoint();
      return { ...summary, grads: r.grads };
    } finally {
      this.busy = false;
    }
  }

  async train(n: number, options: TrainOptions = {}): Promise<TrainSummary> {
    if (this.running) fail('unsupported', 'this trainer is already running train()');
    this.running = true;
    try {
      return await trainLoop(n, () => this.runStep(), options);
    } finally {
      this.running = false;
      if ((this.options.checkpointOnTrainEnd ?? true) && this.last.step !== this.steps && !this.engine.context.lost) {
        // A device lost meanwhile leaves the previous checkpoint standing; any other failure is reported.
        await this.readCheckpoint().catch((e: unknown) => {
          if (!(e instanceof GlassboxError && e.code === 'device-lost')) throw e;
        });
      }
    }
  }

  /** The current weights, read back in one transfer; they also become `lastCheckpoint` (without optimizer state). */
  async getParams(): Promise<GPTParams> {
    this.claim('getParams()');
    try {
      const params = await this.engine.getParams();
      if (this.last.step !== this.steps) this.last = { step: this.steps, params };
      return params;
    } finally {
      this.busy = false;
    }
  }

  /** Weights and optimizer state in one readback; it becomes `lastCheckpoint`. */
  async checkpoint(): Promise<TrainerCheckpoint> {
    this.claim('checkpoint()');
    try {
      return await this.readCheckpoint();
    } finally {
      this.busy = false;
    }
  }

  /**
   * Go on from `checkpoint` (a CPU Trainer's, or any WebGPU trainer's): its weights and optimizer state (or zeroed
   * moments and t = 0 without one) are uploaded in one submission, and the next step is `checkpoint.step`, with that
   * step's batch and learning rate. History records from that step on are dropped. It becomes `lastCheckpoint`
   * (keep it unchanged: it is what a lost device falls back to).
   */
  async restore(checkpoint: TrainerCheckpoint): Promise<void> {
    if (this.running) fail('unsupported', 'restore() called while train() is running; stop it first');
    checkCheckpoint(this.config, this.gpuTrainer.optimizer.kind, checkpoint);
    this.claim('restore()');
    try {
      await this.gpuTrainer.writeState(checkpoint.params, checkpoint.optimizer);
      this.steps = checkpoint.step;
      const keep = this.history.filter((h) => h.step < checkpoint.step);
      this.history.splice(0, this.history.length, ...keep);
      this.last = { ...checkpoint };
      this.engine.noteParams(checkpoint.params);
    } finally {
      this.busy = false;
    }
  }

  /** Free the gradient and optimizer buffers (and the engine, when this trainer created it). */
  dispose(): void {
    this.gpuTrainer.dispose();
    if (this.ownsEngine) this.engine.dispose();
  }

  forward(): never {
    return notStepped('forward()');
  }

  loss(): never {
    return notStepped('loss()');
  }

  backwardStep(): never {
    return notStepped('backwardStep()');
  }

  backward(): never {
    return notStepped('backward()');
  }

  update(): never {
    return notStepped('update()');
  }

  private async readCheckpoint(): Promise<TrainerCheckpoint> {
    const { params, optimizer } = await this.gpuTrainer.readState();
    this.last = { step: this.steps, params, optimizer };
    this.engine.noteParams(params);
    return this.last;
  }

  /** One GPU operation at a time: a readback between a step's submission and its end would mix two steps. */
  private claim(what: string): void {
    if (this.busy) fail('unsupported', `${what} called while a WebGPU training step is in flight; await it first`);
    this.busy = true;
  }
}

function notStepped(what: string): never {
  return fail(
    'unsupported',
    `${what}: the WebGPU trainer runs a training step as one GPU submission, so it cannot stop between phases ` +
      '(supportsStepping is false). Use runStep() / train(n), or a CPU trainer to step through forward, loss, ' +
      'backward and update.',
  );
}
