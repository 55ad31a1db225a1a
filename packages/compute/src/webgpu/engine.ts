import type { GPTConfig } from '../config';
import { validateConfig } from '../config';
import type { Engine, RunOptions, RunResult } from '../engine';
import { checkParams } from '../hookPoints';
import type { GPTParams } from '../params';
import type { TrainerOptions } from '../train/trainer';
import { GpuContext } from './context';
import type { AcquireOptions } from './device';
import { GpuKVCache } from './kvCache';
import { forwardGpu } from './model';
import type { WebGpuModelTrainerOptions } from './modelTrainer';
import { WebGpuModelTrainer } from './modelTrainer';
import type { GpuParams } from './params';
import { destroyParams, downloadParams, uploadParams } from './params';

export interface WebGpuEngineOptions extends AcquireOptions {
  /**
   * Run on this context (device) instead of acquiring a new one. The engine then does not destroy it on dispose:
   * several engines (say, a model being trained and a frozen copy) can share one device.
   */
  context?: GpuContext;
  /** Destroy `context` on dispose even though it was passed in (the engine was handed sole ownership). */
  ownsContext?: boolean;
}

/**
 * The WebGPU engine: the same `run(ids, {capture, hooks, temperature, cache})` as the CPU engine, with parameters,
 * activations and the KV cache in GPU buffers. Only the logits and captured tensors come back, in one readback per
 * run (plus one per hook function, which needs its tensor on the CPU).
 *
 * If the device is lost (driver reset, GPU process crash, `dispose`), runs fail with GlassboxError('device-lost');
 * the GPU's copy of the weights is gone with it. `lastParams` is the newest CPU copy the engine saw (the parameters
 * it was created or last set with, the last `getParams()`, or a trainer's last checkpoint), and `fallbackToCpu(engine)`
 * builds a CPU engine from it.
 */
export class WebGpuEngine implements Engine {
  readonly kind = 'webgpu' as const;
  readonly config: GPTConfig;
  readonly context: GpuContext;
  private params: GpuParams;
  private readonly ownsContext: boolean;
  private known: GPTParams;

  private constructor(
    config: GPTConfig,
    context: GpuContext,
    params: GpuParams,
    ownsContext: boolean,
    cpuParams: GPTParams,
  ) {
    this.config = config;
    this.context = context;
    this.params = params;
    this.ownsContext = ownsContext;
    this.known = cpuParams;
  }

  /** Upload `params` to a device (acquired here unless `options.context` is given). Throws 'unsupported' if none. */
  static async create(config: GPTConfig, params: GPTParams, options: WebGpuEngineOptions = {}): Promise<WebGpuEngine> {
    const cfg = validateConfig(config);
    checkParams(cfg, params);
    const context = options.context ?? (await GpuContext.create(options));
    try {
      const owns = options.ownsContext ?? !options.context;
      return new WebGpuEngine(cfg, context, uploadParams(context, params), owns, params);
    } catch (e) {
      if (!options.context) context.destroy();
      throw e;
    }
  }

  /** The parameters on the GPU (for the training step, which updates them in place). */
  get gpuParams(): GpuParams {
    return this.params;
  }

  run(ids: readonly number[], options?: RunOptions): Promise<RunResult> {
    return forwardGpu({ ctx: this.context, config: this.config, params: this.params }, ids, options);
  }

  createCache(): GpuKVCache {
    this.context.checkAlive();
    return new GpuKVCache(this.context, this.config);
  }

  /**
   * A CPU (float32) copy of the current parameters, read back in one transfer. It also becomes `lastParams` (not
   * copied again: clone it before editing it in place if the engine may still need it after a device loss).
   */
  async getParams(): Promise<GPTParams> {
    const p = await downloadParams(this.context, this.config, this.params);
    this.known = p;
    return p;
  }

  /**
   * The newest CPU copy of the parameters this engine has seen: the ones it was created or last set with, the last
   * `getParams()`, or the last checkpoint of a trainer on it. What survives a lost device; no GPU work.
   */
  get lastParams(): GPTParams {
    return this.known;
  }

  /** @internal A trainer's readback of this engine's parameters (so `lastParams` stays the newest). */
  noteParams(params: GPTParams): void {
    this.known = params;
  }

  /** Replace the parameters (a loaded checkpoint): uploads the new ones, then frees the old buffers. */
  setParams(params: GPTParams): void {
    this.context.checkAlive();
    checkParams(this.config, params);
    const old = this.params;
    this.params = uploadParams(this.context, params);
    destroyParams(old);
    this.known = params;
  }

  /**
   * A trainer for this engine's model (the same options as the CPU Trainer's, see WebGpuModelTrainer): it updates
   * the parameters on the GPU in place, so `run` sees the model being trained. Dispose the trainer before the engine.
   */
  createTrainer(options: TrainerOptions & WebGpuModelTrainerOptions): WebGpuModelTrainer {
    return new WebGpuModelTrainer(this, options);
  }

  dispose(): void {
    if (this.ownsContext) this.context.destroy();
    else if (!this.context.lost) destroyParams(this.params);
  }
}

export function createWebGpuEngine(
  config: GPTConfig,
  params: GPTParams,
  options?: WebGpuEngineOptions,
): Promise<WebGpuEngine> {
  return WebGpuEngine.create(config, params, options);
}
