import { describe, it } from 'vitest';
import {
  causalMask as cpuMask,
  attentionMix as cpuMix,
  attentionScores as cpuScores,
  softmax as cpuSoftmax,
} from '../../cpu/ops';
import { createRng } from '../../rng';
import type { Tensor } from '../../tensor';
import { stack } from '../../tensor';
import { expectClose, randn, readAll, run, sequence, testContext, toGpu } from '../testing';
import { attentionMix } from './attentionMix.wgsl';
import { attentionScores } from './attentionScores.wgsl';
import { causalMask } from './causalMask.wgsl';
import { softmax } from './softmax.wgsl';

// [B, T, S, H, dh]. B = 0: unbatched 3-D operands (inference): a prompt, one decoded token after a cache of 12, a
// prompt continuing a cache, and T = S = n_positions. B ≥ 1: the training step's batches (S = T), and a batch of
// queries after a cache (S > T) for generality.
const CASES: [number, number, number, number, number][] = [
  [0, 1, 1, 1, 1],
  [0, 7, 7, 3, 5],
  [0, 1, 13, 2, 8],
  [0, 4, 10, 4, 3],
  [0, 97, 97, 2, 6],
  [1, 5, 5, 2, 3],
  [3, 7, 7, 3, 5],
  [2, 1, 1, 1, 1],
  [4, 33, 33, 2, 16],
  [2, 4, 10, 4, 3],
];

describe('attention kernels (scores, causal softmax, mix)', () => {
  it.each(CASES)('match the CPU ops for B=%i, T=%i, S=%i, H=%i, dh=%i', async (B, T, S, H, dh) => {
    const ctx = await testContext();
    const rng = createRng(B * 97 + T * 31 + S);
    const shape = (...dims: number[]) => (B === 0 ? dims : [B, ...dims]);
    const q = randn(rng, shape(T, H, dh));
    const k = randn(rng, shape(S, H, dh));
    const v = randn(rng, shape(S, H, dh));
    const mask = ctx.alloc([T, S], 'mask');
    const scores = ctx.alloc(shape(H, T, S), 'scores');
    const pattern = ctx.alloc(shape(H, T, S), 'pattern');
    const z = ctx.alloc(shape(T, H, dh), 'z');
    await run(ctx, (rec) => {
      causalMask(rec, mask);
      attentionScores(rec, { q: toGpu(ctx, q), k: toGpu(ctx, k), mask, scores });
      softmax(rec, scores, pattern);
      attentionMix(rec, pattern, toGpu(ctx, v), z);
    });
    const [s, p, zz] = await readAll(ctx, [scores, pattern, z]);
    // The CPU ops, sequence by sequence, stacked back when batched.
    const perSeq = (f: (b: number | null) => Tensor) =>
      B === 0 ? f(null) : stack(Array.from({ length: B }, (_, b) => f(b)));
    const at = (t: Tensor, b: number | null) => (b === null ? t : sequence(t, b));
    const cpuMaskTS = cpuMask(T, S, q);
    const refScores = perSeq((b) => cpuScores(at(q, b), at(k, b), cpuMaskTS));
    expectClose(s, refScores, 'scores (−∞ where masked)');
    const refPattern = perSeq((b) => cpuSoftmax(at(refScores, b)));
    expectClose(p, refPattern, 'pattern');
    // The mix is checked on the GPU's own pattern so its error is not compounded with the softmax's.
    expectClose(
      zz,
      perSeq((b) => cpuMix(at(p, b), at(v, b))),
      'z',
    );
    expectClose(
      zz,
      perSeq((b) => cpuMix(at(refPattern, b), at(v, b))),
      'z from the CPU pattern',
      { rtol: 1e-4 },
    );
  });
});
