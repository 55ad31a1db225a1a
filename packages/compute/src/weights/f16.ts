/**
 * IEEE 754 half precision (binary16) and bfloat16 <-> JavaScript numbers, without relying on Float16Array (not yet in
 * every browser or Node version we support).
 *
 * binary16 bit layout: sign (1) | exponent (5, bias 15) | mantissa (10).
 *   exponent 0      → zero or subnormal: mantissa · 2^-24
 *   exponent 1..30  → normal: (1024 + mantissa) · 2^(exponent - 25)
 *   exponent 31     → Infinity (mantissa 0) or NaN (mantissa ≠ 0)
 */

/** Largest finite half: 0x7bff. */
export const F16_MAX = 65504;

/** The canonical quiet NaN we write (what numpy and PyTorch write for NaN too). */
const F16_NAN = 0x7e00;

/** Decode one binary16 bit pattern (the low 16 bits of `bits`) to a number. Exact: every half is a double. */
export function f16ToF32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

/** Round a non-negative number to an integer, ties to even (the rounding IEEE 754 uses by default). */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const frac = v - f; // exact: v < 2^12 here, so v and f share an exponent range
  if (frac > 0.5) return f + 1;
  if (frac < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

const scratch = new DataView(new ArrayBuffer(8));

/**
 * Encode a number as the nearest binary16 bit pattern, ties to even. Rounds directly from the double rather than
 * via float32, so a float64 tensor is not rounded twice. Values at or beyond 65520 (halfway between 65504 and 2^16;
 * the tie goes up because 65504's mantissa is odd) become ±Infinity, as in IEEE 754.
 */
export function f32ToF16(x: number): number {
  if (Number.isNaN(x)) return F16_NAN;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  // Subnormal range: the result is a multiple of 2^-24. Scaling by a power of two is exact, so rounding the scaled
  // value is rounding the real one. A result of 1024 is the bit pattern of the smallest normal (0x0400), as wanted.
  if (a < 2 ** -14) return sign | roundHalfEven(a * 2 ** 24);
  scratch.setFloat64(0, a);
  const e = ((scratch.getUint32(0) >>> 20) & 0x7ff) - 1023; // unbiased exponent, -14..15 here
  const m = roundHalfEven(a * 2 ** (10 - e)); // 1024..2048; 2048 carries into the exponent below
  return sign | (((e + 15) << 10) + m - 1024);
}

let decodeTable: Float32Array | undefined;

/** All 65,536 halves decoded once (256 KiB), so decoding a 100M-value tensor is a table lookup per value. */
function f16Table(): Float32Array {
  if (!decodeTable) {
    decodeTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) decodeTable[h] = f16ToF32(h);
  }
  return decodeTable;
}

/** Decode an array of binary16 bit patterns to float32 (exact: every half is a float32). */
export function decodeF16(bits: Uint16Array, out: Float32Array | Float64Array = new Float32Array(bits.length)) {
  const table = f16Table();
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  return out;
}

/**
 * Encode values as binary16 bit patterns. Returns the index of the first finite value that overflowed to ±Infinity
 * (or -1), so callers can refuse to write a silently corrupted checkpoint instead of checking every value twice.
 */
export function encodeF16(values: ArrayLike<number>, out: Uint16Array): number {
  let firstOverflow = -1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const h = f32ToF16(v);
    if (firstOverflow < 0 && (h & 0x7fff) === 0x7c00 && Number.isFinite(v)) firstOverflow = i;
    out[i] = h;
  }
  return firstOverflow;
}

/** bfloat16 is the top half of a float32, so decoding is a shift; exact. */
export function bf16ToF32(bits: number): number {
  scratch.setUint32(0, (bits & 0xffff) << 16);
  return scratch.getFloat32(0);
}
