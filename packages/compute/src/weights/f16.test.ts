import { describe, expect, it } from 'vitest';
import { createRng } from '../rng';
import { bf16ToF32, decodeF16, encodeF16, F16_MAX, f16ToF32, f32ToF16 } from './f16';

const isEven = (h: number) => (h & 1) === 0;

describe('float16 decoding', () => {
  it('decodes known bit patterns: normals, max, subnormals, zeros, infinities, NaN', () => {
    expect(f16ToF32(0x3c00)).toBe(1);
    expect(f16ToF32(0xc000)).toBe(-2);
    expect(f16ToF32(0x7bff)).toBe(65504);
    expect(f16ToF32(0x7bff)).toBe(F16_MAX);
    expect(f16ToF32(0x3555)).toBe(0.333251953125);
    expect(f16ToF32(0x0001)).toBe(2 ** -24);
    expect(f16ToF32(0x03ff)).toBe(1023 * 2 ** -24); // largest subnormal
    expect(f16ToF32(0x0400)).toBe(2 ** -14); // smallest normal
    expect(f16ToF32(0x8001)).toBe(-(2 ** -24));
    expect(Object.is(f16ToF32(0x0000), 0)).toBe(true);
    expect(Object.is(f16ToF32(0x8000), -0)).toBe(true);
    expect(f16ToF32(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(f16ToF32(0xfc00)).toBe(Number.NEGATIVE_INFINITY);
    expect(f16ToF32(0x7e00)).toBeNaN();
    expect(f16ToF32(0x7c01)).toBeNaN(); // signalling-NaN pattern is still NaN, not Infinity
    expect(f16ToF32(0xfe00)).toBeNaN();
  });

  it('the bulk decoder agrees with the scalar one on all 65,536 patterns', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const out = decodeF16(all);
    const mismatched = [...out.keys()].filter((h) => !Object.is(out[h], f16ToF32(h)));
    expect(mismatched).toEqual([]);
  });

  it('decodes bfloat16 as the top half of a float32', () => {
    expect(bf16ToF32(0x3f80)).toBe(1);
    expect(bf16ToF32(0xc000)).toBe(-2);
    expect(bf16ToF32(0x4049)).toBe(3.140625);
    expect(bf16ToF32(0x7f80)).toBe(Number.POSITIVE_INFINITY);
    expect(bf16ToF32(0x7fc0)).toBeNaN();
  });
});

describe('float16 encoding', () => {
  it('every non-NaN half survives decode → encode unchanged (zeros, subnormals, normals, infinities)', () => {
    for (let h = 0; h < 65536; h++) {
      if (Number.isNaN(f16ToF32(h))) continue;
      if (f32ToF16(f16ToF32(h)) !== h) throw new Error(`0x${h.toString(16)} re-encoded as 0x${f32ToF16(f16ToF32(h))}`);
    }
  });

  it('NaN encodes to a NaN pattern (exponent all ones, mantissa non-zero)', () => {
    const h = f32ToF16(Number.NaN);
    expect(h & 0x7c00).toBe(0x7c00);
    expect(h & 0x3ff).not.toBe(0);
  });

  it('rounds ties to even in the normal range', () => {
    const ulp = 2 ** -10; // spacing of halves in [1, 2)
    expect(f32ToF16(1 + ulp / 2)).toBe(0x3c00); // tie between 0x3c00 (even) and 0x3c01
    expect(f32ToF16(1 + (3 * ulp) / 2)).toBe(0x3c02); // tie between 0x3c01 and 0x3c02 (even)
    expect(f32ToF16(1 + ulp / 2 + 2 ** -20)).toBe(0x3c01); // just above the tie goes up
    expect(f32ToF16(1 + ulp / 2 - 2 ** -20)).toBe(0x3c00);
    expect(f32ToF16(-(1 + (3 * ulp) / 2))).toBe(0xbc02);
    expect(f32ToF16(2047.5)).toBe(0x67ff + 1); // 2047.5 ties to 2048: the mantissa carries into the exponent
  });

  it('rounds ties to even in the subnormal range, and carries into the smallest normal', () => {
    expect(f32ToF16(2 ** -25)).toBe(0x0000); // tie between 0 and 2^-24: 0 is even
    expect(f32ToF16(2 ** -25 * 1.0001)).toBe(0x0001);
    expect(f32ToF16(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2
    expect(f32ToF16(1023.5 * 2 ** -24)).toBe(0x0400); // tie between 0x03ff and 0x0400 (even)
    expect(f32ToF16(2 ** -40)).toBe(0x0000);
    expect(f32ToF16(-(2 ** -40))).toBe(0x8000);
    expect(f32ToF16(-0)).toBe(0x8000);
  });

  it('overflows to infinity only from 65520 (the tie above 65504) upwards', () => {
    expect(f32ToF16(65504)).toBe(0x7bff);
    expect(f32ToF16(65519.99)).toBe(0x7bff);
    expect(f32ToF16(65520)).toBe(0x7c00);
    expect(f32ToF16(-1e6)).toBe(0xfc00);
    expect(f32ToF16(Number.POSITIVE_INFINITY)).toBe(0x7c00);
  });

  it('random float32 values encode to the nearest half (ties to even), checked against neighbours', () => {
    const rng = createRng(7);
    for (let i = 0; i < 20_000; i++) {
      const x = Math.fround(rng.normal() * 2 ** Math.floor(rng.next() * 40 - 26));
      const h = f32ToF16(x);
      if ((h & 0x7fff) === 0x7c00) {
        if (Math.abs(x) < 65520) throw new Error(`${x} overflowed to Infinity`);
        continue;
      }
      const err = Math.abs(x - f16ToF32(h));
      for (const n of [h - 1, h + 1]) {
        if ((n & 0x7c00) === 0x7c00 || (n & 0x8000) !== (h & 0x8000)) continue; // not a finite same-sign neighbour
        const nErr = Math.abs(x - f16ToF32(n));
        if (nErr < err || (nErr === err && !isEven(h))) throw new Error(`${x} → 0x${h.toString(16)} is not nearest`);
      }
    }
  });

  it('encodeF16 reports the first finite value that overflowed, and none for Infinity itself', () => {
    const out = new Uint16Array(4);
    expect(encodeF16([1, Number.POSITIVE_INFINITY, 7e4, 8e4], out)).toBe(2);
    expect(Array.from(out)).toEqual([0x3c00, 0x7c00, 0x7c00, 0x7c00]);
    expect(encodeF16([1, -2, Number.NaN], new Uint16Array(3))).toBe(-1);
  });
});
