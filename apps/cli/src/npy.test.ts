import { describe, expect, it } from 'vitest';
import { encodeNpy, npyHeader } from './npy';
import { parseNpy } from './testing';

describe('encodeNpy', () => {
  it('writes a v1.0 header whose data starts on a 64-byte boundary, for any rank', () => {
    for (const shape of [[5], [2, 3], [2, 3, 4], [1, 1, 1, 7]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const bytes = encodeNpy({ shape, data: new Float32Array(n) });
      const { headerLength } = parseNpy(bytes);
      expect((10 + headerLength) % 64).toBe(0);
      expect(bytes.length).toBe(10 + headerLength + 4 * n);
    }
  });

  it('writes a 1-d shape as a Python 1-tuple', () => {
    expect(npyHeader([5])).toContain("'shape': (5,)");
    expect(npyHeader([2, 3])).toContain("'shape': (2, 3)");
  });

  it('round-trips shape and values, little-endian, with infinities intact', () => {
    const data = new Float32Array([0, -1.5, 3.25, Number.NEGATIVE_INFINITY, 1e-30, 123456.789]);
    const parsed = parseNpy(encodeNpy({ shape: [2, 3], data }));
    expect(parsed.shape).toEqual([2, 3]);
    expect([...parsed.data]).toEqual([...data]);
  });

  it('narrows float64 data to float32', () => {
    const parsed = parseNpy(encodeNpy({ shape: [2], data: new Float64Array([0.1, 1 / 3]) }));
    expect([...parsed.data]).toEqual([Math.fround(0.1), Math.fround(1 / 3)]);
  });
});
