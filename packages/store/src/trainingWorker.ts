import type {
  Batch,
  BatchSource,
  GPTConfig,
  GPTParams,
  OptimizerSnapshot,
  Tensor,
  TrainerOptions,
  WebGpuModelTrainer,
} from '@glassbox/compute';
import {
  argmax,
  cloneParams,
  countParams,
  crossEntropy,
  fallbackTrainerToCpu,
  flattenParams,
  forward,
  GlassboxError,
  initParams,
  loadCheckpoint,
  ops,
  paramSpecs,
  randomWindows,
  row,
  saveCheckpoint,
  Trainer,
  wholeSequence,
} from '@glassbox/compute';
import type { LoadedModel } from '@glassbox/models';
import {
  loadShippedModel,
  SHIPPED_MODELS,
  TOY_WORLD_CONFIG,
  TOY_WORLD_TEXT,
  toyWorldTokenizer,
} from '@glassbox/models';
import type { Tokenizer } from '@glassbox/tokenizers';
import { tokenizerFromJSON } from '@glassbox/tokenizers';
import type { EnginePreference } from './engineChoice';
import type { GpuSource } from './trainingGpu';
import { browserGpuSource, isGpuTrouble, TrainingGpu } from './trainingGpu';
import {
  defaultSettings,
  describeOptimizer,
  describeSchedule,
  MAX_RUN_STEPS,
  optimizerConfig,
  presetSchedule,
  settingsErrors,
} from './trainingPresets';
import type {
  Prediction,
  RunInfo,
  SavedRun,
  Snapshot,
  StepRecord,
  TrainingEngine,
  TrainingRequest,
  TrainingResponse,
  TrainingSettings,
  ValRecord,
} from './trainingProtocol';

/**
 * The engine side of the training lab: owns the model, the Trainer and the data, answers TrainingRequests with
 * TrainingResponses. No DOM: the app's Web Worker is a three-line adapter around it (post = self.postMessage), and
 * tests drive it directly in Node.
 *
 * Running is a loop of runStep() that yields to the event loop (so pause/cancel messages arrive), posts progress
 * every 100 ms, measures the validation loss when it costs little, and keeps a "last good" copy of the weights. When
 * a step diverges the trainer leaves the weights as they were before that step; those can already be ruined (finite
 * but huge, after a few steps at an absurd learning rate), so the loop goes back to the last copy whose loss was
 * still close to the best of the run.
 *
 * Runs train on WebGPU when the worker has a device and the model fits it (trainingGpu.ts), else on the CPU Trainer.
 * The CPU Trainer stays the home of the stepped phases and of everything drawn or saved: during a WebGPU run the
 * weights (and optimizer moments) are read back into it whenever a snapshot is due and when the run stops, so it is
 * an exact copy then. Going the other way (weights the CPU changed: a stepped update, a new learning rate, restored
 * good weights) the GPU trainer is made afresh and restored from the CPU trainer's checkpoint: weights, optimizer
 * moments and step, so the run goes on as if it had stayed on one engine. A lost device
 * (or a limit the model hits) moves the run to the CPU through compute's fallbackTrainerToCpu, at the last weights
 * read back, and the steps after them are run again.
 */

export type Post = (msg: TrainingResponse, transfer: ArrayBuffer[]) => void;

export interface WorkerDeps {
  loadModel(name: string): Promise<Pick<LoadedModel, 'config' | 'params' | 'tokenizer'>>;
  now(): number;
  sleep(ms: number): Promise<void>;
  /** WebGPU for runs: `navigator.gpu` by default (a dedicated worker has it in Chromium); tests pass Dawn's. */
  gpu: GpuSource;
}

const defaultDeps: WorkerDeps = {
  loadModel: (name) => loadShippedModel(name),
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  gpu: browserGpuSource,
};

const CLIP_NORM = 1;
/** Models up to this many parameters report every parameter's update in the stepped view. */
const INSPECT_ALL_MAX = 50_000;
const PROGRESS_MS = 100;
const SNAPSHOT_MS = 250;
const GOOD_EVERY = 25;
/** Greedy continuation length for models without an end token in sight. */
const PREDICT_TOKENS = 24;

interface Dataset {
  train: BatchSource;
  /** Sequences the validation loss averages over (each its own forward; lengths may differ). */
  val: Batch[];
  trainTokens: number;
  valTokens: number;
  validation: string;
  batchSize: number;
  blockSize: number;
  notes: string[];
}

interface Model {
  config: GPTConfig;
  params: GPTParams;
  tokenizer: Tokenizer;
  title: string;
  description: string;
}

interface Good {
  params: GPTParams;
  optimizer: OptimizerSnapshot;
  step: number;
  loss: number | null;
}

interface ActiveRun {
  total: number;
  done: number;
  pace: number;
  stop: 'paused' | 'cancelled' | null;
  /** Stopped to be continued at once (a new learning rate): no 'run-ended' message. */
  silent: boolean;
  finished: Promise<void>;
}

/** A user-facing error (bad text, bad settings): posted as its message. */
class LabError extends Error {}

