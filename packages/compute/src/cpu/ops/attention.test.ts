import { describe, expect, it } from 'vitest';
import { createRng } from '../../rng';
import type { Tensor } from '../../tensor';
import { compareGradients, numericGradient, probeLoss, randomTensor } from '../../train/gradcheck';
import { attentionMix, attentionMixBackward, attentionScores, attentionScoresBackward, causalMask } from './attention';
import { softmax, softmaxBackward } from './softmax';

/** scores → softmax → mix, the whole attention core, with the backward chained the way the model chains it. */
function core(q: Tensor, k: Tensor, v: Tensor, mask: Tensor) {
  const scores = attentionScores(q, k, mask);
  const pattern = softmax(scores);
  return { scores, pattern, z: attentionMix(pattern, v) };
}

describe('attention backward', () => {
  for (const [T, S] of [
    [4, 4],
    [2, 5],
  ]) {
    it(`matches finite differences for q, k and v through the causal mask (T=${T}, S=${S})`, () => {
      const rng = createRng(7 + S);
      const H = 2;
      const dh = 3;
      const q = randomTensor([T, H, dh], rng);
      const k = randomTensor([S, H, dh], rng);
      const v = randomTensor([S, H, dh], rng);
      const mask = causalMask(T, S, q);
      const dz = randomTensor([T, H, dh], rng);
      const { pattern } = core(q, k, v, mask);
      const { dPattern, dv } = attentionMixBackward(dz, pattern, v);
      const dScores = softmaxBackward(dPattern, pattern);
      const { dq, dk } = attentionScoresBackward(dScores, q, k, mask);
      const L = () => probeLoss(core(q, k, v, mask).z, dz);
      expect(compareGradients(dq, numericGradient(L, q)).maxRelError).toBeLessThan(1e-6);
      expect(compareGradients(dk, numericGradient(L, k)).maxRelError).toBeLessThan(1e-6);
      expect(compareGradients(dv, numericGradient(L, v)).maxRelError).toBeLessThan(1e-6);
      // Masked scores get exactly zero gradient; the first query sees only key 0 (past = S − T more with a cache).
      for (let h = 0; h < H; h++)
        for (let t = 0; t < T; t++)
          for (let s = 0; s < S; s++) if (mask.data[t * S + s] === 0) expect(dScores.data[(h * T + t) * S + s]).toBe(0);
    });
  }

  it('dPattern is the derivative with respect to the pattern itself (as a hook that edits it would see)', () => {
    const rng = createRng(11);
    const pattern = randomTensor([2, 3, 3], rng);
    const v = randomTensor([3, 2, 4], rng);
    const dz = randomTensor([3, 2, 4], rng);
    const { dPattern, dv } = attentionMixBackward(dz, pattern, v);
    const L = () => probeLoss(attentionMix(pattern, v), dz);
    expect(compareGradients(dPattern, numericGradient(L, pattern)).maxRelError).toBeLessThan(1e-6);
    expect(compareGradients(dv, numericGradient(L, v)).maxRelError).toBeLessThan(1e-6);
  });

  it('rejects tensors whose sizes disagree', () => {
    const rng = createRng(12);
    const q = randomTensor([2, 1, 2], rng);
    expect(() => attentionScoresBackward(randomTensor([1, 2, 3], rng), q, q, causalMask(2, 2, q))).toThrow(
      /attentionScoresBackward/,
    );
  });
});
