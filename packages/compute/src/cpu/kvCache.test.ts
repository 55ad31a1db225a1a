import { describe, expect, it } from 'vitest';
import type { GPTConfig } from '../config';
import { validateConfig } from '../config';
import { hookNames, hookShape } from '../hooks';
import type { GPTParams } from '../params';
import { flattenParams, initParams } from '../params';
import { createRng } from '../rng';
import type { Tensor } from '../tensor';
import { maxAbsDiff, tensor } from '../tensor';
import { expectGlassboxError } from '../testing';
import { createCpuEngine } from './engine';
import { CpuKVCache } from './kvCache';
import { forward } from './model';

const config: GPTConfig = validateConfig({ vocab_size: 19, n_positions: 10, n_embd: 12, n_layer: 2, n_head: 3 });
const ids = [4, 11, 0, 18, 7, 7, 2, 13];

/** O(1) weights, so that a position or cache mistake moves the logits far past the tolerance. */
function loudParams(seed: number): GPTParams {
  const p = initParams(config, { seed });
  const rng = createRng(seed + 1000);
  for (const [name, t] of flattenParams(p)) {
    const gain = name.endsWith('.w') && name.includes('ln') ? 1 : 0;
    for (let i = 0; i < t.data.length; i++) t.data[i] = gain + 0.4 * rng.normal();
  }
  return p;
}
const params = loudParams(3);

/** Rows a … b−1 of a [N, …] tensor. */
function rows(t: Tensor, a: number, b: number): Tensor {
  const width = t.data.length / t.shape[0];
  return tensor([b - a, ...t.shape.slice(1)], t.data.subarray(a * width, b * width));
}

const expectCode = expectGlassboxError;

