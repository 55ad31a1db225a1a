import { describe, expect, it } from 'vitest';
import { learningRate } from './schedule';

describe('learning-rate schedule', () => {
  const s = { lr: 1e-2, warmupSteps: 4, decaySteps: 14, minLr: 1e-3 };

  it('warms up linearly, reaching the peak on the last warmup step', () => {
    expect([0, 1, 2, 3].map((t) => learningRate(t, s))).toEqual([0.25e-2, 0.5e-2, 0.75e-2, 1e-2]);
  });

  it('decays along a cosine to minLr and stays there', () => {
    expect(learningRate(4, s)).toBeCloseTo(1e-2, 16);
    expect(learningRate(9, s)).toBeCloseTo((1e-2 + 1e-3) / 2, 15);
    expect(learningRate(14, s)).toBe(1e-3);
    expect(learningRate(100, s)).toBe(1e-3);
    for (let t = 4; t < 14; t++) expect(learningRate(t + 1, s)).toBeLessThan(learningRate(t, s));
  });

  it('is constant after warmup without decaySteps', () => {
    expect(learningRate(0, { lr: 0.1 })).toBe(0.1);
    expect(learningRate(500, { lr: 0.1, warmupSteps: 10 })).toBe(0.1);
  });

  it('rejects inconsistent settings', () => {
    expect(() => learningRate(0, { lr: -1 })).toThrow(/lr must be/);
    expect(() => learningRate(0, { lr: 1, warmupSteps: 10, decaySteps: 5 })).toThrow(/decaySteps/);
    expect(() => learningRate(0, { lr: 1, minLr: 2 })).toThrow(/minLr/);
  });
});
