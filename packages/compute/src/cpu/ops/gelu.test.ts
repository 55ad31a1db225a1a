import { describe, expect, it } from 'vitest';
import { createRng } from '../../rng';
import { tensor } from '../../tensor';
import { compareGradients, numericGradient, probeLoss, randomTensor } from '../../train/gradcheck';
import { gelu, geluBackward } from './gelu';

describe('geluBackward', () => {
  it('matches finite differences, including around 0 and far in both tails', () => {
    const rng = createRng(3);
    const x = tensor([2, 6], [-6, -2, -0.5, 0, 0.5, 2, 6, 1e-3, -1e-3, 3, -3, 0.1], 'float64');
    const dy = randomTensor([2, 6], rng);
    const L = () => probeLoss(gelu(x), dy);
    expect(compareGradients(geluBackward(dy, x), numericGradient(L, x)).maxRelError).toBeLessThan(1e-6);
  });

  it('has slope 1/2 at 0, ~1 far right and ~0 far left', () => {
    const x = tensor([3], [0, 10, -10], 'float64');
    const dx = geluBackward(tensor([3], [1, 1, 1], 'float64'), x);
    expect(dx.data[0]).toBe(0.5);
    expect(dx.data[1]).toBeCloseTo(1, 12);
    expect(Math.abs(dx.data[2])).toBeLessThan(1e-12);
  });

  it('rejects a dy of another shape', () => {
    expect(() => geluBackward(tensor([2], [1, 1]), tensor([3], [1, 2, 3]))).toThrow(/geluBackward/);
  });
});
