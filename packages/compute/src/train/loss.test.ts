import { describe, expect, it } from 'vitest';
import { GlassboxError } from '../errors';
import { tensor } from '../tensor';
import { compareGradients, numericGradient } from './gradcheck';
import { crossEntropy, crossEntropyBackward } from './loss';

describe('cross-entropy', () => {
  it('is log V for uniform logits and −log p(target) in general', () => {
    expect(crossEntropy(tensor([1, 4], [0, 0, 0, 0], 'float64'), [2])[0]).toBeCloseTo(Math.log(4), 15);
    const l = crossEntropy(tensor([1, 3], [1, 2, 3], 'float64'), [0])[0];
    const p0 = Math.exp(1) / (Math.exp(1) + Math.exp(2) + Math.exp(3));
    expect(l).toBeCloseTo(-Math.log(p0), 14);
  });

  it('stays finite for huge logits (the max is subtracted before exp)', () => {
    const l = crossEntropy(tensor([1, 2], [1000, 999], 'float32'), [1]);
    expect(l[0]).toBeCloseTo(Math.log(1 + Math.E), 5);
  });

  it('backward is (softmax − onehot)/N and matches finite differences of the mean loss', () => {
    const z = tensor([2, 3], [0.1, -0.4, 0.9, 1.5, 0.2, -1], 'float64');
    const y = [2, 0];
    const N = 2;
    const mean = () => {
      const l = crossEntropy(z, y);
      return (l[0] + l[1]) / N;
    };
    const d = crossEntropyBackward(z, y, N);
    expect(compareGradients(d, numericGradient(mean, z)).maxRelError).toBeLessThan(1e-6);
    for (let t = 0; t < 2; t++)
      expect(Math.abs(d.data[t * 3] + d.data[t * 3 + 1] + d.data[t * 3 + 2])).toBeLessThan(1e-16);
  });

  it('rejects targets that are not token ids or do not match the positions', () => {
    const z = tensor([2, 3], [0, 0, 0, 0, 0, 0]);
    expect(() => crossEntropy(z, [0, 3])).toThrow(GlassboxError);
    expect(() => crossEntropy(z, [0])).toThrow(/1 targets for 2 positions/);
  });
});
