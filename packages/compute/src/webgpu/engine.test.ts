import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GPTConfig } from '../config';
import { validateConfig } from '../config';
import { createCpuEngine } from '../cpu/engine';
import type { HookFn, RunOptions } from '../engine';
import { GlassboxError } from '../errors';
import { generate } from '../generate';
import { hookNames } from '../hooks';
import type { GPTParams } from '../params';
import { castParams, flattenParams, initParams } from '../params';
import { createRng } from '../rng';
import type { Tensor } from '../tensor';
import { tensor } from '../tensor';
import { GpuContext } from './context';
import { readLimits } from './device';
import { WebGpuEngine } from './engine';
import { nodeGpu } from './nodeDevice';
import { expectClose, testContext } from './testing';

// Awkward sizes on purpose: dh = 10, d = 30 and V = 71 are not multiples of any tile or workgroup size.
const config: GPTConfig = validateConfig({
  vocab_size: 71,
  n_positions: 19,
  n_embd: 30,
  n_layer: 3,
  n_head: 3,
  layer_norm_epsilon: 1e-5,
});

/** O(1) weights (biases and LN parameters included) so every part of the pass moves the output by far more than the tolerance. */
function loudParams(seed: number): GPTParams {
  const p = initParams(config, { seed });
  const rng = createRng(seed + 1000);
  for (const [name, t] of flattenParams(p)) {
    const gain = name.endsWith('.w') && name.includes('ln') ? 1 : 0;
    for (let i = 0; i < t.data.length; i++) t.data[i] = Math.fround(gain + 0.3 * rng.normal());
  }
  return p;
}

const params = loudParams(4);
// The reference runs in float64 on the same (float32-representable) weights: the error measured is the GPU's.
const cpu = createCpuEngine(config, castParams(params, config, 'float64'));
const ids = [3, 70, 0, 22, 9, 9, 41];
/** Whole-model tolerance: float32 through 3 blocks of O(1) weights (measured ≤ 1e-6 relative); see docs/testing.md. */
const TOL = { atol: 1e-5, rtol: 5e-5 };

let ctx: GpuContext;
let gpu: WebGpuEngine;
beforeAll(async () => {
  ctx = await testContext();
  gpu = await WebGpuEngine.create(config, params, { context: ctx });
});
afterAll(() => gpu?.dispose());

async function expectSameRun(ids: readonly number[], options: RunOptions, cpuOptions: RunOptions = options) {
  const [g, c] = [await gpu.run(ids, options), await cpu.run(ids, cpuOptions)];
  expect(Object.keys(g.trace)).toEqual(Object.keys(c.trace));
  for (const name of Object.keys(c.trace)) expectClose(g.trace[name], c.trace[name], name, TOL);
  expectClose(g.logits, c.logits, 'logits', TOL);
  expect(g.start).toBe(c.start);
  return g;
}

