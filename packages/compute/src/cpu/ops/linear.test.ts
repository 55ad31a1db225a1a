import { describe, expect, it } from 'vitest';
import { GlassboxError } from '../../errors';
import { createRng } from '../../rng';
import { zeros } from '../../tensor';
import { compareGradients, numericGradient, probeLoss, randomTensor } from '../../train/gradcheck';
import { linear, linearBackward, linearTransposed, linearTransposedBackward } from './linear';

describe('linearBackward', () => {
  it('matches finite differences for x, W and b', () => {
    const rng = createRng(1);
    const x = randomTensor([3, 4], rng);
    const W = randomTensor([4, 5], rng);
    const b = randomTensor([5], rng);
    const dy = randomTensor([3, 5], rng);
    const { dx, dW, db } = linearBackward(dy, x, W);
    const L = () => probeLoss(linear(x, W, b), dy);
    expect(compareGradients(dx, numericGradient(L, x)).maxRelError).toBeLessThan(1e-6);
    expect(compareGradients(dW, numericGradient(L, W)).maxRelError).toBeLessThan(1e-6);
    expect(compareGradients(db, numericGradient(L, b)).maxRelError).toBeLessThan(1e-6);
  });

  it('gives a zero input row a zero contribution to dW but still a gradient dx', () => {
    const x = zeros([2, 2], 'float64');
    x.data.set([0, 0, 1, 2]);
    const W = zeros([2, 3], 'float64');
    W.data.set([1, 2, 3, 4, 5, 6]);
    const dy = zeros([2, 3], 'float64');
    dy.data.set([1, 0, 0, 0, 0, 1]);
    const { dx, dW, db } = linearBackward(dy, x, W);
    expect(Array.from(dx.data)).toEqual([1, 4, 3, 6]);
    expect(Array.from(dW.data)).toEqual([0, 0, 1, 0, 0, 2]);
    expect(Array.from(db.data)).toEqual([1, 0, 1]);
  });

  it('rejects a dy whose shape does not match the forward', () => {
    const x = zeros([2, 3]);
    const W = zeros([3, 4]);
    expect(() => linearBackward(zeros([2, 5]), x, W)).toThrow(GlassboxError);
  });
});

describe('linearTransposedBackward (tied unembedding)', () => {
  it('matches finite differences for x and W', () => {
    const rng = createRng(2);
    const x = randomTensor([3, 4], rng);
    const W = randomTensor([6, 4], rng);
    const dy = randomTensor([3, 6], rng);
    const { dx, dW } = linearTransposedBackward(dy, x, W);
    const L = () => probeLoss(linearTransposed(x, W), dy);
    expect(compareGradients(dx, numericGradient(L, x)).maxRelError).toBeLessThan(1e-6);
    expect(compareGradients(dW, numericGradient(L, W)).maxRelError).toBeLessThan(1e-6);
  });

  it('rejects mismatched shapes with a GlassboxError', () => {
    expect(() => linearTransposedBackward(zeros([2, 5]), zeros([2, 4]), zeros([6, 4]))).toThrow(/does not match/);
  });
});
