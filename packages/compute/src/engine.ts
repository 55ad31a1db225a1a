import type { GPTConfig } from './config';
import type { GPTParams } from './params';
import type { Tensor } from './tensor';
import type { ModelTrainer } from './train/modelTrainer';
import type { TrainerOptions } from './train/trainer';

/**
 * The one interface both engines (cpu, webgpu) implement, so the app switches engines with one setting.
 * Every method is async because the WebGPU engine must wait for the GPU; the CPU engine simply resolves.
 */

/** Which hooks to read back: every hook, a list of names, or a predicate over names. */
export type CaptureSpec = 'all' | readonly string[] | ((name: string) => boolean);

export interface HookContext {
  /** Concrete hook name, e.g. `blocks.0.attn.hook_pattern`. */
  name: string;
  /** Layer index for block hooks, null otherwise. */
  layer: number | null;
  /** Absolute position of the first row of T-shaped tensors (the KV-cache length before this call). */
  start: number;
}

/**
 * A hook sees the tensor at its point in the pass. Returning a tensor of the same shape replaces the value and the
 * rest of the pass uses the replacement (an intervention); returning nothing leaves it unchanged. The hook must not
 * keep the tensor it is given: engines may reuse its memory.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a read-only hook is any function that returns nothing
export type HookFn = (value: Tensor, ctx: HookContext) => Tensor | undefined | void;

/** Named tensors from one call, keyed by hook name (see hooks.ts / docs/hooks.md). */
export type Trace = Record<string, Tensor>;

/**
 * Keys and values of earlier positions, per layer, so decoding a new token costs one position instead of the whole
 * sequence. Opaque to callers: each engine keeps it where its tensors live (CPU arrays or GPU buffers).
 */
export interface KVCache {
  /** Positions already cached (the absolute position of the next token). */
  readonly length: number;
}

export interface RunOptions {
  capture?: CaptureSpec;
  hooks?: Readonly<Record<string, HookFn>>;
  /** Divides the logits for `hook_scaled_logits` / `hook_probs` (default 1). Must be finite and > 0 here. */
  temperature?: number;
  /** Continue after the cached positions and append this call's keys and values to the cache. */
  cache?: KVCache;
}

export interface RunResult {
  /** [T, V] logits for every position of this call. */
  logits: Tensor;
  /** The captured tensors (only those asked for). */
  trace: Trace;
  /** Absolute position of the first id of this call (0 without a cache). */
  start: number;
}

export type EngineKind = 'cpu' | 'webgpu';

export interface Engine {
  readonly kind: EngineKind;
  readonly config: GPTConfig;
  run(ids: readonly number[], options?: RunOptions): Promise<RunResult>;
  /** An empty KV cache for this engine and model. */
  createCache(): KVCache;
  /** A CPU copy of the current parameters (after training, the trained ones). */
  getParams(): Promise<GPTParams>;
  /**
   * A trainer for this engine's model that updates the engine's own parameters (so `run` sees the model being
   * trained): the CPU `Trainer` or the `WebGpuModelTrainer`, one ModelTrainer API (train/modelTrainer.ts). Both
   * built-in engines have it; it is optional so that wrappers and test fakes need not.
   */
  createTrainer?(options: TrainerOptions): ModelTrainer;
  dispose(): void;
}