describe('WebGPU engine vs CPU engine', () => {
  // Both kernel families (GpuContext.emulated): the adapter's own, and the other one forced.
  it.each([true, false])(
    'every hook with capture "all" and the logits match, at temperature 0.8 (emulated-adapter kernels: %s)',
    async (emulated) => {
      const own = ctx.emulated;
      ctx.emulated = emulated;
      try {
        const g = await expectSameRun(ids, { capture: 'all', temperature: 0.8 });
        expect(Object.keys(g.trace)).toEqual(hookNames(config));
        expect(g.logits.data).toBeInstanceOf(Float32Array);
      } finally {
        ctx.emulated = own;
      }
    },
  );

  it.each([1, config.n_positions])('matches for T = %i', async (T) => {
    const seq = Array.from({ length: T }, (_, i) => (i * 37 + 5) % config.vocab_size);
    await expectSameRun(seq, { capture: ['blocks.2.attn.hook_pattern', 'hook_probs', 'ln_final.hook_scale'] });
  });

  it('decode with the KV cache equals the full recompute (and the CPU decode), hooks included', async () => {
    const seq = [5, 1, 66, 30, 2, 8, 8, 17, 40];
    const full = await gpu.run(seq, { capture: ['blocks.1.attn.hook_k_cache'] });
    const cache = gpu.createCache();
    const cpuCache = cpu.createCache();
    const capture = ['blocks.1.attn.hook_k_cache', 'blocks.1.attn.hook_pattern', 'hook_logits'];
    await expectSameRun(seq.slice(0, 5), { cache, capture }, { cache: cpuCache, capture });
    for (let t = 5; t < seq.length; t++) {
      const step = await expectSameRun([seq[t]], { cache, capture }, { cache: cpuCache, capture });
      expect(step.start).toBe(t);
      const V = config.vocab_size;
      const fullRow = tensor([1, V], full.logits.data.subarray(t * V, (t + 1) * V));
      expectClose(step.logits, fullRow, `decoded logits at ${t}`, { atol: 1e-5, rtol: 1e-5 });
    }
    expect(cache.length).toBe(seq.length);
    const kFull = full.trace['blocks.1.attn.hook_k_cache'];
    const { trace } = await gpu.run([1], { cache: gpu.createCache(), capture: ['blocks.1.attn.hook_k_cache'] });
    expect(trace['blocks.1.attn.hook_k_cache'].shape).toEqual([1, 3, 10]);
    expect(kFull.shape).toEqual([seq.length, 3, 10]);
  });

  it('interventions (replace, edit in place, frozen LayerNorm scale, edited KV cache) act like on the CPU', async () => {
    const hooks: Record<string, HookFn> = {
      // replace: uniform attention over the visible keys in layer 0
      'blocks.0.attn.hook_pattern': (p) => {
        const [H, T, S] = p.shape;
        const out = new Float32Array(p.data.length);
        for (let h = 0; h < H; h++)
          for (let t = 0; t < T; t++) for (let s = 0; s <= t; s++) out[(h * T + t) * S + s] = 1 / (t + 1);
        return tensor(p.shape, out);
      },
      // edit in place, return nothing
      'blocks.1.hook_resid_pre': (x) => {
        for (let i = 0; i < x.data.length; i += 3) x.data[i] *= -1;
      },
      // freeze the scale: the normalized output is recomputed from it
      'blocks.2.ln2.hook_scale': (s) => tensor(s.shape, new Float32Array(s.data.length).fill(2)),
      'blocks.1.attn.hook_k_cache': (k) =>
        tensor(
          k.shape,
          Float32Array.from(k.data, (v) => v * 0.5),
        ),
      hook_logits: (x) =>
        tensor(
          x.shape,
          Float32Array.from(x.data, (v) => v + 1),
        ),
    };
    const capture = 'all' as const;
    await expectSameRun(ids, { hooks, capture });
    // With a cache the edited keys are what gets cached, on both engines.
    const [gc, cc] = [gpu.createCache(), cpu.createCache()];
    await expectSameRun(ids.slice(0, 4), { hooks, cache: gc, capture }, { hooks, cache: cc, capture });
    await expectSameRun(
      ids.slice(4),
      { cache: gc, capture: ['blocks.1.attn.hook_k_cache'] },
      { cache: cc, capture: ['blocks.1.attn.hook_k_cache'] },
    );
  });

  it('reads back once per run however much is captured, and reuses its buffers between runs', async () => {
    await gpu.run(ids, { capture: 'all' }); // warm: fills the pool
    const before = { ...ctx.counters, created: ctx.pool.stats().created };
    await gpu.run(ids, { capture: 'all' });
    await gpu.run(ids);
    expect(ctx.counters.readbacks - before.readbacks).toBe(2);
    expect(ctx.counters.submits - before.submits).toBe(2);
    expect(ctx.pool.stats().created).toBe(before.created);
    // A hook function needs its tensor now: one more readback each.
    const r = ctx.counters.readbacks;
    await gpu.run(ids, { hooks: { 'blocks.0.hook_resid_mid': () => undefined, hook_embed: () => undefined } });
    expect(ctx.counters.readbacks - r).toBe(3);
  });

  it('generates the same tokens as the CPU engine (greedy and seeded sampling, past a window slide)', async () => {
    // Seeded sampling can flip a token where two probabilities differ in the 7th digit; these seeds and weights have
    // no such near-tie, and greedy decoding checks the argmax at every step.
    for (const sampling of [{ temperature: 0 }, { temperature: 0.9, topK: 20, seed: 5 }]) {
      const opts = { maxNewTokens: 24, sampling };
      const [g, c] = [await generate(gpu, [4, 8, 15], opts), await generate(cpu, [4, 8, 15], opts)];
      expect(g.ids).toEqual(c.ids);
      expect(g.windowShifts).toBeGreaterThan(0); // 3 + 24 tokens > n_positions = 19
    }
  });

  it('getParams returns the uploaded parameters', async () => {
    const back = await gpu.getParams();
    for (const [[name, a], [, b]] of flattenParams(back).map((e, i) => [e, flattenParams(params)[i]] as const)) {
      expectClose(a, b as Tensor, name, { atol: 0, rtol: 0 });
    }
  });

  it('rejects bad input with the same error codes as the CPU engine', async () => {
    const bad: [readonly number[], RunOptions][] = [
      [[], {}],
      [[71], {}],
      [[1.5], {}],
      [new Array(20).fill(1), {}],
      [[1], { temperature: 0 }],
      [[1], { capture: ['blocks.3.hook_resid_pre'] }],
      [[1], { hooks: { nope: () => undefined } }],
      [[1, 2], { hooks: { 'blocks.0.hook_resid_mid': () => tensor([1, 30], new Float32Array(30)) } }],
      [[1], { cache: cpu.createCache() }],
    ];
    for (const [badIds, options] of bad) {
      const cpuErr = await cpu.run(badIds, options).catch((e: unknown) => e);
      const gpuErr = await gpu.run(badIds, options).catch((e: unknown) => e);
      expect(gpuErr, JSON.stringify(badIds)).toBeInstanceOf(GlassboxError);
      if (options.cache) expect((gpuErr as GlassboxError).code).toBe('unsupported');
      else expect((gpuErr as GlassboxError).code).toBe((cpuErr as GlassboxError).code);
    }
  });
});

