import { describe, it } from 'vitest';
import {
  causalMask as cpuMask,
  attentionMix as cpuMix,
  attentionScores as cpuScores,
  softmax as cpuSoftmax,
} from '../../cpu/ops';
import { createRng } from '../../rng';
import type { Tensor } from '../../tensor';
import { stack, tensor } from '../../tensor';
import { expectClose, randn, readAll, run, testContext, toGpu } from '../testing';
import { attentionMix } from './attentionMix.wgsl';
import { attentionScores } from './attentionScores.wgsl';
import { causalMask } from './causalMask.wgsl';
import { softmax } from './softmax.wgsl';

// [T, S, H, dh]: a prompt, one decoded token after a cache of 12, a prompt continuing a cache, and T = S = n_positions.
const CASES: [number, number, number, number][] = [
  [1, 1, 1, 1],
  [7, 7, 3, 5],
  [1, 13, 2, 8],
  [4, 10, 4, 3],
  [97, 97, 2, 6],
];

describe('attention kernels (scores, causal softmax, mix)', () => {
  it.each(CASES)('match the CPU ops for T=%i, S=%i, H=%i, dh=%i', async (T, S, H, dh) => {
    const ctx = await testContext();
    const rng = createRng(T * 31 + S);
    const q = randn(rng, [T, H, dh]);
    const k = randn(rng, [S, H, dh]);
    const v = randn(rng, [S, H, dh]);
    const mask = ctx.alloc([T, S], 'mask');
    const scores = ctx.alloc([H, T, S], 'scores');
    const pattern = ctx.alloc([H, T, S], 'pattern');
    const z = ctx.alloc([T, H, dh], 'z');
    const vGpu = toGpu(ctx, v);
    await run(ctx, (rec) => {
      causalMask(rec, mask);
      attentionScores(rec, { q: toGpu(ctx, q), k: toGpu(ctx, k), mask, scores });
      softmax(rec, scores, pattern);
      attentionMix(rec, pattern, vGpu, z);
    });
    const [s, p, zz] = await readAll(ctx, [scores, pattern, z]);
    const refScores = cpuScores(q, k, cpuMask(T, S, q));
    expectClose(s, refScores, 'scores (−∞ where masked)');
    const refPattern = cpuSoftmax(refScores);
    expectClose(p, refPattern, 'pattern');
    // The mix is checked on the GPU's own pattern so its error is not compounded with the softmax's.
    expectClose(zz, cpuMix(p, v), 'z');
    expectClose(zz, cpuMix(refPattern, v), 'z from the CPU pattern', { rtol: 1e-4 });
  });
});

/** Sequence b of a [B, …] tensor. */
function seq(t: Tensor, b: number): Tensor {
  const n = t.data.length / t.shape[0];
  return tensor(t.shape.slice(1), t.data.subarray(b * n, (b + 1) * n));
}

// [B, T, S, H, dh]: the training step's batches (S = T), and a batch of queries after a cache (S > T) for generality.
const BATCHED: [number, number, number, number, number][] = [
  [1, 5, 5, 2, 3],
  [3, 7, 7, 3, 5],
  [2, 1, 1, 1, 1],
  [4, 33, 33, 2, 16],
  [2, 4, 10, 4, 3],
];

describe('attention kernels with a batch dimension', () => {
  it.each(BATCHED)(
    'give each of B=%i sequences its own attention (T=%i, S=%i, H=%i, dh=%i)',
    async (B, T, S, H, dh) => {
      const ctx = await testContext();
      const rng = createRng(B * 97 + T * 31 + S);
      const q = randn(rng, [B, T, H, dh]);
      const k = randn(rng, [B, S, H, dh]);
      const v = randn(rng, [B, S, H, dh]);
      const mask = ctx.alloc([T, S], 'mask');
      const scores = ctx.alloc([B, H, T, S], 'scores');
      const pattern = ctx.alloc([B, H, T, S], 'pattern');
      const z = ctx.alloc([B, T, H, dh], 'z');
      await run(ctx, (rec) => {
        causalMask(rec, mask);
        attentionScores(rec, { q: toGpu(ctx, q), k: toGpu(ctx, k), mask, scores });
        softmax(rec, scores, pattern);
        attentionMix(rec, pattern, toGpu(ctx, v), z);
      });
      const [s, p, zz] = await readAll(ctx, [scores, pattern, z]);
      const seqs = Array.from({ length: B }, (_, b) => b);
      const cpuMaskTS = cpuMask(T, S, q);
      const refScores = stack(seqs.map((b) => cpuScores(seq(q, b), seq(k, b), cpuMaskTS)));
      expectClose(s, refScores, 'batched scores (−∞ where masked)');
      expectClose(p, stack(seqs.map((b) => cpuSoftmax(seq(refScores, b)))), 'batched pattern');
      expectClose(zz, stack(seqs.map((b) => cpuMix(seq(p, b), seq(v, b)))), 'batched z');
    },
  );
});
