import { describe, expect, it } from 'vitest';
import { linear, linearTransposed } from '../../cpu/ops';
import { createRng } from '../../rng';
import type { Tensor } from '../../tensor';
import { tensor } from '../../tensor';
import { expectClose, randn, readAll, run, testContext, toGpu } from '../testing';
import { chooseKernel, type MatmulKernel, matmul } from './matmul.wgsl';

function transpose(t: Tensor): Tensor {
  const [r, c] = t.shape;
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j];
  return tensor([c, r], out);
}

// Sizes straddle the 64-wide tile and the 16-deep K slice: 1, below, at and above a tile, and primes.
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 48, 200], // one token (decode) through a layer: the few-rows kernel
  [4, 33, 70], // the last size the few-rows kernel takes
  [5, 33, 70], // the first the tiled kernel takes
  [7, 13, 5],
  [64, 16, 64],
  [65, 17, 129],
  [130, 67, 3],
];

const KERNELS: MatmulKernel[] = ['tiled', 'block', 'rows'];
/** Every shape through every kernel (each must be right everywhere; the choice between them is only speed). */
const CASES = KERNELS.flatMap((kernel) => SHAPES.map(([N, K, M]) => [N, K, M, kernel] as const));

describe('matmul kernel', () => {
  it.each(CASES)('y = x·W + b matches the CPU linear for [%i, %i]·[%i] (%s)', async (N, K, M, kernel) => {
    const ctx = await testContext();
    const rng = createRng(N * 1000 + K * 10 + M);
    const x = randn(rng, [N, K]);
    const W = randn(rng, [K, M]);
    const b = randn(rng, [M]);
    const out = ctx.alloc([N, M], 'y');
    await run(ctx, (rec) => matmul(rec, { a: toGpu(ctx, x), b: toGpu(ctx, W), bias: toGpu(ctx, b), out, kernel }));
    const [y] = await readAll(ctx, [out]);
    expectClose(y, linear(x, W, b), 'x·W + b');
  });

  it.each(CASES)(
    'y = x·Wᵀ (tied unembedding) matches linearTransposed for [%i, %i]·[%i]ᵀ (%s)',
    async (N, K, M, kernel) => {
      const ctx = await testContext();
      const rng = createRng(N + K + M);
      const x = randn(rng, [N, K]);
      const W = randn(rng, [M, K]);
      const out = ctx.alloc([N, M], 'y');
      await run(ctx, (rec) => matmul(rec, { a: toGpu(ctx, x), b: toGpu(ctx, W), out, transB: true, kernel }));
      const [y] = await readAll(ctx, [out]);
      expectClose(y, linearTransposed(x, W), 'x·Wᵀ');
    },
  );

  it.each(KERNELS.flatMap((kernel) => [[37, 70, 19, kernel] as const, [3, 70, 19, kernel] as const]))(
    'Y += Aᵀ·B accumulates (the weight-gradient form), N=%i K=%i M=%i (%s)',
    async (N, K, M, kernel) => {
      const ctx = await testContext();
      const rng = createRng(7);
      const A = randn(rng, [K, N]); // stored transposed
      const B = randn(rng, [K, M]);
      const Y0 = randn(rng, [N, M]);
      const out = toGpu(ctx, Y0);
      await run(ctx, (rec) =>
        matmul(rec, { a: toGpu(ctx, A), b: toGpu(ctx, B), out, transA: true, accumulate: true, kernel }),
      );
      const [y] = await readAll(ctx, [out]);
      const ref = linear(transpose(A), B);
      for (let i = 0; i < ref.data.length; i++) ref.data[i] += Y0.data[i];
      expectClose(y, ref, 'Aᵀ·B + Y');
    },
  );

  it('picks the kernel from the shape and adapter: rows for ≤ 4 rows, tiles only when enough to fill a GPU', () => {
    expect(chooseKernel(1, 50257)).toBe('rows');
    expect(chooseKernel(64, 128)).toBe('block'); // 2 tiles
    expect(chooseKernel(64, 2048)).toBe('tiled'); // 32 tiles
    expect(chooseKernel(64, 2048, true)).toBe('block'); // no barriers on a CPU-emulated adapter
  });

  it('rejects mismatched shapes before touching the GPU', async () => {
    const ctx = await testContext();
    const a = ctx.alloc([3, 4], 'a');
    const b = ctx.alloc([5, 6], 'b');
    const out = ctx.alloc([3, 6], 'out');
    await run(ctx, (rec) => {
      expect(() => matmul(rec, { a, b, out })).toThrow(/bad|shape/);
    });
  });
});
