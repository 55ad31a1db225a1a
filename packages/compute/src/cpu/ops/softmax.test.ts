import { describe, expect, it } from 'vitest';
import { createRng } from '../../rng';
import { tensor } from '../../tensor';
import { compareGradients, numericGradient, probeLoss, randomTensor } from '../../train/gradcheck';
import { softmax, softmaxBackward } from './softmax';

describe('softmaxBackward', () => {
  it('matches finite differences over several rows', () => {
    const rng = createRng(4);
    const x = randomTensor([3, 5], rng, 2);
    const dy = randomTensor([3, 5], rng);
    const L = () => probeLoss(softmax(x), dy);
    expect(compareGradients(softmaxBackward(dy, softmax(x)), numericGradient(L, x)).maxRelError).toBeLessThan(1e-6);
  });

  it('gives masked (−∞) entries exactly zero gradient and the others their finite-difference value', () => {
    const NEG = Number.NEGATIVE_INFINITY;
    const x = tensor([2, 3], [0.3, NEG, NEG, -0.2, 0.7, NEG], 'float64');
    const dy = tensor([2, 3], [1, 5, -7, 0.5, -1, 9], 'float64');
    const dx = softmaxBackward(dy, softmax(x));
    expect([dx.data[1], dx.data[2], dx.data[5]]).toEqual([0, 0, 0]);
    // A row with one allowed entry is constant (probability 1), so it has no gradient at all.
    expect(dx.data[0]).toBe(0);
    const L = () => probeLoss(softmax(x), dy);
    const numeric = numericGradient(L, x, [3, 4]);
    expect(compareGradients(dx, numeric, [3, 4]).maxRelError).toBeLessThan(1e-6);
  });

  it('each row of the gradient sums to zero (adding a constant to a row changes nothing)', () => {
    const rng = createRng(5);
    const x = randomTensor([4, 6], rng);
    const dx = softmaxBackward(randomTensor([4, 6], rng), softmax(x));
    for (let r = 0; r < 4; r++) {
      let s = 0;
      for (let c = 0; c < 6; c++) s += dx.data[r * 6 + c];
      expect(Math.abs(s)).toBeLessThan(1e-14);
    }
  });
});
