import { describe, it } from 'vitest';
import { layerNorm as cpuLayerNorm } from '../../cpu/ops';
import { createRng } from '../../rng';
import { tensor } from '../../tensor';
import { expectClose, randn, readAll, run, testContext, toGpu } from '../testing';
import { layerNorm } from './layerNorm.wgsl';

// Both kernel families: one thread per row (CPU-emulated adapters, many short rows) and a workgroup per row.
describe.each([true, false])('layerNorm kernel (emulated-adapter variants: %s)', (emulated) => {
  it.each([
    [1, 1],
    [1, 48],
    [5, 37],
    [9, 300], // wider than the 64-thread workgroup
    [2, 2100], // wide enough for the 256-thread variant
  ])('matches the CPU LayerNorm (output and scale) for [%i, %i]', async (T, d) => {
    const ctx = await testContext({ emulated });
    const rng = createRng(T + d);
    const x = randn(rng, [T, d], 2);
    for (let i = 0; i < x.data.length; i++) x.data[i] = Math.fround(x.data[i] + 3); // a mean far from 0
    const w = randn(rng, [d]);
    const b = randn(rng, [d]);
    const out = ctx.alloc([T, d], 'out');
    const scale = ctx.alloc([T, 1], 'scale');
    await run(ctx, (rec) =>
      layerNorm(rec, { x: toGpu(ctx, x), w: toGpu(ctx, w), b: toGpu(ctx, b), eps: 1e-5, out, scale }),
    );
    const [y, s] = await readAll(ctx, [out, scale]);
    const ref = cpuLayerNorm(x, w, b, 1e-5);
    expectClose(y, ref.out, 'normalized');
    expectClose(s, ref.scale, 'scale');
  });
});

describe.each([true, false])('layerNorm kernel with a given scale (emulated-adapter variants: %s)', (emulated) => {
  it('recomputes the output from a replaced scale, like the CPU model after a hook_scale intervention', async () => {
    const ctx = await testContext({ emulated });
    const rng = createRng(5);
    const [T, d] = [3, 70];
    const x = randn(rng, [T, d]);
    const w = randn(rng, [d]);
    const b = randn(rng, [d]);
    const frozen = tensor([T, 1], new Float64Array([0.5, 2, 7]));
    const out = ctx.alloc([T, d], 'out');
    await run(ctx, (rec) =>
      layerNorm(rec, {
        x: toGpu(ctx, x),
        w: toGpu(ctx, w),
        b: toGpu(ctx, b),
        eps: 1e-5,
        out,
        scale: toGpu(ctx, frozen),
        givenScale: true,
      }),
    );
    const [y] = await readAll(ctx, [out]);
    const ref = new Float64Array(T * d);
    for (let t = 0; t < T; t++) {
      let mean = 0;
      for (let i = 0; i < d; i++) mean += x.data[t * d + i] / d;
      for (let i = 0; i < d; i++) {
        ref[t * d + i] = ((x.data[t * d + i] - mean) / frozen.data[t]) * w.data[i] + b.data[i];
      }
    }
    expectClose(y, tensor([T, d], ref), 'normalized with the given scale');
  });
});
