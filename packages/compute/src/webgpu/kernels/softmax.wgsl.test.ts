import { describe, expect, it } from 'vitest';
import { softmax as cpuSoftmax } from '../../cpu/ops';
import { createRng } from '../../rng';
import { tensor } from '../../tensor';
import { expectClose, randn, readAll, run, testContext, toGpu } from '../testing';
import { scaleBy } from './scale.wgsl';
import { softmax } from './softmax.wgsl';

// Both kernel families: one thread per row (CPU-emulated adapters, many short rows) and a workgroup per row.
describe.each([true, false])('softmax kernel (emulated-adapter variants: %s)', (emulated) => {
  it.each([
    [1, 1],
    [3, 7],
    [2, 255],
    [4, 1001], // several strided sweeps per thread (64-thread rows)
    [2, 3001], // a vocabulary-wide row: the 256-thread variant
    [130, 64], // many short rows (attention patterns): one thread per row
    [129, 256], // the widest rows that variant takes
  ])('matches the CPU softmax for [%i, %i]', async (R, C) => {
    const ctx = await testContext({ emulated });
    const x = randn(createRng(R * C), [R, C], 5);
    const y = ctx.alloc([R, C], 'y');
    await run(ctx, (rec) => softmax(rec, toGpu(ctx, x), y));
    const [out] = await readAll(ctx, [y]);
    expectClose(out, cpuSoftmax(x), 'softmax');
  });

  // 3 rows take the workgroup-per-row kernel, 150 copies of them the one-thread-per-row kernel.
  it.each([1, 50])('gives exact zeros for −∞ and an all-zero row when everything is masked (%i copies)', async (n) => {
    const ctx = await testContext({ emulated });
    const NI = Number.NEGATIVE_INFINITY;
    const rows = [0.5, NI, 2, NI, NI, NI, NI, NI, 1000, -1000, NI, 999];
    const x = tensor(
      [3 * n, 4],
      Float64Array.from({ length: 12 * n }, (_, i) => rows[i % 12]),
    );
    const y = ctx.alloc([3 * n, 4], 'y');
    await run(ctx, (rec) => softmax(rec, toGpu(ctx, x), y));
    const [out] = await readAll(ctx, [y]);
    for (let c = 0; c < n; c++) {
      expect(out.data[12 * c + 1]).toBe(0);
      expect([...out.data.subarray(12 * c + 4, 12 * c + 8)]).toEqual([0, 0, 0, 0]);
    }
    expectClose(out, cpuSoftmax(x), 'masked softmax');
  });

  it('with temperature: softmax(logits / t) matches the CPU', async () => {
    const ctx = await testContext({ emulated });
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
