import { describe, expect, it } from 'vitest';
import { createRng } from '../../rng';
import { tensor } from '../../tensor';
import { clipGradNorm } from '../../train/clip';
import type { ParamGrads } from '../../train/grads';
import { expectClose, randn, readAll, run, testContext, toGpu } from '../testing';
import { clipApply } from './clipApply.wgsl';
import { clipScale } from './clipScale.wgsl';
import { SUM_SQUARES_CHUNK, sumSquares, sumSquaresChunks } from './sumSquares.wgsl';

describe('global gradient norm and clipping kernels (sumSquares → clipScale → clipApply)', () => {
  it.each([
    [1, 0.5],
    [Number.POSITIVE_INFINITY, 1],
  ])('match clipGradNorm with maxNorm %f over tensors spanning several 4096-element chunks', async (maxNorm, std) => {
    const ctx = await testContext();
    const rng = createRng(11);
    // A model's gradients are many tensors; here three of awkward sizes, one spanning three chunks.
    const shapes = [[2 * SUM_SQUARES_CHUNK + 5], [1], [257]];
    const tensors = shapes.map((s) => randn(rng, s, std));
    const gpu = tensors.map((t) => toGpu(ctx, t));
    const chunks = shapes.reduce((n, s) => n + sumSquaresChunks(s[0]), 0);
    const partials = ctx.alloc([chunks], 'partials');
    const status = ctx.alloc([4], 'status');
    await run(ctx, (rec) => {
      let offset = 0;
      gpu.forEach((t, i) => {
        sumSquares(rec, t, partials, offset);
        offset += sumSquaresChunks(shapes[i][0]);
      });
      clipScale(rec, partials, maxNorm, status);
      for (const t of gpu) clipApply(rec, t, status);
    });
    const [st, ...clipped] = await readAll(ctx, [status, ...gpu]);
    // The CPU reference: clipGradNorm (in place) over a gradient tree made of the same three tensors.
    const tree: ParamGrads = {
      embed: { W_E: tensors[0] },
      pos_embed: { W_pos: tensors[1] },
      blocks: [],
      ln_final: { w: tensors[2], b: tensor([0], []) },
    };
    const ref = clipGradNorm(tree, maxNorm);
    expect(st.data[0]).toBeCloseTo(ref.norm, 3);
    expect(st.data[1]).toBeCloseTo(ref.scale, 6);
    expect(st.data[2]).toBe(1);
    for (const [i, c] of clipped.entries()) expectClose(c, tensors[i], `clipped ${i}`);
  });

  it('flags a non-finite norm (ok = 0, scale 0)', async () => {
    const ctx = await testContext();
    const g = toGpu(ctx, tensor([3], [1, Number.POSITIVE_INFINITY, 2]));
    const partials = ctx.alloc([1], 'partials');
    const status = ctx.alloc([4], 'status');
    await run(ctx, (rec) => {
      sumSquares(rec, g, partials, 0);
      clipScale(rec, partials, 1, status);
    });
    const [st] = await readAll(ctx, [status]);
    expect([st.data[1], st.data[2]]).toEqual([0, 0]);
  });
});
