import { describe, expect, it } from 'vitest';
import { createRng } from '../../rng';
import { tensor, zerosLike } from '../../tensor';
import { centralDifference, compareGradients, numericGradient, probeLoss, randomTensor } from '../../train/gradcheck';
import { layerNorm, layerNormBackward } from './layerNorm';

describe('layerNormBackward', () => {
  const rng = createRng(6);
  const x = randomTensor([3, 5], rng, 2);
  const w = randomTensor([5], rng);
  const b = randomTensor([5], rng);
  const dy = randomTensor([3, 5], rng);
  const eps = 1e-5;
  const { scale } = layerNorm(x, w, b, eps);
  const grads = layerNormBackward(dy, x, w, scale);
  const L = () => probeLoss(layerNorm(x, w, b, eps).out, dy);

  it('matches finite differences for x, w and b', () => {
    expect(compareGradients(grads.dx, numericGradient(L, x)).maxRelError).toBeLessThan(1e-6);
    expect(compareGradients(grads.dw, numericGradient(L, w)).maxRelError).toBeLessThan(1e-6);
    expect(compareGradients(grads.db, numericGradient(L, b)).maxRelError).toBeLessThan(1e-6);
  });

  it('dScale is the derivative with respect to the scale alone, x held fixed', () => {
    // y = (x − mean)/s · w + b with s a free variable per row.
    const s = tensor([3, 1], scale.data, 'float64');
    const withScale = () => {
      const y = zerosLike(x);
      for (let t = 0; t < 3; t++) {
        let mean = 0;
        for (let i = 0; i < 5; i++) mean += x.data[t * 5 + i] / 5;
        for (let i = 0; i < 5; i++)
          y.data[t * 5 + i] = ((x.data[t * 5 + i] - mean) / s.data[t]) * w.data[i] + b.data[i];
      }
      return probeLoss(y, dy);
    };
    for (let t = 0; t < 3; t++) {
      const numeric = centralDifference(withScale, s.data, t);
      expect(Math.abs(grads.dScale.data[t] - numeric) / Math.abs(numeric)).toBeLessThan(1e-6);
    }
  });

  it('dx of each row sums to zero (shifting a row leaves its normalisation unchanged)', () => {
    for (let t = 0; t < 3; t++) {
      let sum = 0;
      for (let i = 0; i < 5; i++) sum += grads.dx.data[t * 5 + i];
      expect(Math.abs(sum)).toBeLessThan(1e-12);
    }
  });

  it('rejects a scale with the wrong number of rows', () => {
    expect(() => layerNormBackward(dy, x, w, tensor([2, 1], [1, 1], 'float64'))).toThrow(/layerNormBackward/);
  });
});
