import { describe, it } from 'vitest';
import { add as cpuAdd } from '../../cpu/ops';
import { createRng } from '../../rng';
import { expectClose, randn, readAll, run, testContext, toGpu } from '../testing';
import { add } from './add.wgsl';

describe('add kernel', () => {
  it.each([
    [1, 1],
    [3, 85],
    [17, 257],
  ])('matches the CPU residual add for [%i, %i]', async (T, d) => {
    const ctx = await testContext();
    const rng = createRng(T * d);
    const a = randn(rng, [T, d]);
    const b = randn(rng, [T, d]);
    const y = ctx.alloc([T, d], 'y');
    await run(ctx, (rec) => add(rec, toGpu(ctx, a), toGpu(ctx, b), y));
    const [out] = await readAll(ctx, [y]);
    expectClose(out, cpuAdd(a, b), 'a + b', { rtol: 1e-7 });
  });
});