describe('WebGPU engine limits and device loss', () => {
  it('a model larger than maxStorageBufferBindingSize fails with an error naming the limit', async () => {
    const small = new GpuContext(ctx.device, null, { ...readLimits(ctx.device), maxStorageBufferBindingSize: 4096 });
    const err = await WebGpuEngine.create(config, params, { context: small }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GlassboxError);
    expect((err as GlassboxError).code).toBe('device-limit');
    expect((err as GlassboxError).message).toMatch(
      /maxStorageBufferBindingSize.*embed\.W_E|embed\.W_E.*maxStorageBufferBindingSize/,
    );
  });

  it('a sequence whose activations exceed the limit fails before any GPU work, naming the limit', async () => {
    // A wide vocabulary: W_E [1000, 8] is 32,000 bytes, and so are the logits of 8 positions; 9 positions are too many.
    const wide = validateConfig({ vocab_size: 1000, n_positions: 64, n_embd: 8, n_layer: 1, n_head: 2 });
    const limited = new GpuContext(ctx.device, null, { ...readLimits(ctx.device), maxStorageBufferBindingSize: 32000 });
    const engine = await WebGpuEngine.create(wide, initParams(wide, { seed: 1 }), { context: limited });
    await expect(engine.run(new Array(8).fill(2))).resolves.toBeDefined();
    const submits = limited.counters.submits;
    const err = await engine.run(new Array(9).fill(2)).catch((e: unknown) => e);
    expect((err as GlassboxError).code).toBe('device-limit');
    expect((err as GlassboxError).message).toMatch(/logits.*maxStorageBufferBindingSize ≥ 36000/);
    expect(limited.counters.submits).toBe(submits);
    engine.dispose();
  });

  it.each([
    ['maxComputeWorkgroupsPerDimension', 1],
    ['maxComputeWorkgroupStorageSize', 128], // the row reductions need 64 × 4 bytes
    ['maxComputeInvocationsPerWorkgroup', 32],
  ] as const)('a device with a small %s fails the run with an error naming it', async (limit, value) => {
    const limited = new GpuContext(ctx.device, null, { ...readLimits(ctx.device), [limit]: value });
    const engine = await WebGpuEngine.create(config, params, { context: limited });
    const err = await engine.run(ids).catch((e: unknown) => e);
    expect((err as GlassboxError).code).toBe('device-limit');
    expect((err as GlassboxError).message).toContain(limit);
    engine.dispose();
  });

  it('a lost device fails the run with device-lost, and a new engine works', async () => {
    const own = await GpuContext.create({ gpu: await nodeGpu() });
    const engine = await WebGpuEngine.create(config, params, { context: own });
    // Lose the device half-way through a run (a hook runs between two submissions).
    const err = await engine
      .run([1, 2, 3], { hooks: { hook_embed: () => own.device.destroy() } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GlassboxError);
    expect((err as GlassboxError).code).toBe('device-lost');
    await expect(engine.run([1])).rejects.toMatchObject({ code: 'device-lost' });
    const fresh = await WebGpuEngine.create(config, params, { gpu: await nodeGpu() });
    const c = await cpu.run([1, 2, 3]);
    expectClose((await fresh.run([1, 2, 3])).logits, c.logits, 'logits on the new device', TOL);
    fresh.dispose();
  });
});
