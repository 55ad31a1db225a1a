import type { GPTConfig } from '../config';
import { validateConfig } from '../config';
import type { Engine, RunOptions, RunResult } from '../engine';
import { checkParams } from '../hookPoints';
import type { GPTParams } from '../params';
import { cloneParams } from '../params';
import type { TrainerOptions } from '../train/trainer';
import { Trainer } from '../train/trainer';
import type { ResidentArena } from './gemm';
import { CpuKVCache } from './kvCache';
import { forward } from './model';
import type { ResidentWeightsOptions } from './resident';
import { makeResident } from './resident';

export type CpuEngineOptions = ResidentWeightsOptions;

/**
 * The reference engine: plain TypeScript loops over typed arrays, float32 (or float64 when the parameters are float64).
 * `run` is async only to share the Engine interface with WebGPU; `forward` in ./model is the same pass, synchronously.
 *
 * Float32 parameters are made resident (./resident.ts): copied once, when the engine is created or given new
 * parameters, into WebAssembly memory sized for them, where the gemm kernels read them in place instead of copying
 * every weight on every call. The tree passed in stays the engine's live tree — its tensors' `data` now view that
 * memory — so sharing it with a Trainer or another engine works as before, and a tree that is already resident is
 * not copied again. The memory is the
 * parameters' storage: it is freed when nothing holds the tree any more (see `dispose`). A model whose weights and
 * scratch exceed WebAssembly's 4 GiB (or `maxResidentBytes`) keeps its ordinary arrays and runs as before, copying
 * each weight per call; `{ residentWeights: false }` asks for that outright.
 */
export class CpuEngine implements Engine {
  readonly kind = 'cpu' as const;
  readonly config: GPTConfig;
  private live: GPTParams;
  private arena: ResidentArena | null;

  constructor(
    config: GPTConfig,
    params: GPTParams,
    private readonly options: CpuEngineOptions = {},
  ) {
    this.config = validateConfig(config);
    checkParams(this.config, params);
    this.arena = makeResident(this.config, params, options);
    this.live = params;
  }

  /** The WebAssembly memory holding the parameters, while they are resident (null: float64, no SIMD, or disposed). */
  get residentArena(): ResidentArena | null {
    return this.arena;
  }

  /** The live parameters (not a copy): the trainer updates them in place between runs. */
  get params(): GPTParams {
    return this.live;
  }

  /** Swap in new parameters (e.g. a loaded checkpoint, or a float64 copy for gradient checks), checked against the config. */
  setParams(params: GPTParams): void {
    checkParams(this.config, params);
    this.arena = makeResident(this.config, params, this.options);
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

  /**
   * Drops the engine's hold on its resident arena. WebAssembly memory cannot be freed explicitly: the arena is the
   * parameters' storage, and the garbage collector frees it with the last view of it (the tree, and anything that
   * kept one of its tensors). No global registry keeps it alive. The parameters stay valid and the engine usable.
   */
  dispose(): void {
    this.arena = null;
  }
}

export function createCpuEngine(config: GPTConfig, params: GPTParams, options?: CpuEngineOptions): CpuEngine {
  return new CpuEngine(config, params, options);
}