export class TrainingWorkerCore {
  private model: Model | null = null;
  private trainer: Trainer | null = null;
  private settings: TrainingSettings | null = null;
  private data: Dataset | null = null;
  private info: RunInfo | null = null;
  private inspect = 'blocks.0.attn.W_Q';
  private records: StepRecord[] = [];
  private valHistory: ValRecord[] = [];
  private run: ActiveRun | null = null;
  private paused: { total: number; done: number; pace: number } | null = null;
  private good: Good | null = null;
  /** The stepped step's batch and loss (for "loss before / after the update"). */
  private stepBatch: Batch | null = null;
  private stepLogits: Tensor | null = null;
  private stepLoss = Number.NaN;
  private readonly deps: WorkerDeps;
  private readonly gpu: TrainingGpu;
  private prefer: EnginePreference = 'auto';
  /** Counts changes the CPU trainer made to its weights or optimizer: a GPU trainer made earlier no longer matches. */
  private generation = 0;
  /** A run is training on the GPU right now (its loop reports a lost device itself). */
  private gpuRunning = false;
  private lossAnnounced = false;

  constructor(
    private readonly post: Post,
    deps: Partial<WorkerDeps> = {},
  ) {
    this.deps = { ...defaultDeps, ...deps };
    this.gpu = new TrainingGpu(this.deps.gpu, (why) => {
      // A loss while no run uses the GPU: say so now (a run's loop says so when its next step fails).
      if (!this.gpuRunning && this.model) this.announceLoss(`The WebGPU device was lost (${why}).`);
    });
  }

