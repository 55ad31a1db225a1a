import { describe, expect, it } from 'vitest';
import { makeColorScale, parseColor } from './color';

const stats = { min: -2, max: 4, absMax: 4, mean: 0, hasNegInf: false };

describe('colour scales', () => {
  it('diverging scales are symmetric so zero is the middle colour', () => {
    const s = makeColorScale('diverging', stats);
    expect(s.domain).toEqual([-4, 4]);
    expect(s.index(0)).toBe(128);
    expect(s.index(-4)).toBe(0);
    expect(s.index(Number.NEGATIVE_INFINITY)).toBe(-1);
  });

  it('probability scales are fixed to [0, 1]', () => {
    expect(makeColorScale('probability', stats).domain).toEqual([0, 1]);
  });

  it('the lookup table holds the scheme’s colours', () => {
    const s = makeColorScale('sequential', stats);
    expect(Array.from(s.lut.subarray(0, 3))).toEqual(parseColor(s.at(0)));
    expect(parseColor('rgb(1, 2, 3)')).toEqual([1, 2, 3]);
  });
});
