import type { GPTConfig } from '../config';
import { CpuEngine } from '../cpu/engine';
import type { Engine, EngineKind } from '../engine';
import { GlassboxError } from '../errors';
import type { GPTParams } from '../params';
import type { ModelTrainer, TrainerCheckpoint } from '../train/modelTrainer';
import type { TrainerOptions } from '../train/trainer';
import { Trainer } from '../train/trainer';
import { GpuContext } from './context';
import type { GpuAdapterDescription } from './device';
import { acquireGpuDevice } from './device';
import { WebGpuEngine } from './engine';
import type { WebGpuModelTrainerOptions } from './modelTrainer';
import { WebGpuModelTrainer } from './modelTrainer';

export interface SelectEngineOptions {
  /** 'webgpu' (default): WebGPU when it works, else the CPU. 'cpu': the CPU engine, no questions asked. */
  prefer?: EngineKind;
  /** The GPU entry point; defaults to `navigator.gpu` (Node passes `nodeGpu()` from `@glassbox/compute/node`). */
  gpu?: GPU;
}

export interface EngineSelection {
  engine: Engine;
  kind: EngineKind;
  /** Why this is not the WebGPU engine (shown to the user as a notice); absent when it is. */
  reason?: string;
  /** The adapter the WebGPU engine runs on. */
  adapter?: GpuAdapterDescription;
}

/**
 * The engine the app should use: WebGPU when an adapter and device are available and the model fits the device's
 * limits; otherwise the CPU engine, with the reason. The CPU engine shares the `params` tree (its values copied once into WebAssembly memory, cpu/resident.ts), so the prompt and
 * trained weights survive the switch; after a lost device the app calls this again with the weights it holds.
 */
export async function selectEngine(
  config: GPTConfig,
  params: GPTParams,
  options: SelectEngineOptions = {},
): Promise<EngineSelection> {
  const cpu = (reason: string): EngineSelection => ({ engine: new CpuEngine(config, params), kind: 'cpu', reason });
  if (options.prefer === 'cpu') return cpu('the CPU engine was asked for');
  const got = await acquireGpuDevice({ gpu: options.gpu });
  if (!got.ok) return cpu(got.reason);
  const context = new GpuContext(got.device, got.adapter, got.limits);
  try {
    const engine = await WebGpuEngine.create(config, params, { context, ownsContext: true });
    return { engine, kind: 'webgpu', adapter: got.adapter };
  } catch (e) {
    context.destroy();
    if (
      e instanceof GlassboxError &&
      (e.code === 'device-limit' || e.code === 'device-lost' || e.code === 'unsupported')
    ) {
      return cpu(`WebGPU cannot run this model: ${e.message}`);
    }
    throw e;
  }
}

export type CreateTrainerOptions = TrainerOptions &
  WebGpuModelTrainerOptions & {
    /** The engine that runs the steps (default 'cpu'). 'webgpu' throws 'unsupported' with the reason if it has none. */
    engine?: EngineKind;
    /** WebGPU: the GPU entry point (default `navigator.gpu`; Node passes `nodeGpu()`). */
    gpu?: GPU;
    /** WebGPU: train on this device instead of acquiring one (it is not destroyed with the trainer). */
    context?: GpuContext;
    /**
     * Start from this checkpoint (taken on either engine) instead of at step 0 with fresh moments: its weights replace
     * `params`, and the trainer goes on at its step with its optimizer state (see ModelTrainer.restore).
     */
    resume?: TrainerCheckpoint;
  };

/**
 * A trainer on the chosen engine, with its own engine: the one setting that switches training between CPU and
 * WebGPU. The CPU trainer updates `params` in place; the WebGPU one uploads them and updates the GPU's copy
 * (`getParams()` reads it back). To train the model an app is already running, call `engine.createTrainer(options)`
 * on the engine `selectEngine` gave it instead: that one follows the CPU fallback.
 */
export async function createTrainer(
  config: GPTConfig,
  params: GPTParams,
  options: CreateTrainerOptions & { engine?: 'cpu' },
): Promise<Trainer>;
export async function createTrainer(
  config: GPTConfig,
  params: GPTParams,
  options: CreateTrainerOptions & { engine: 'webgpu' },
): Promise<WebGpuModelTrainer>;
export async function createTrainer(
  config: GPTConfig,
  params: GPTParams,
  options: CreateTrainerOptions,
): Promise<Trainer | WebGpuModelTrainer>;
export async function createTrainer(
  config: GPTConfig,
  params: GPTParams,
  { engine = 'cpu', gpu, context, resume, ...options }: CreateTrainerOptions,
): Promise<Trainer | WebGpuModelTrainer> {
  if (engine === 'cpu') {
    const cpu = new Trainer(config, params, options);
    if (resume) cpu.restore(resume);
    return cpu;
  }
  const gpuEngine = await WebGpuEngine.create(config, params, { gpu, context });
  let trainer: WebGpuModelTrainer | undefined;
  try {
    trainer = new WebGpuModelTrainer(gpuEngine, options, { ownsEngine: true });
    if (resume) await trainer.restore(resume);
    return trainer;
  } catch (e) {
    if (trainer) trainer.dispose();
    else gpuEngine.dispose();
    throw e;
  }
}

