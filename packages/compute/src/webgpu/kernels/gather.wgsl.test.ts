import { describe, expect, it } from 'vitest';
import { gatherRows as cpuGather, positionRows as cpuPositions } from '../../cpu/ops';
import { createRng } from '../../rng';
import { tensor } from '../../tensor';
import { expectClose, randn, readAll, run, testContext, toGpu } from '../testing';
import { gatherRows, positionRows } from './gather.wgsl';

describe('embedding gather kernels', () => {
  it('gathers token rows in any order, with repeats', async () => {
    const ctx = await testContext();
    const table = randn(createRng(1), [53, 19]);
    const ids = [52, 0, 7, 7, 31, 1, 52];
    const idsGpu = ctx.createTensor([ids.length], null, 'ids');
    const out = ctx.alloc([ids.length, 19], 'out');
    await run(ctx, (rec) => {
      rec.upload(idsGpu, new Uint32Array(ids));
      gatherRows(rec, toGpu(ctx, table), idsGpu, out);
    });
    const [y] = await readAll(ctx, [out]);
    expectClose(y, cpuGather(table, ids), 'token rows', { atol: 0, rtol: 0 });
  });

  it.each([
    [0, 1],
    [5, 1],
    [0, 23],
    [3, 20],
  ])('reads position rows start=%i, T=%i (the last fills n_positions)', async (start, T) => {
    const ctx = await testContext();
    const W_pos = randn(createRng(2), [23, 10]);
    const out = ctx.alloc([T, 10], 'out');
    await run(ctx, (rec) => positionRows(rec, toGpu(ctx, W_pos), start, out));
    const [y] = await readAll(ctx, [out]);
    expectClose(y, cpuPositions(W_pos, start, T), 'position rows', { atol: 0, rtol: 0 });
  });

  it.each([
    [3, 5],
    [4, 23],
    [2, 1],
  ])('repeats position rows 0 … T−1 for each of B=%i sequences of T=%i', async (B, T) => {
    const ctx = await testContext();
    const W_pos = randn(createRng(4), [23, 10]);
    const out = ctx.alloc([B * T, 10], 'out');
    await run(ctx, (rec) => positionRows(rec, toGpu(ctx, W_pos), 0, out, T));
    const [y] = await readAll(ctx, [out]);
    const one = cpuPositions(W_pos, 0, T);
    expectClose(y, tensor([B * T, 10], Array.from({ length: B }, () => [...one.data]).flat()), 'position rows', {
      atol: 0,
      rtol: 0,
    });
  });

  it('refuses positions past the table', async () => {
    const ctx = await testContext();
    const W_pos = ctx.alloc([4, 2], 'W_pos');
    const out = ctx.alloc([3, 2], 'out');
    await run(ctx, (rec) => {
      expect(() => positionRows(rec, W_pos, 2, out)).toThrow(/exceed/);
      expect(() => positionRows(rec, W_pos, 0, out, 2)).toThrow(/sequences of 2/);
    });
  });
});
