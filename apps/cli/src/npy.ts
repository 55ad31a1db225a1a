import type { Tensor } from '@glassbox/compute';

/**
 * Writes a tensor as a NumPy .npy file, format version 1.0, so `np.load` reads a trace with no Glassbox code:
 *
 *   \x93NUMPY  1 0  [u16 LE header length]  "{'descr': '<f4', 'fortran_order': False, 'shape': (T, d), }"  spaces  \n
 *   [float32 little-endian data, row-major]
 *
 * The header is padded with spaces so the data starts on a 64-byte boundary (the spec asks for 16; NumPy itself
 * writes 64 so the data can be memory-mapped with any SIMD alignment). Spec:
 * https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 * Data is always float32, whatever the engine computed in: the format of the trace does not depend on the engine.
 */
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const PREAMBLE = MAGIC.length + 2 + 2; // magic, version, header length
const ALIGN = 64;

export function npyHeader(shape: readonly number[]): string {
  // A Python tuple: a 1-tuple needs its trailing comma, the empty tuple is a scalar.
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${dims}, }`;
  const unpadded = PREAMBLE + dict.length + 1; // + the terminating newline
  const padding = (ALIGN - (unpadded % ALIGN)) % ALIGN;
  return `${dict}${' '.repeat(padding)}\n`;
}

export function encodeNpy(t: Tensor): Uint8Array {
  const header = npyHeader(t.shape);
  if (header.length > 0xffff)
    throw new Error(`a .npy v1.0 header is at most 65535 bytes; this one is ${header.length}`);
  const out = new Uint8Array(PREAMBLE + header.length + 4 * t.data.length);
  out.set(MAGIC, 0);
  out[6] = 1; // major version
  out[7] = 0; // minor version
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[PREAMBLE + i] = header.charCodeAt(i); // the header is ASCII
  // DataView rather than a Float32Array view: it writes little-endian on any host, and narrows float64 to float32.
  let at = PREAMBLE + header.length;
  for (let i = 0; i < t.data.length; i++, at += 4) view.setFloat32(at, t.data[i], true);
  return out;
}
