import type { GPTConfig } from '../config';
import { validateConfig } from '../config';
import type { Engine, RunOptions, RunResult } from '../engine';
import { checkParams } from '../hookPoints';
import type { GPTParams } from '../params';
import { cloneParams } from '../params';
import type { TrainerOptions } from '../train/trainer';
import { Trainer } from '../train/trainer';
import { CpuKVCache } from './kvCache';
import { forward } from './model';

/**
 * The reference engine: plain TypeScript loops over typed arrays, float32 (or float64 when the parameters are float64).
 * `run` is async only to share the Engine interface with WebGPU; `forward` in ./model is the same pass, synchronously.
 */
export class CpuEngine implements Engine {
  readonly kind = 'cpu' as const;
  readonly config: GPTConfig;
  private live: GPTParams;

  constructor(config: GPTConfig, params: GPTParams) {
    this.config = validateConfig(config);
    checkParams(this.config, params);
    this.live = params;
  }

  /** The live parameters (not a copy): the trainer updates them in place between runs. */
  get params(): GPTParams {
    return this.live;
  }

  /** Swap in new parameters (e.g. a loaded checkpoint, or a float64 copy for gradient checks), checked against the config. */
  setParams(params: GPTParams): void {
    checkParams(this.config, params);
    this.live = params;
  }

  async run(ids: readonly number[], options?: RunOptions): Promise<RunResult> {
    return forward(this.config, this.live, ids, options);
  }

  createCache(): CpuKVCache {
    return new CpuKVCache(this.config);
  }

  async getParams(): Promise<GPTParams> {
    return cloneParams(this.config, this.live);
  }

  /**
   * A trainer on the live parameters: `run` sees every update. (After `setParams` the trainer keeps training the
   * parameters it was created with; create a new one.)
   */
  createTrainer(options: TrainerOptions): Trainer {
    return new Trainer(this.config, this.live, options);
  }

  /** Nothing to release: the CPU engine holds only JavaScript arrays, which the garbage collector frees. */
  dispose(): void {}
}

export function createCpuEngine(config: GPTConfig, params: GPTParams): CpuEngine {
  return new CpuEngine(config, params);
}
