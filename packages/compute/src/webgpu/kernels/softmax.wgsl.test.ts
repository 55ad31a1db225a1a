import { describe, expect, it } from 'vitest';
import { softmax as cpuSoftmax } from '../../cpu/ops';
import { createRng } from '../../rng';
import { tensor } from '../../tensor';
import { expectClose, randn, readAll, run, testContext, toGpu } from '../testing';
import { scaleBy } from './scale.wgsl';
import { softmax } from './softmax.wgsl';

describe('softmax kernel', () => {
  it.each([
    [1, 1],
    [3, 7],
    [2, 255],
    [4, 1001], // several strided sweeps per thread (64-thread rows)
    [2, 3001], // a vocabulary-wide row: the 256-thread variant
  ])('matches the CPU softmax for [%i, %i]', async (R, C) => {
    const ctx = await testContext();
    const x = randn(createRng(R * C), [R, C], 5);
    const y = ctx.alloc([R, C], 'y');
    await run(ctx, (rec) => softmax(rec, toGpu(ctx, x), y));
    const [out] = await readAll(ctx, [y]);
    expectClose(out, cpuSoftmax(x), 'softmax');
  });

  it('gives exact zeros for −∞ and an all-zero row when everything is masked', async () => {
    const ctx = await testContext();
    const NI = Number.NEGATIVE_INFINITY;
    const x = tensor([3, 4], new Float64Array([0.5, NI, 2, NI, NI, NI, NI, NI, 1000, -1000, NI, 999]));
    const y = ctx.alloc([3, 4], 'y');
    await run(ctx, (rec) => softmax(rec, toGpu(ctx, x), y));
    const [out] = await readAll(ctx, [y]);
    expect(out.data[1]).toBe(0);
    expect([...out.data.subarray(4, 8)]).toEqual([0, 0, 0, 0]);
    expectClose(out, cpuSoftmax(x), 'masked softmax');
  });

  it('with temperature: softmax(logits / t) matches the CPU', async () => {
    const ctx = await testContext();
    const logits = randn(createRng(9), [2, 77], 3);
    const t = 0.7;
    const scaled = ctx.alloc([2, 77], 'scaled');
    const probs = ctx.alloc([2, 77], 'probs');
    await run(ctx, (rec) => {
      scaleBy(rec, toGpu(ctx, logits), 1 / t, scaled);
      softmax(rec, scaled, probs);
    });
    const [out] = await readAll(ctx, [probs]);
    const ref = cpuSoftmax(
      tensor(
        logits.shape,
        logits.data.map((v) => v * (1 / t)),
      ),
    );
    expectClose(out, ref, 'softmax with temperature');
  });
});
