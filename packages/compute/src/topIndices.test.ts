import { describe, expect, it } from 'vitest';
import { rankByProb } from './sample';
import { topIndices } from './topIndices';

describe('topIndices', () => {
  it('returns the n largest indices, largest first', () => {
    expect(topIndices([0.1, 0.4, 0.05, 0.3, 0.15], 3)).toEqual([1, 3, 4]);
    expect(topIndices(new Float32Array([-3, 2, -1]), 2)).toEqual([1, 2]);
  });

  it('breaks ties towards the lower index', () => {
    expect(topIndices([1, 2, 2, 1, 2], 4)).toEqual([1, 2, 4, 0]);
    expect(topIndices([5, 5, 5], 2)).toEqual([0, 1]);
  });

  it('agrees with rankByProb on every prefix, ties included', () => {
    const p = Float64Array.from({ length: 200 }, (_, i) => ((i * 37) % 11) / 11);
    const ranked = Array.from(rankByProb(p));
    for (const n of [1, 5, 17, 200]) expect(topIndices(p, n)).toEqual(ranked.slice(0, n));
  });

  it('returns everything when n exceeds the length, and nothing when n < 1', () => {
    expect(topIndices([2, 3, 1], 10)).toEqual([1, 0, 2]);
    expect(topIndices([2, 3, 1], 0)).toEqual([]);
    expect(topIndices([], 3)).toEqual([]);
  });
});