describe('KV cache', () => {
  it('prefill of 5 then 3 one-token decodes gives the logits of the full 8-token recompute (1e-5)', () => {
    const full = forward(config, params, ids).logits;
    const cache = new CpuKVCache(config);
    const prefill = forward(config, params, ids.slice(0, 5), { cache });
    expect(cache.length).toBe(5);
    expect(prefill.start).toBe(0);
    expect(maxAbsDiff(prefill.logits, rows(full, 0, 5))).toBeLessThan(1e-5);
    for (let t = 5; t < 8; t++) {
      const step = forward(config, params, [ids[t]], { cache });
      expect(step.start).toBe(t);
      expect(cache.length).toBe(t + 1);
      expect(maxAbsDiff(step.logits, rows(full, t, t + 1))).toBeLessThan(1e-5);
    }
    expect(maxAbsDiff(full, rows(full, 0, 8))).toBe(0);
  });

  it('uneven chunks (3, 4, 1) give the same logits as one pass', () => {
    const full = forward(config, params, ids).logits;
    const cache = new CpuKVCache(config);
    let at = 0;
    for (const n of [3, 4, 1]) {
      const { logits } = forward(config, params, ids.slice(at, at + n), { cache });
      expect(maxAbsDiff(logits, rows(full, at, at + n))).toBeLessThan(1e-5);
      at += n;
    }
  });

  it('after decoding, hook_k_cache / hook_v_cache hold all 8 positions and match the full run’s keys and values', () => {
    const cacheHooks = (n: string) => /attn\.hook_(k|v|k_cache|v_cache|mask)$/.test(n);
    const full = forward(config, params, ids, { capture: cacheHooks }).trace;
    const cache = new CpuKVCache(config);
    forward(config, params, ids.slice(0, 5), { cache });
    forward(config, params, ids.slice(5, 7), { cache });
    const last = forward(config, params, ids.slice(7), { cache, capture: 'all' }).trace;
    for (const name of hookNames(config))
      expect(last[name].shape, name).toEqual(hookShape(name, config, { T: 1, S: 8 }));
    for (let l = 0; l < config.n_layer; l++) {
      const a = `blocks.${l}.attn`;
      expect(last[`${a}.hook_k_cache`].shape).toEqual([8, 3, 4]);
      expect(maxAbsDiff(last[`${a}.hook_k_cache`], full[`${a}.hook_k`])).toBeLessThan(1e-5);
      expect(maxAbsDiff(last[`${a}.hook_v_cache`], full[`${a}.hook_v`])).toBeLessThan(1e-5);
      expect(maxAbsDiff(full[`${a}.hook_k_cache`], full[`${a}.hook_k`])).toBe(0); // no cache: S = T, the same keys
      expect(Array.from(last[`${a}.hook_mask`].data)).toEqual(new Array(8).fill(1));
    }
  });

  it('the mask of a cached call lets query t see keys 0 … start + t', () => {
    const cache = new CpuKVCache(config);
    forward(config, params, ids.slice(0, 3), { cache });
    const mask = forward(config, params, ids.slice(3, 5), { cache, capture: ['blocks.0.attn.hook_mask'] }).trace[
      'blocks.0.attn.hook_mask'
    ];
    expect(mask.shape).toEqual([2, 5]);
    expect(Array.from(mask.data)).toEqual([1, 1, 1, 1, 0, 1, 1, 1, 1, 1]);
  });

  it('stores the keys actually used: an intervention on hook_k carries into later decode steps', () => {
    const hooks = { 'blocks.0.attn.hook_k': (k: Tensor) => void k.data.fill(0.5) };
    const full = forward(config, params, ids.slice(0, 6), { hooks }).logits;
    const cache = new CpuKVCache(config);
    forward(config, params, ids.slice(0, 5), { cache, hooks });
    const step = forward(config, params, [ids[5]], { cache, hooks }).logits;
    expect(maxAbsDiff(step, rows(full, 5, 6))).toBeLessThan(1e-5);
    expect(maxAbsDiff(step, rows(forward(config, params, ids.slice(0, 6)).logits, 5, 6))).toBeGreaterThan(1e-3);
  });

  it('going past n_positions throws bad-ids naming n_positions and leaves the cache unchanged', () => {
    const cache = new CpuKVCache(config);
    forward(config, params, ids, { cache });
    expectCode(() => forward(config, params, [1, 2, 3], { cache }), 'bad-ids', /8 cached \+ 3 new.*n_positions \(10\)/);
    expect(cache.length).toBe(8);
    forward(config, params, [1, 2], { cache });
    expect(cache.length).toBe(10);
    expectCode(() => forward(config, params, [1], { cache }), 'bad-ids', /n_positions \(10\)/);
    cache.clear();
    expect(cache.length).toBe(0);
    expect(maxAbsDiff(forward(config, params, ids, { cache }).logits, forward(config, params, ids).logits)).toBe(0);
  });

  it('a pass that throws half-way (a bad replacement in the last block) appends nothing', () => {
    const cache = new CpuKVCache(config);
    forward(config, params, ids.slice(0, 4), { cache });
    const bad = { 'blocks.1.hook_mlp_out': () => tensor([1], [0]) };
    expectCode(() => forward(config, params, ids.slice(4, 6), { cache, hooks: bad }), 'bad-shape', /hook_mlp_out/);
    expect(cache.length).toBe(4);
    const { logits } = forward(config, params, ids.slice(4), { cache });
    expect(maxAbsDiff(logits, rows(forward(config, params, ids).logits, 4, 8))).toBeLessThan(1e-5);
  });

  it('rejects a cache made for another model, or by another engine', () => {
    const other = validateConfig({ ...config, n_layer: 1 });
    expectCode(
      () => forward(config, params, [1], { cache: new CpuKVCache(other) }),
      'bad-shape',
      /n_layer=1.*n_layer=2/,
    );
    expectCode(() => forward(config, params, [1], { cache: { length: 0 } }), 'unsupported', /createCache/);
  });

  it('the engine’s createCache gives an empty cache that run continues from', async () => {
    const engine = createCpuEngine(config, params);
    const cache = engine.createCache();
    expect(cache.length).toBe(0);
    await engine.run(ids.slice(0, 6), { cache });
    const r = await engine.run(ids.slice(6), { cache });
    expect(r.start).toBe(6);
    expect(maxAbsDiff(r.logits, rows((await engine.run(ids)).logits, 6, 8))).toBeLessThan(1e-5);
  });

  it('works in float64: decode matches the full recompute to 1e-12', () => {
    const p64 = initParams(config, { seed: 5, dtype: 'float64' });
    const full = forward(config, p64, ids).logits;
    const cache = new CpuKVCache(config);
    forward(config, p64, ids.slice(0, 7), { cache });
    const step = forward(config, p64, ids.slice(7), { cache, capture: ['blocks.1.attn.hook_k_cache'] });
    expect(step.logits.data).toBeInstanceOf(Float64Array);
    expect(step.trace['blocks.1.attn.hook_k_cache'].data).toBeInstanceOf(Float64Array);
    expect(maxAbsDiff(step.logits, rows(full, 7, 8))).toBeLessThan(1e-12);
  });
});