export interface CpuFallback {
  engine: CpuEngine;
  kind: 'cpu';
  /** Why, for the user's notice: the device's loss message and which weights the CPU engine got. */
  reason: string;
}

/**
 * A CPU engine with the WebGPU engine's parameters, after a 'device-lost' error (or whenever the app wants to leave
 * the GPU). While the device lives they are read back now; once it is lost they are `engine.lastParams`, the newest
 * CPU copy (the parameters it was created or last set with, the last getParams(), a trainer's last checkpoint).
 * Disposes the WebGPU engine. A CPU engine is returned as it is.
 */
export async function fallbackToCpu(engine: Engine): Promise<CpuFallback> {
  if (engine instanceof CpuEngine) return { engine, kind: 'cpu', reason: 'already on the CPU engine' };
  if (!(engine instanceof WebGpuEngine)) {
    return {
      engine: new CpuEngine(engine.config, await engine.getParams()),
      kind: 'cpu',
      reason: 'switched to the CPU',
    };
  }
  let params = engine.lastParams;
  let which = 'the last weights read back from the GPU';
  if (!engine.context.lost) {
    params = await engine.getParams().catch((e: unknown) => {
      if (e instanceof GlassboxError && e.code === 'device-lost') return engine.lastParams;
      throw e;
    });
    if (!engine.context.lost) which = 'its current weights';
  }
  const why = lostReason(engine);
  engine.dispose();
  return { engine: new CpuEngine(engine.config, params), kind: 'cpu', reason: `${why}; the CPU engine runs ${which}` };
}

export interface CpuTrainerFallback extends CpuFallback {
  /** The CPU trainer, at the step of the weights it resumed from; `engine` runs its live parameters. */
  trainer: Trainer;
  /** Steps the WebGPU trainer had completed after that checkpoint (they are redone on the CPU). */
  lostSteps: number;
}

/**
 * A CPU Trainer that goes on where a WebGPU trainer was, after a 'device-lost' error: same options, data source and
 * schedule; the weights (and, when they were read, the optimizer moments) of the newest checkpoint (`lastCheckpoint`;
 * a fresh one when the device still lives), its history up to that step, and `completedSteps` = that step. Since
 * batches are a function of the step, the steps after the checkpoint are simply run again. Disposes the WebGPU
 * trainer. A CPU trainer is returned as it is.
 */
export async function fallbackTrainerToCpu(trainer: ModelTrainer): Promise<CpuTrainerFallback> {
  if (trainer instanceof Trainer) {
    return {
      trainer,
      engine: new CpuEngine(trainer.config, trainer.params),
      kind: 'cpu',
      reason: 'already on the CPU trainer',
      lostSteps: 0,
    };
  }
  if (!(trainer instanceof WebGpuModelTrainer)) {
    throw new GlassboxError('unsupported', `no CPU fallback for a ${trainer.kind} trainer`);
  }
  let ckpt = trainer.lastCheckpoint;
  if (!trainer.engine.context.lost) {
    ckpt = await trainer.checkpoint().catch((e: unknown) => {
      if (e instanceof GlassboxError && e.code === 'device-lost') return trainer.lastCheckpoint;
      throw e;
    });
  }
  const { checkpointEvery: _every, checkpointOnTrainEnd: _end, ...options } = trainer.options;
  const cpu = new Trainer(trainer.config, ckpt.params, options);
  cpu.restore(ckpt);
  cpu.history.push(...trainer.history.filter((h) => h.step < ckpt.step));
  const lostSteps = trainer.completedSteps - ckpt.step;
  const why = lostReason(trainer.engine);
  trainer.dispose();
  const state = ckpt.optimizer ? 'weights and optimizer state' : 'weights (the optimizer starts afresh)';
  return {
    trainer: cpu,
    engine: new CpuEngine(cpu.config, cpu.params),
    kind: 'cpu',
    reason:
      `${why}; training continues on the CPU from step ${ckpt.step} with the ${state} read back then` +
      (lostSteps > 0 ? ` (${lostSteps} later step${lostSteps === 1 ? '' : 's'} will be run again)` : ''),
    lostSteps,
  };
}

/** The device's loss message, or why we are leaving a live device. */
function lostReason(engine: WebGpuEngine): string {
  try {
    engine.context.checkAlive();
    return 'switched from WebGPU to the CPU';
  } catch (e) {
    return e instanceof Error ? e.message.replace(/; create a new engine or use the CPU$/, '') : String(e);
  }
}
