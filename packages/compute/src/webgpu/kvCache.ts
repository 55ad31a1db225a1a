import type { GPTConfig } from '../config';
import type { KVCache } from '../engine';
import { fail } from '../errors';
import type { GpuContext, GpuTensor } from './context';

/**
 * The WebGPU engine's KV cache: per layer, one key and one value buffer of n_positions rows ([n_positions, H, dh],
 * float32), allocated on first use. A pass copies its new keys into rows length … length+T−1 and the attention
 * kernels read rows 0 … S−1 in place, so decoding a token moves one row per layer, not the whole history.
 *
 * `length` only advances when a whole pass has succeeded (`commit`), so a pass that fails half-way (a bad
 * intervention, a lost device) leaves the cache as it was: the rows it wrote lie past `length` and are overwritten by
 * the next pass. Same contract as the CPU cache (cpu/kvCache.ts).
 */
export class GpuKVCache implements KVCache {
  readonly config: GPTConfig;
  /** The device the buffers live on: a cache cannot move between engines. */
  readonly context: GpuContext;
  private len = 0;
  private readonly keys: (GpuTensor | null)[];
  private readonly values: (GpuTensor | null)[];

  constructor(context: GpuContext, config: GPTConfig) {
    this.context = context;
    this.config = config;
    this.keys = new Array(config.n_layer).fill(null);
    this.values = new Array(config.n_layer).fill(null);
    context.checkBufferSize(config.n_positions * config.n_embd * 4, 'a KV cache layer [n_positions, d]');
  }

  get length(): number {
    return this.len;
  }

  /** Forget every position (the generation loop does this when the sequence slides past n_positions). */
  clear(): void {
    this.len = 0;
  }

  /** Layer l's key buffer: [n_positions, H, dh]; rows ≥ length are scratch. */
  keyBuffer(layer: number): GpuTensor {
    this.keys[layer] ??= this.make(`kv cache keys ${layer}`);
    return this.keys[layer];
  }

  valueBuffer(layer: number): GpuTensor {
    this.values[layer] ??= this.make(`kv cache values ${layer}`);
    return this.values[layer];
  }

  /** Called by the pass once everything it recorded (including its cache writes) has been submitted successfully. */
  commit(length: number): void {
    if (length > this.config.n_positions) fail('bad-ids', `KV cache length ${length} > n_positions`);
    this.len = length;
  }

  /** Free the GPU memory now rather than when the garbage collector gets to it. */
  dispose(): void {
    for (const t of [...this.keys, ...this.values]) t?.buffer.destroy();
    this.keys.fill(null);
    this.values.fill(null);
    this.len = 0;
  }

  private make(label: string): GpuTensor {
    const { n_positions, n_head, n_embd } = this.config;
    return this.context.createTensor([n_positions, n_head, n_embd / n_head], null, label);
  }
}

/** The cache a run was given, checked to be a WebGPU cache made on this device for a model of this shape. */
export function asGpuCache(cache: KVCache, context: GpuContext, config: GPTConfig): GpuKVCache {
  if (!(cache instanceof GpuKVCache)) {
    fail('unsupported', 'this KV cache was not made by the WebGPU engine; create it with engine.createCache()');
  }
  if (cache.context !== context) fail('unsupported', 'this KV cache belongs to another WebGPU engine (device)');
  const c = cache.config;
  if (c.n_layer !== config.n_layer || c.n_embd !== config.n_embd || c.n_head !== config.n_head) {
    fail(
      'bad-shape',
      `KV cache made for n_layer=${c.n_layer}, n_embd=${c.n_embd}, n_head=${c.n_head}; ` +
        `this model has n_layer=${config.n_layer}, n_embd=${config.n_embd}, n_head=${config.n_head}`,
    );
  }
  return cache;
}
