import type { GPTConfig } from '../config';
import type { KVCache } from '../engine';
import { fail } from '../errors';
import type { FloatArray, Tensor } from '../tensor';
import { allocArray, dtypeOf, zerosLike } from '../tensor';

/**
 * The CPU engine's KV cache: per layer, the keys and values of every position processed so far, stored flat as
 * [length, H, dh] (= [length, d]) in a buffer that grows by doubling up to n_positions rows.
 *
 * A forward pass reads it through `keysWith` / `valuesWith` (cached rows followed by the new ones) and appends only when the whole
 * pass has succeeded (`append`), so a pass that throws half-way (a bad intervention, say) leaves the cache as it was.
 */
export class CpuKVCache implements KVCache {
  readonly config: GPTConfig;
  private len = 0;
  private readonly keys: FloatArray[];
  private readonly values: FloatArray[];

  constructor(config: GPTConfig) {
    this.config = config;
    this.keys = Array.from({ length: config.n_layer }, () => new Float32Array(0));
    this.values = Array.from({ length: config.n_layer }, () => new Float32Array(0));
  }

  get length(): number {
    return this.len;
  }

  /** Forget every position (the generation loop does this when the sequence slides past n_positions). */
  clear(): void {
    this.len = 0;
  }

  /** Cached keys of `layer` followed by the new ones: [length + T, H, dh], a fresh tensor in the dtype of `k`. */
  keysWith(layer: number, k: Tensor): Tensor {
    return concatRows(this.keys[layer], this.len, k);
  }

  /** Cached values of `layer` followed by the new ones: [length + T, H, dh]. */
  valuesWith(layer: number, v: Tensor): Tensor {
    return concatRows(this.values[layer], this.len, v);
  }

  /**
   * Append the rows after the cached ones of each layer's keys and values (as `keysWith` / `valuesWith` built them, after any
   * intervention). kAll[l], vAll[l]: [S, H, dh] with S = length + T for the same T in every layer.
   */
  append(kAll: readonly Tensor[], vAll: readonly Tensor[]): void {
    const S = kAll[0].shape[0];
    if (S > this.config.n_positions) {
      fail('bad-ids', `the KV cache would hold ${S} positions, more than n_positions (${this.config.n_positions})`);
    }
    for (let l = 0; l < this.config.n_layer; l++) {
      this.keys[l] = this.store(this.keys[l], kAll[l], S);
      this.values[l] = this.store(this.values[l], vAll[l], S);
    }
    this.len = S;
  }

  /** Copy rows length … S−1 of `all` into `buf`, growing it (by doubling, capped at n_positions rows) if needed. */
  private store(buf: FloatArray, all: Tensor, S: number): FloatArray {
    const d = this.config.n_embd;
    let out = buf;
    if (buf.length < S * d || dtypeOf(buf) !== dtypeOf(all.data)) {
      const rows = Math.min(this.config.n_positions, Math.max(S, 2 * (buf.length / d), 16));
      out = allocArray(dtypeOf(all.data), rows * d);
      out.set(buf.subarray(0, this.len * d));
    }
    out.set(all.data.subarray(this.len * d, S * d), this.len * d);
    return out;
  }
}

/** past rows (the first `len` of `buf`) then `next`: [len + T, H, dh]. */
function concatRows(buf: FloatArray, len: number, next: Tensor): Tensor {
  const [T, H, dh] = next.shape;
  const out = zerosLike(next, [len + T, H, dh]);
  out.data.set(buf.subarray(0, len * H * dh));
  out.data.set(next.data, len * H * dh);
  return out;
}

/** The cache a run was given, checked to be a CPU cache made for a model of this shape. */
export function asCpuCache(cache: KVCache, config: GPTConfig): CpuKVCache {
  if (!(cache instanceof CpuKVCache)) {
    fail('unsupported', 'this KV cache was not made by the CPU engine; create it with engine.createCache()');
  }
  const c = cache.config;
  const fields = ['n_layer', 'n_embd', 'n_head', 'n_positions'] as const;
  const differs = fields.filter((f) => c[f] !== config[f]);
  if (differs.length > 0) {
    const show = (g: GPTConfig) => differs.map((f) => `${f}=${g[f]}`).join(', ');
    fail('bad-shape', `KV cache was made for a model with ${show(c)}; this model has ${show(config)}`);
  }
  return cache;
}
