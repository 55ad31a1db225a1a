import { describe, it } from 'vitest';
import { causalMask as cpuMask } from '../../cpu/ops';
import { zeros } from '../../tensor';
import { expectClose, readAll, run, testContext } from '../testing';
import { causalMask } from './causalMask.wgsl';

describe('causalMask kernel', () => {
  it.each([
    [1, 1],
    [1, 9], // decoding one token after 8 cached
    [7, 7],
    [5, 12],
    [300, 300],
  ])('matches the CPU mask for T=%i, S=%i', async (T, S) => {
    const ctx = await testContext();
    const mask = ctx.alloc([T, S], 'mask');
    await run(ctx, (rec) => causalMask(rec, mask));
    const [m] = await readAll(ctx, [mask]);
    expectClose(m, cpuMask(T, S, zeros([1])), 'mask', { atol: 0, rtol: 0 });
  });
});