  /** Handle one request. Never throws: failures are posted as { type: 'error' } or 'diverged'. */
  async handle(req: TrainingRequest): Promise<void> {
    try {
      switch (req.type) {
        case 'init':
          await this.stopRun('cancelled');
          if (req.engine) this.prefer = req.engine;
          await this.init(req.settings, req.saved);
          return;
        case 'set-engine':
          await this.setEngine(req.prefer);
          return;
        case 'lose-device':
          this.gpu.loseDevice();
          return;
        case 'configure':
          await this.configure(req.lr, req.optimizer);
          return;
        case 'phase':
          this.phase();
          return;
        case 'run':
          this.startRun(req.steps, req.pace);
          return;
        case 'pause':
          await this.stopRun('paused');
          return;
        case 'resume':
          if (this.paused && !this.run) {
            const p = this.paused;
            this.paused = null;
            this.loop(p.total, p.done, p.pace);
          }
          return;
        case 'cancel':
          if (this.run) await this.stopRun('cancelled');
          else if (this.paused) {
            const p = this.paused;
            this.paused = null;
            this.post(
              {
                type: 'run-ended',
                reason: 'cancelled',
                done: p.done,
                total: p.total,
                phase: this.trainerOrFail().phase,
                snapshot: this.snapshot(),
              },
              [],
            );
          }
          return;
        case 'inspect':
          this.inspect = req.param;
          return;
        case 'set-prompt':
          if (this.settings) this.settings = { ...this.settings, prompt: req.prompt };
          this.post({ type: 'prediction', prediction: this.predict() }, []);
          return;
        case 'checkpoint': {
          const run = this.checkpoint();
          this.post({ type: 'checkpoint', reason: req.reason, run }, [run.safetensors.buffer as ArrayBuffer]);
          return;
        }
      }
    } catch (e) {
      this.post({ type: 'error', message: e instanceof Error ? e.message : String(e) }, []);
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // Setting up a run.

  private async init(settings: TrainingSettings, saved?: SavedRun): Promise<void> {
    const errors = Object.values(settingsErrors(settings));
    if (errors.length > 0) throw new LabError(`The settings are not valid: ${errors.join('; ')}.`);
    const model = saved ? this.fromSaved(saved) : await this.freshModel(settings);
    const data = makeDataset(settings, model);
    this.model = model;
    this.settings = settings;
    this.data = data;
    this.trainer = this.makeTrainer(settings, model, data);
    this.generation += 1;
    await this.gpu.setModel(model.config, model.params);
    this.records = saved ? saved.history.slice() : [];
    this.valHistory = saved ? saved.valHistory.slice() : [];
    this.trainer.completedSteps = saved ? saved.step : 0;
    this.paused = null;
    this.good = null;
    this.stepBatch = null;
    this.info = this.describe(settings, model, data);
    if (!this.info.paramNames.includes(this.inspect)) this.inspect = this.info.matrixNames[0];
    if (
      this.valHistory.length === 0 ||
      this.valHistory[this.valHistory.length - 1].step !== this.trainer.completedSteps
    ) {
      this.valHistory.push({ step: this.trainer.completedSteps, loss: this.valLoss() });
    }
    this.post(
      {
        type: 'ready',
        info: this.info,
        step: this.trainer.completedSteps,
        history: this.records,
        valHistory: this.valHistory,
        phase: this.trainer.phase,
        snapshot: this.snapshot(),
        restored: saved !== undefined,
      },
      [],
    );
    this.post({ type: 'engine', engine: this.engineStatus() }, []);
  }

  private async freshModel(settings: TrainingSettings): Promise<Model> {
    if (settings.preset === 'toy-world') {
      return {
        config: TOY_WORLD_CONFIG,
        params: initParams(TOY_WORLD_CONFIG, { seed: settings.seed }),
        tokenizer: toyWorldTokenizer,
        title: 'Toy world from scratch',
        description:
          `A 1-layer, 1-head, 4-dimensional GPT, initialised with seed ${settings.seed}, learning the toy world's ` +
          `one text: "${TOY_WORLD_TEXT}".`,
      };
    }
    const info = SHIPPED_MODELS.find((m) => m.name === settings.baseModel);
    if (!info) throw new LabError(`There is no shipped model called "${settings.baseModel}".`);
    const loaded = await this.deps.loadModel(settings.baseModel);
    return {
      config: loaded.config,
      params: loaded.params,
      tokenizer: loaded.tokenizer,
      title: `Fine-tuning ${info.title}`,
      description: 'Starts from the shipped weights and trains on your text.',
    };
  }

  private fromSaved(saved: SavedRun): Model {
    const ckpt = loadCheckpoint(saved.safetensors, saved.configJson);
    const tokenizer = tokenizerFromJSON(JSON.parse(saved.tokenizerJson));
    const s = saved.settings;
    const base = SHIPPED_MODELS.find((m) => m.name === s.baseModel)?.title ?? s.baseModel;
    return {
      config: ckpt.config,
      params: ckpt.params,
      tokenizer,
      title: s.preset === 'toy-world' ? 'Toy world from scratch' : `Fine-tuning ${base}`,
      description: `Weights restored from this browser's storage, after ${saved.step} training steps.`,
    };
  }

  private trainerOptions(settings: TrainingSettings, data: Dataset): TrainerOptions {
    return {
      data: data.train,
      optimizer: optimizerConfig(settings.optimizer),
      schedule: presetSchedule(settings.preset, settings.lr),
      clipNorm: CLIP_NORM,
    };
  }

  private makeTrainer(settings: TrainingSettings, model: Model, data: Dataset): Trainer {
    return new Trainer(model.config, model.params, this.trainerOptions(settings, data));
  }

  // ------------------------------------------------------------------------------------------------------------
  // The engine that runs "Run N steps".

  private engineStatus(): TrainingEngine {
    const { gpu, prefer } = this;
    if (prefer === 'auto' && gpu.usable) {
      const on = gpu.adapterName;
      return {
        kind: 'webgpu',
        reason: `Training runs on WebGPU${on ? ` (${on})` : ''}, in a Web Worker.`,
        webgpuAvailable: true,
        prefer,
      };
    }
    const why = prefer === 'cpu' ? 'the CPU engine was asked for' : gpu.whyNot;
    return {
      kind: 'cpu',
      reason: `Training runs on the CPU, in a Web Worker: ${why}.`,
      webgpuAvailable: gpu.available,
      prefer,
    };
  }

  private async setEngine(prefer: EnginePreference): Promise<void> {
    const wasRunning = this.run !== null;
    if (prefer !== this.prefer && wasRunning) await this.stopRun('paused', false);
    this.prefer = prefer;
    this.post({ type: 'engine', engine: this.engineStatus() }, []);
    if (wasRunning && this.paused) {
      const p = this.paused;
      this.paused = null;
      this.loop(p.total, p.done, p.pace);
    }
  }

  private announceLoss(notice: string, rewind?: number): void {
    const first = !this.lossAnnounced;
    this.lossAnnounced = true;
    this.post(
      {
        type: 'engine',
        engine: this.engineStatus(),
        notice: first ? notice : undefined,
        rewind,
      },
      [],
    );
  }

  /** Copy weights (and optimizer state) into the CPU trainer, in place: it is then at `step`. */
  private adopt(params: GPTParams, optimizer: OptimizerSnapshot | undefined, step: number): void {
    const trainer = this.trainerOrFail();
    const from = flattenParams(params);
    flattenParams(trainer.params).forEach(([, t], i) => {
      t.data.set(from[i][1].data);
    });
    if (optimizer) trainer.optimizer.restore(optimizer);
    trainer.completedSteps = step;
  }

  /** Read the GPU trainer's weights and optimizer state back into the CPU trainer. */
  private async mirror(gpu: WebGpuModelTrainer): Promise<void> {
    const ckpt = await gpu.checkpoint();
    this.adopt(ckpt.params, ckpt.optimizer, ckpt.step);
  }

  /**
   * The GPU failed under a run (device lost, a limit): go on on the CPU from the last weights read back
   * (compute's fallbackTrainerToCpu), drop the steps after them from the records (they run again) and say so.
   */
  private async leaveGpu(gpu: WebGpuModelTrainer | null, e: GlassboxError, run: ActiveRun): Promise<void> {
    let resumeAt = this.trainerOrFail().completedSteps;
    let state = 'weights';
    let lost = 0;
    if (gpu) {
      const fb = await fallbackTrainerToCpu(gpu);
      resumeAt = fb.trainer.completedSteps;
      state = fb.reason.includes('optimizer state') ? 'weights and optimizer state' : 'weights';
      this.adopt(fb.trainer.params, fb.trainer.optimizer.snapshot(), resumeAt);
      lost = this.records.filter((r) => r.step >= resumeAt).length;
      this.records = this.records.filter((r) => r.step < resumeAt);
      this.valHistory = this.valHistory.filter((v) => v.step <= resumeAt);
      run.done = Math.max(0, run.done - lost);
      if (this.good && this.good.step > resumeAt) this.good = null;
    }
    this.gpu.abandon(e);
    this.generation += 1;
    const what =
      e.code === 'device-lost'
        ? `The WebGPU device was lost during training (${this.gpu.lostReason ?? e.message})`
        : `WebGPU could not train this model (${e.message.replace(/[.\s]+$/, '')})`;
    this.announceLoss(
      `${what}. Training continues on the CPU from step ${resumeAt}, with the ${state} read back from the GPU ` +
        `then${lost > 0 ? `; the ${lost} step${lost === 1 ? '' : 's'} after it are run again` : ''}.`,
      lost > 0 ? resumeAt : undefined,
    );
    if (e.code !== 'device-lost') this.lossAnnounced = false;
  }

  private describe(settings: TrainingSettings, model: Model, data: Dataset): RunInfo {
    const specs = paramSpecs(model.config);
    const vocab: string[] = [];
    for (let id = 0; id < model.config.vocab_size; id++) {
      try {
        vocab.push(id < model.tokenizer.vocabSize ? model.tokenizer.idToToken(id) : `#${id}`);
      } catch {
        vocab.push(`#${id}`);
      }
    }
    const paramCount = countParams(model.config).total;
    return {
      preset: settings.preset,
      title: model.title,
      description: model.description,
      config: model.config,
      paramCount,
      vocab,
      tokenizerKind: model.tokenizer.kind,
      trainTokens: data.trainTokens,
      valTokens: data.valTokens,
      validation: data.validation,
      batchSize: data.batchSize,
      blockSize: data.blockSize,
      schedule: describeSchedule(settings.preset, settings.lr),
      optimizer: describeOptimizer(settings.optimizer),
      clipNorm: CLIP_NORM,
      prompt: settings.prompt,
      paramNames: specs.map((s) => s.name),
      matrixNames: specs.filter((s) => s.shape.length === 2).map((s) => s.name),
      inspectAll: paramCount <= INSPECT_ALL_MAX,
      notes: data.notes,
    };
  }

  /** New learning rate / optimizer for the current weights. AdamW's moments are kept when the optimizer stays. */
  private async configure(lr: number, optimizer: TrainingSettings['optimizer']): Promise<void> {
    const { model, data } = this;
    const old = this.trainerOrFail();
    const settings = { ...(this.settings as TrainingSettings), lr, optimizer };
    const errors = settingsErrors(settings);
    if (errors.lr || errors.optimizer) throw new LabError(`Cannot apply: ${errors.lr ?? errors.optimizer}.`);
    const wasRunning = this.run !== null;
    if (wasRunning) await this.stopRun('paused', false);
    const trainer = this.makeTrainer(settings, model as Model, data as Dataset);
    if (optimizer === (this.settings as TrainingSettings).optimizer)
      trainer.optimizer.restore(old.optimizer.snapshot());
    trainer.completedSteps = old.completedSteps;
    this.trainer = trainer;
    this.generation += 1;
    this.settings = settings;
    this.stepBatch = null;
    this.info = { ...(this.info as RunInfo), ...this.describe(settings, model as Model, data as Dataset) };
    this.post({ type: 'configured', info: this.info, snapshot: this.snapshot() }, []);
    if (wasRunning && this.paused) {
      const p = this.paused;
      this.paused = null;
      this.loop(p.total, p.done, p.pace);
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // One step, phase by phase.

  private phase(): void {
    const trainer = this.trainerOrFail();
    if (this.run) throw new LabError('Pause the run before stepping through a training step.');
    const phaseBefore = trainer.phase;
    try {
      switch (phaseBefore) {
        case 'forward': {
          const r = trainer.forward();
          this.stepBatch = r.batch;
          this.stepLogits = r.logits;
          const inputs = r.batch.inputs.map((x) => x.slice());
          const targets = r.batch.targets.map((y) => y.slice());
          this.post(
            {
              type: 'phase',
              phase: trainer.phase,
              result: { kind: 'forward', step: r.step, inputs, targets, trace: r.trace },
            },
            [],
          );
          return;
        }
        case 'loss': {
          const r = trainer.loss();
          this.stepLoss = r.loss;
          const B = (this.stepBatch as Batch).inputs.length;
          const withB = (t: Tensor): Tensor => (B === 1 ? { shape: [1, ...t.shape], data: t.data } : t);
          const dlogits = withB(r.dlogits);
          const T = dlogits.shape[1];
          const probs = withB(ops.softmax(this.stepLogits as Tensor));
          this.post(
            {
              type: 'phase',
              phase: trainer.phase,
              result: {
                kind: 'loss',
                step: r.step,
                loss: r.loss,
                losses: withB(r.losses),
                probs,
                dlogits,
                N: B * T,
              },
            },
            [probs.data.buffer as ArrayBuffer],
          );
          return;
        }
        case 'backward': {
          const r = trainer.backwardStep();
          this.post(
            {
              type: 'phase',
              phase: trainer.phase,
              result: { kind: 'backward', step: r.step, stage: r.stage, grads: r.grads, next: r.next },
            },
            [],
          );
          return;
        }
        case 'update': {
          const info = this.info as RunInfo;
          const r = trainer.update({ inspect: info.inspectAll ? 'all' : [this.inspect] });
          this.generation += 1;
          const summary = trainer.history[trainer.history.length - 1];
          const record = toRecord(summary);
          this.records.push(record);
          const lossAfter = this.stepBatch ? meanLoss(trainer.config, trainer.params, [this.stepBatch]) : Number.NaN;
          const optimizer = (this.settings as TrainingSettings).optimizer;
          const hyper: Record<string, number> = { ...trainer.optimizer.config } as unknown as Record<string, number>;
          delete (hyper as Record<string, unknown>).kind;
          hyper.t = trainer.optimizer.t;
          const transfer: ArrayBuffer[] = [];
          for (const u of r.updates) {
            for (const t of [u.before, u.grad, u.update, u.after, u.m, u.v])
              if (t) transfer.push(t.data.buffer as ArrayBuffer);
          }
          const val = { step: trainer.completedSteps, loss: this.valLoss() };
          this.valHistory.push(val);
          const snapshot = this.snapshot();
          transfer.push(snapshot.embedding.data.buffer as ArrayBuffer);
          this.post(
            {
              type: 'phase',
              phase: trainer.phase,
              record,
              val,
              snapshot,
              result: {
                kind: 'update',
                step: r.step,
                lr: r.lr,
                gradNorm: r.gradNorm,
                clipScale: r.clipScale,
                clipNorm: CLIP_NORM,
                optimizer,
                hyper,
                updates: r.updates,
                lossBefore: this.stepLoss,
                lossAfter,
              },
            },
            transfer,
          );
          this.stepBatch = null;
          return;
        }
      }
    } catch (e) {
      if (e instanceof GlassboxError && e.code === 'training-diverged') {
        this.postDiverged(e.message, trainer.completedSteps, null);
        return;
      }
      throw e;
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // Running.

  private startRun(steps: number, pace: number): void {
    this.trainerOrFail();
    if (this.run) throw new LabError('A run is already going: pause or cancel it first.');
    if (!(Number.isInteger(steps) && steps >= 1 && steps <= MAX_RUN_STEPS)) {
      throw new LabError(`The number of steps must be a whole number from 1 to ${MAX_RUN_STEPS}.`);
    }
    if (!(Number.isFinite(pace) && pace >= 0))
      throw new LabError('The pace must be 0 (full speed) or steps per second.');
    this.paused = null;
    this.stepBatch = null;
    this.loop(steps, 0, pace);
  }

  /** Ask the loop to stop after the step in flight and wait until it has. */
  private async stopRun(how: 'paused' | 'cancelled', announce = true): Promise<void> {
    const run = this.run;
    if (!run) return;
    run.stop = how;
    run.silent = !announce;
    await run.finished;
  }

  private loop(total: number, done0: number, pace: number): void {
    this.trainerOrFail();
    const { now, sleep } = this.deps;
    let resolveFinished = () => {};
    const run: ActiveRun = {
      total,
      done: done0,
      pace,
      stop: null,
      silent: false,
      finished: new Promise<void>((r) => {
        resolveFinished = r;
      }),
    };
    this.run = run;
    let buffer: StepRecord[] = [];
    let vals: ValRecord[] = [];
    let computeMs = 0;
    let tokens = 0;
    let lastFlush = now();
    let lastSnapshot = 0;
    let lastYield = now();
    let valCost = 0;
    let lastVal = now();
    let best = Number.POSITIVE_INFINITY;
    let candidate: Good | null = null;
    this.good = null;

    const flush = (withSnapshot: boolean) => {
      const snapshot = withSnapshot ? this.snapshot() : undefined;
      this.post(
        {
          type: 'progress',
          records: buffer,
          val: vals,
          tokensPerSecond: computeMs > 0 ? (tokens * 1000) / computeMs : 0,
          done: run.done,
          total: run.total,
          snapshot,
        },
        snapshot ? [snapshot.embedding.data.buffer as ArrayBuffer] : [],
      );
      buffer = [];
      vals = [];
      lastFlush = now();
      if (snapshot) lastSnapshot = lastFlush;
    };

    /** The GPU trainer for this run, or null for the CPU (no WebGPU, the CPU asked for, or it failed to start). */
    const startGpu = async (): Promise<WebGpuModelTrainer | null> => {
      if (this.prefer !== 'auto' || !this.gpu.usable) return null;
      const trainer = this.trainerOrFail();
      try {
        const gpu = await this.gpu.trainerFor(
          trainer,
          this.trainerOptions(this.settings as TrainingSettings, this.data as Dataset),
          this.generation,
        );
        // A half-done stepped step would be stale after the GPU's steps: drop it (the CPU's runStep does the same).
        await trainer.train(0);
        this.gpuRunning = true;
        return gpu;
      } catch (e) {
        if (!isGpuTrouble(e)) throw e;
        await this.leaveGpu(null, e, run);
        return null;
      }
    };

    const body = async () => {
      let gpu = await startGpu();
      while (run.done < run.total && run.stop === null) {
        const t0 = now();
        const trainer = this.trainerOrFail();
        try {
          const at = gpu ? gpu.completedSteps : trainer.completedSteps;
          if (run.done === done0 || at % GOOD_EVERY === 0) {
            if (gpu) {
              const ckpt = await gpu.checkpoint();
              candidate = { params: ckpt.params, optimizer: ckpt.optimizer as OptimizerSnapshot, step: at, loss: null };
            } else {
              candidate = {
                params: cloneParams(trainer.config, trainer.params),
                optimizer: trainer.optimizer.snapshot(),
                step: at,
                loss: null,
              };
            }
          }
          const summary = gpu ? await gpu.runStep() : trainer.runStep();
          if (!gpu) this.generation += 1;
          computeMs += now() - t0;
          tokens += summary.tokens;
          run.done += 1;
          const record = toRecord(summary);
          this.records.push(record);
          buffer.push(record);
          if (Number.isFinite(record.loss)) best = Math.min(best, record.loss);
          const c = candidate as Good | null;
          if (c && c.step === record.step && Number.isFinite(record.loss) && record.loss <= 1.5 * best + 0.05) {
            c.loss = record.loss;
            this.good = c;
            candidate = null;
          }
          const last = run.done === run.total;
          const t = now();
          const snapshotDue = t - lastSnapshot >= (pace > 0 ? PROGRESS_MS : SNAPSHOT_MS);
          const flushDue = last || t - lastFlush >= PROGRESS_MS;
          // On WebGPU the CPU copy (predictions, validation, saves) is read back when a snapshot is due.
          let current = !gpu;
          if (gpu && (last || (flushDue && snapshotDue))) {
            await this.mirror(gpu);
            current = true;
          }
          // Validation when it is cheap: at most a sixth of the time goes to it.
          const steps = gpu ? gpu.completedSteps : trainer.completedSteps;
          if (current && (last || ((gpu || steps % 10 === 0) && now() - lastVal >= 5 * valCost))) {
            const v0 = now();
            const v = { step: steps, loss: this.valLoss() };
            valCost = now() - v0;
            lastVal = now();
            vals.push(v);
            this.valHistory.push(v);
          }
          if (flushDue) flush(current && (last || snapshotDue));
        } catch (thrown) {
          const e = gpu ? await this.gpu.explain(thrown) : thrown;
          if (e instanceof GlassboxError && e.code === 'training-diverged') {
            if (gpu) {
              // The GPU left the weights of before the failed step; the CPU trainer takes them (or the last good).
              await this.mirror(gpu);
              this.gpu.dropTrainer();
              this.gpuRunning = false;
            }
            if (buffer.length > 0 || vals.length > 0) flush(false);
            this.postDiverged(e.message, this.trainerOrFail().completedSteps, run);
            return;
          }
          if (gpu && isGpuTrouble(e)) {
            if (buffer.length > 0 || vals.length > 0) flush(false);
            await this.leaveGpu(gpu, e, run);
            gpu = null;
            this.gpuRunning = false;
            candidate = null;
            continue;
          }
          throw e;
        }
        if (pace > 0) {
          await sleep(Math.max(0, 1000 / pace - (now() - t0)));
          lastYield = now();
        } else if (now() - lastYield >= 16) {
          await sleep(0);
          lastYield = now();
        }
      }
      if (gpu) {
        try {
          await this.mirror(gpu);
        } catch (thrown) {
          const e = await this.gpu.explain(thrown);
          if (!isGpuTrouble(e)) throw e;
          await this.leaveGpu(gpu, e, run);
          gpu = null;
        }
      }
      this.gpuRunning = false;
      const trainer = this.trainerOrFail();
      if (buffer.length > 0 || vals.length > 0) flush(true);
      const reason = run.stop ?? 'steps';
      if (reason === 'paused') this.paused = { total: run.total, done: run.done, pace: run.pace };
      if (!run.silent) {
        this.post(
          {
            type: 'run-ended',
            reason,
            done: run.done,
            total: run.total,
            phase: trainer.phase,
            snapshot: this.snapshot(),
          },
          [],
        );
      }
    };
    body()
      .catch((e) => this.post({ type: 'error', message: e instanceof Error ? e.message : String(e) }, []))
      .finally(() => {
        this.gpuRunning = false;
        this.run = null;
        resolveFinished();
      });
  }

  /**
   * After a diverged step: go back to the last good weights when the Trainer's own restore (the weights before the
   * failed step) is later than them, and tell the student what happened.
   */
  private postDiverged(trainerMessage: string, failedStep: number, run: ActiveRun | null): void {
    const trainer = this.trainerOrFail();
    const good = this.good;
    let restoredStep = trainer.completedSteps;
    let restoredLoss: number | null = null;
    let undone: StepRecord[] = [];
    if (good && good.step < trainer.completedSteps) {
      flattenParams(trainer.params).forEach(([, t], i) => {
        t.data.set(flattenParams(good.params)[i][1].data);
      });
      trainer.optimizer.restore(good.optimizer);
      trainer.completedSteps = good.step;
      restoredStep = good.step;
      restoredLoss = good.loss;
      undone = this.records.filter((r) => r.step >= good.step);
      this.records = this.records.filter((r) => r.step < good.step);
      this.valHistory = this.valHistory.filter((v) => v.step <= good.step);
    }
    this.good = null;
    this.paused = null;
    this.stepBatch = null;
    this.generation += 1;
    const what = /: (.*?)\. The parameters/.exec(trainerMessage)?.[1] ?? trainerMessage;
    const lr = (this.settings as TrainingSettings).lr;
    let message = `Training diverged at step ${failedStep}: ${what}.`;
    if (undone.length > 0) {
      const first = undone[0].loss;
      const worst = undone.reduce((m, r) => (Number.isFinite(r.loss) ? Math.max(m, r.loss) : m), first);
      message +=
        ` In the ${undone.length} step${undone.length === 1 ? '' : 's'} before it the loss climbed from ` +
        `${fmt(first)} to ${fmt(worst)}: the weights were already ruined (finite, but far too large). ` +
        `Restored the last good weights, those after step ${restoredStep}` +
        `${restoredLoss !== null ? ` (loss ${fmt(restoredLoss)})` : ''}.`;
    } else {
      message += ` The weights are left as they were before step ${failedStep}, the last good ones.`;
    }
    const usual = defaultSettings(
      (this.settings as TrainingSettings).preset,
      (this.settings as TrainingSettings).baseModel,
    ).lr;
    message +=
      ` The learning rate is ${lr}: each step moves the weights by up to about that much, far more than they can take.` +
      ` Lower it (this preset's default is ${usual}) and apply it to the run.`;
    const snapshot = this.snapshot();
    if (run) run.stop = 'cancelled';
    this.post(
      {
        type: 'diverged',
        message,
        failedStep,
        restoredStep,
        restoredLoss,
        undone,
        phase: trainer.phase,
        snapshot,
      },
      [snapshot.embedding.data.buffer as ArrayBuffer],
    );
  }

  // ------------------------------------------------------------------------------------------------------------
  // What the views draw.

  private snapshot(): Snapshot {
    const trainer = this.trainerOrFail();
    const W = trainer.params.embed.W_E;
    return {
      step: trainer.completedSteps,
      prediction: this.predict(),
      embedding: { rows: W.shape[0], cols: W.shape[1], data: Float32Array.from(W.data) },
    };
  }

  /** Greedy continuation of the prompt (the most probable next token, again and again). */
  private predict(): Prediction | null {
    const { model, settings, trainer } = this;
    if (!model || !settings || !trainer || settings.prompt.trim() === '') return null;
    let ids: number[];
    try {
      ids = model.tokenizer.encode(settings.prompt);
    } catch (e) {
      return {
        step: trainer.completedSteps,
        prompt: settings.prompt,
        continuation: `(the prompt cannot be tokenized: ${(e as Error).message})`,
      };
    }
    if (ids.length === 0) return null;
    ids = ids.slice(-model.config.n_positions + 1);
    const end = endToken(model);
    const max = end === null ? PREDICT_TOKENS : Math.min(PREDICT_TOKENS, 12);
    const out: number[] = [];
    while (out.length < max && ids.length < model.config.n_positions) {
      const { logits } = forward(model.config, trainer.params, ids, { capture: [] });
      const next = argmax(row(logits, ids.length - 1));
      ids.push(next);
      out.push(next);
      if (next === end) break;
    }
    let continuation: string;
    try {
      continuation = model.tokenizer.decode(out);
    } catch {
      continuation = out.map((id) => `#${id}`).join(' ');
    }
    return { step: trainer.completedSteps, prompt: settings.prompt, continuation };
  }

  private valLoss(): number {
    const trainer = this.trainerOrFail();
    return meanLoss(trainer.config, trainer.params, (this.data as Dataset).val);
  }

  private checkpoint(): SavedRun {
    const trainer = this.trainerOrFail();
    const model = this.model as Model;
    const saved = saveCheckpoint(trainer.config, trainer.params, {
      metadata: { glassbox: 'training lab', step: String(trainer.completedSteps) },
    });
    return {
      settings: this.settings as TrainingSettings,
      safetensors: saved.safetensors,
      configJson: saved.configJson,
      tokenizerJson: JSON.stringify(model.tokenizer.toJSON()),
      step: trainer.completedSteps,
      // During a WebGPU run the records can be ahead of the weights last read back: save what matches them.
      history: this.records.filter((r) => r.step < trainer.completedSteps),
      valHistory: this.valHistory.filter((v) => v.step <= trainer.completedSteps),
      savedAt: Date.now(),
    };
  }

  private trainerOrFail(): Trainer {
    if (!this.trainer) throw new LabError('No training run yet: choose a preset and start one.');
    return this.trainer;
  }
}

// --------------------------------------------------------------------------------------------------------------
// Data.

/** The training batches and validation sequences of a preset, or a LabError saying what is wrong with the text. */
export function makeDataset(
  settings: TrainingSettings,
  model: { config: GPTConfig; tokenizer: Tokenizer; title?: string },
): Dataset {
  const notes: string[] = [];
  const P = model.config.n_positions;
  if (settings.preset === 'toy-world') {
    const tokens = toyWorldTokenizer.encode(TOY_WORLD_TEXT);
    const whole = tokens.length - 1;
    const blockSize = Math.min(settings.blockSize === 0 ? whole : settings.blockSize, whole, P);
    if (settings.blockSize > blockSize)
      notes.push(`Block size reduced to ${blockSize}: the text has ${tokens.length} words.`);
    const train =
      settings.batchSize === 1 && blockSize === whole
        ? wholeSequence(tokens)
        : randomWindows(tokens, { batchSize: settings.batchSize, blockSize, seed: settings.seed });
    const full = wholeSequence(tokens)(0);
    return {
      train,
      val: [full],
      trainTokens: tokens.length,
      valTokens: tokens.length,
      validation:
        `the same ${whole} next-word predictions as training (the toy world has only this one text), so it ` +
        'measures how well the text is learned, not how well the model generalises.',
      batchSize: settings.batchSize,
      blockSize,
      notes,
    };
  }
  let tokens: number[];
  try {
    tokens = model.tokenizer.encode(settings.text);
  } catch (e) {
    throw new LabError(
      `The text cannot be used: ${(e as Error).message}. ` +
        `The model only knows the tokens of its own tokenizer (${model.tokenizer.vocabSize} of them); ` +
        'change or remove what it does not know.',
    );
  }
  const unknown = unknownToken(model.tokenizer);
  if (unknown !== null) {
    const n = tokens.filter((id) => id === unknown.id).length;
    if (n > 0) {
      notes.push(`${n} piece${n === 1 ? '' : 's'} of the text are not in the vocabulary and became "${unknown.text}".`);
    }
  }
  const valCount = Math.max(2, Math.floor(tokens.length / 10));
  const trainCount = tokens.length - valCount;
  if (trainCount < 3) {
    throw new LabError(
      `The text is ${tokens.length} tokens long; fine-tuning needs at least 5 (the last 10%, at least 2, is held out ` +
        'for validation). Paste more text.',
    );
  }
  const trainTokens = tokens.slice(0, trainCount);
  const valTokens = tokens.slice(trainCount);
  const wanted = settings.blockSize === 0 ? Math.min(64, P) : settings.blockSize;
  const blockSize = Math.min(wanted, P, trainCount - 1);
  if (blockSize < wanted) {
    notes.push(
      `Block size ${blockSize} instead of ${wanted}: ${blockSize === P ? `the model sees at most ${P} positions` : `the training part of the text has ${trainCount} tokens`}.`,
    );
  }
  const val: Batch[] = [];
  for (let i = 0; i + 1 < valTokens.length && val.length < 16; i += blockSize) {
    const chunk = valTokens.slice(i, i + blockSize + 1);
    if (chunk.length >= 2) val.push({ inputs: [chunk.slice(0, -1)], targets: [chunk.slice(1)] });
  }
  return {
    train: randomWindows(trainTokens, { batchSize: settings.batchSize, blockSize, seed: settings.seed }),
    val,
    trainTokens: trainCount,
    valTokens: valCount,
    validation:
      `the last 10% of your text (${valCount} tokens), held out: the model never trains on it, so a falling ` +
      'validation loss means it learned something that carries over, and a rising one that it is memorising.',
    batchSize: settings.batchSize,
    blockSize,
    notes,
  };
}

/** Mean next-token loss over every position of the given sequences. */
function meanLoss(config: GPTConfig, params: GPTParams, batches: readonly Batch[]): number {
  let sum = 0;
  let n = 0;
  for (const batch of batches) {
    batch.inputs.forEach((ids, b) => {
      const { logits } = forward(config, params, ids, { capture: [] });
      for (const l of crossEntropy(logits, batch.targets[b])) sum += l;
      n += ids.length;
    });
  }
  return n > 0 ? sum / n : Number.NaN;
}

/** A step summary as the loss curve records it; `offset` turns a GPU trainer's own step count into the run's. */
function toRecord(s: { step: number; loss: number; lr: number; gradNorm: number; tokens: number }): StepRecord {
  return { step: s.step, loss: s.loss, lr: s.lr, gradNorm: s.gradNorm, tokens: s.tokens };
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? x.toExponential(2) : String(Number(x.toPrecision(3)));
}

/** The token a continuation stops at: END in the toy world, <|endoftext|> where the vocabulary has it. */
function endToken(model: Model): number | null {
  for (const text of ['END', '<|endoftext|>']) {
    try {
      const ids = model.tokenizer.encode(text);
      if (ids.length === 1 && model.tokenizer.idToToken(ids[0]) === text) return ids[0];
    } catch {
      // not in this vocabulary
    }
  }
  return null;
}

function unknownToken(tokenizer: Tokenizer): { id: number; text: string } | null {
  const json = tokenizer.toJSON() as { unknown?: string };
  if (typeof json.unknown !== 'string') return null;
  try {
    const ids = tokenizer.encode(json.unknown);
    return ids.length === 1 ? { id: ids[0], text: json.unknown } : null;
  } catch {
    return null;
  }
}
