import { describe, expect, it } from 'vitest';
import { parseSamplingInput, predictionSeed, samplePrediction, samplingError } from './sampling';

describe('sampling settings', () => {
  it('accept valid values and explain invalid ones', () => {
    expect(samplingError('temperature', 0)).toBeNull();
    expect(samplingError('temperature', -1)).toMatch(/Temperature/);
    expect(samplingError('topK', null)).toBeNull();
    expect(samplingError('topK', 2.5)).toMatch(/whole number/);
    expect(samplingError('topP', 0)).toMatch(/above 0/);
    expect(samplingError('seed', 2 ** 32)).toMatch(/Seed/);
    expect(samplingError('seed', Number.NaN)).toMatch(/Seed/);
  });

  it('read an empty filter field as off and junk as NaN', () => {
    expect(parseSamplingInput('topK', ' ')).toBeNull();
    expect(parseSamplingInput('temperature', '')).toBeNaN();
    expect(parseSamplingInput('temperature', 'abc')).toBeNaN();
    expect(parseSamplingInput('seed', '7')).toBe(7);
  });

  it('draw reproducibly from seed and position, differently per position', () => {
    const logits = new Float32Array([1, 2, 3, 0.5, 2.5]);
    const s = { temperature: 1, topK: null, topP: null, seed: 3 };
    expect(samplePrediction(logits, s, 4).u).toBe(samplePrediction(logits, s, 4).u);
    expect(predictionSeed(3, 4)).not.toBe(predictionSeed(3, 5));
    const greedy = samplePrediction(logits, { ...s, temperature: 0 }, 4);
    expect(greedy.token).toBe(2);
    const topK = samplePrediction(logits, { ...s, topK: 2 }, 4);
    expect(topK.keptIds).toEqual([2, 4]);
  });
});
