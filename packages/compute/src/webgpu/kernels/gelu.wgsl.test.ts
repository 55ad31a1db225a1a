import { describe, expect, it } from 'vitest';
import { gelu as cpuGelu } from '../../cpu/ops';
import { createRng } from '../../rng';
import { tensor } from '../../tensor';
import { expectClose, randn, readAll, run, testContext, toGpu } from '../testing';
import { gelu } from './gelu.wgsl';

describe('gelu kernel', () => {
  it.each([1, 255, 257, 3 * 1000 + 1])('matches the CPU GELU on %i random values', async (n) => {
    const ctx = await testContext();
    const x = randn(createRng(n), [n], 3);
    const y = ctx.alloc([n], 'y');
    await run(ctx, (rec) => gelu(rec, toGpu(ctx, x), y));
    const [out] = await readAll(ctx, [y]);
    expectClose(out, cpuGelu(x), 'gelu');
  });

  it('stays finite and exact-ish far from zero (no tanh overflow)', async () => {
    const ctx = await testContext();
    const x = tensor([8], new Float64Array([-1e4, -100, -30, -10, 10, 30, 100, 1e4]));
    const y = ctx.alloc([8], 'y');
    await run(ctx, (rec) => gelu(rec, toGpu(ctx, x), y));
    const [out] = await readAll(ctx, [y]);
    expect([...out.data].every(Number.isFinite)).toBe(true);
    expectClose(out, cpuGelu(x), 'gelu tails');
  });
});
