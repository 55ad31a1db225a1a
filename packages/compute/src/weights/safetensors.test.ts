import { describe, expect, it } from 'vitest';
import { tensor } from '../tensor';
import { expectGlassboxError } from '../testing';
import { parseSafetensors, readSafetensorsHeader, serializeSafetensors } from './safetensors';

/** A file assembled byte by byte, so the reader is tested independently of our writer. */
function rawFile(header: unknown, buffer: Uint8Array = new Uint8Array(0), headerLenOverride?: number): Uint8Array {
  const text = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + buffer.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, headerLenOverride ?? text.length, true);
  out.set(text, 8);
  out.set(buffer, 8 + text.length);
  return out;
}

function le(kind: 'f32' | 'f64' | 'u16', values: number[]): Uint8Array {
  const size = kind === 'f64' ? 8 : kind === 'f32' ? 4 : 2;
  const out = new Uint8Array(values.length * size);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => {
    if (kind === 'f32') v.setFloat32(i * size, x, true);
    else if (kind === 'f64') v.setFloat64(i * size, x, true);
    else v.setUint16(i * size, x, true);
  });
  return out;
}

function expectBad(f: () => unknown, message: RegExp): void {
  expectGlassboxError(f, 'bad-checkpoint', message);
}

const f32 = (shape: number[], begin: number) => ({
  dtype: 'F32',
  shape,
  data_offsets: [begin, begin + 4 * shape.reduce((a, b) => a * b, 1)],
});

describe('reading safetensors', () => {
  it('reads F32, F16, BF16 and F64 tensors, with metadata, from a hand-built file', () => {
    const buf = new Uint8Array([
      ...le('f32', [1.5, -2, 3.25, 0]),
      ...le('u16', [0x3c00, 0xc000, 0x0001, 0x7c00]),
      ...le('u16', [0x3f80, 0xc040]),
      ...le('f64', [0.1, -1e30]),
    ]);
    const file = rawFile(
      {
        __metadata__: { format: 'pt', note: 'hand made' },
        a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
        half: { dtype: 'F16', shape: [4], data_offsets: [16, 24] },
        brain: { dtype: 'BF16', shape: [2, 1], data_offsets: [24, 28] },
        wide: { dtype: 'F64', shape: [2], data_offsets: [28, 44] },
      },
      buf,
    );
    const { tensors, metadata } = parseSafetensors(file);
    expect(metadata).toEqual({ format: 'pt', note: 'hand made' });
    expect(tensors.get('a')).toEqual({ shape: [2, 2], data: new Float32Array([1.5, -2, 3.25, 0]) });
    expect(Array.from(tensors.get('half')?.data ?? [])).toEqual([1, -2, 2 ** -24, Number.POSITIVE_INFINITY]);
    expect(tensors.get('brain')).toEqual({ shape: [2, 1], data: new Float32Array([1, -3]) });
    const wide = tensors.get('wide');
    expect(wide?.data).toBeInstanceOf(Float32Array);
    expect(Array.from(wide?.data ?? [])).toEqual([Math.fround(0.1), Math.fround(-1e30)]);
    const kept = parseSafetensors(file, { keepFloat64: true }).tensors.get('wide');
    expect(kept?.data).toEqual(new Float64Array([0.1, -1e30]));
  });

  it('refuses to cast an F64 value beyond float32 range to Infinity, unless float64 is kept', () => {
    const file = rawFile({ w: { dtype: 'F64', shape: [2], data_offsets: [0, 16] } }, le('f64', [1, -1e300]));
    expectBad(() => parseSafetensors(file), /tensor "w" holds -1e\+300 at index 1, beyond float32 range/);
    expect(parseSafetensors(file, { keepFloat64: true }).tensors.get('w')?.data[1]).toBe(-1e300);
  });

  it('reads data that starts at an unaligned file offset, and returns copies, not views of the file', () => {
    const header = JSON.stringify({ x: f32([3], 0) }) + ' '.repeat(3); // header length not a multiple of 4
    expect((8 + header.length) % 4).not.toBe(0);
    const file = rawFile(header, le('f32', [1, 2, 3]));
    const x = parseSafetensors(file).tensors.get('x');
    expect(Array.from(x?.data ?? [])).toEqual([1, 2, 3]);
    if (x) x.data[0] = 99;
    expect(Array.from(parseSafetensors(file).tensors.get('x')?.data ?? [])).toEqual([1, 2, 3]);
  });

  it('reads scalars and empty tensors, and a Uint8Array that is a window into a larger buffer', () => {
    const file = rawFile(
      {
        s: { dtype: 'F32', shape: [], data_offsets: [0, 4] },
        e: { dtype: 'F32', shape: [0, 3], data_offsets: [4, 4] },
      },
      le('f32', [7]),
    );
    const padded = new Uint8Array(file.length + 5);
    padded.set(file, 3);
    const { tensors } = parseSafetensors(padded.subarray(3, 3 + file.length));
    expect(tensors.get('s')).toEqual({ shape: [], data: new Float32Array([7]) });
    expect(tensors.get('e')).toEqual({ shape: [0, 3], data: new Float32Array(0) });
  });

  it('allows gaps between tensors (a deliberate leniency) and reads each from its own offsets', () => {
    const buf = new Uint8Array([...le('f32', [1]), 0xaa, 0xbb, 0xcc, 0xdd, ...le('f32', [2]), 0xee]);
    const { tensors } = parseSafetensors(rawFile({ a: f32([1], 0), b: f32([1], 8) }, buf));
    expect(tensors.get('a')?.data[0]).toBe(1);
    expect(tensors.get('b')?.data[0]).toBe(2);
  });

  it('validates but does not decode tensors the include filter skips, so integer buffers can be ignored', () => {
    const file = rawFile(
      { mask: { dtype: 'U8', shape: [4], data_offsets: [0, 4] }, w: f32([1], 4) },
      new Uint8Array([1, 0, 1, 1, ...le('f32', [5])]),
    );
    expectBad(() => parseSafetensors(file), /tensor "mask" has dtype U8, which Glassbox does not load/);
    const { tensors } = parseSafetensors(file, { include: (n) => n !== 'mask' });
    expect([...tensors.keys()]).toEqual(['w']);
    expect(readSafetensorsHeader(file).entries.map((e) => [e.name, e.dtype])).toEqual([
      ['mask', 'U8'],
      ['w', 'F32'],
    ]);
  });
});

describe('rejecting bad safetensors files with a clear message', () => {
  const good = () => serializeSafetensors(new Map([['w', tensor([2, 3], [1, 2, 3, 4, 5, 6])]]));

  it('a file shorter than 8 bytes', () => {
    expectBad(() => parseSafetensors(new Uint8Array(5)), /file is 5 bytes, too short/);
    expectBad(() => parseSafetensors(new ArrayBuffer(16) as unknown as Uint8Array), /as a Uint8Array/);
  });

  it('a header length larger than the file', () => {
    expectBad(() => parseSafetensors(rawFile({}, new Uint8Array(0), 1000)), /header length 1000 is larger than the 2/);
    const huge = rawFile({});
    new DataView(huge.buffer).setUint32(4, 1, true); // high word: 2^32 + 2
    expectBad(() => parseSafetensors(huge), /header length 4294967298 is larger/);
  });

  it('a header that is not JSON, not UTF-8, or not an object', () => {
    expectBad(() => parseSafetensors(rawFile('{"w": {')), /header is not valid JSON/);
    const latin1 = rawFile('{}');
    latin1[8] = 0xff;
    expectBad(() => parseSafetensors(latin1), /header is not valid UTF-8/);
    expectBad(() => parseSafetensors(rawFile([1, 2])), /header must be a JSON object, got an array/);
    expectBad(() => parseSafetensors(rawFile('42')), /header must be a JSON object, got number/);
    expectBad(() => parseSafetensors(rawFile('null')), /header must be a JSON object/);
    expectBad(() => parseSafetensors(rawFile({ w: 'F32' })), /tensor "w" must be described by an object/);
  });

  it('an unknown dtype, named in the message', () => {
    const file = rawFile({ w: { dtype: 'Q4_K', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1));
    expectBad(() => parseSafetensors(file), /tensor "w" has unknown dtype "Q4_K"/);
  });

  it('a shape that is not an array of non-negative integers', () => {
    for (const shape of [[2, -1], [1.5], ['2'], 4, null]) {
      const file = rawFile({ w: { dtype: 'F32', shape, data_offsets: [0, 8] } }, new Uint8Array(8));
      expectBad(() => parseSafetensors(file), /tensor "w" has shape .*array of non-negative integers/);
    }
  });

  it('malformed data_offsets', () => {
    for (const offsets of [[0], [0, -4], [0, '4'], 'x', [4, 0]]) {
      const file = rawFile({ w: { dtype: 'F32', shape: [1], data_offsets: offsets } }, new Uint8Array(4));
      expectBad(() => parseSafetensors(file), /tensor "w" has data_offsets/);
    }
  });

  it('data_offsets out of range of the buffer', () => {
    const file = rawFile({ a: f32([1], 0), b: f32([2], 100) }, new Uint8Array(12));
    expectBad(() => parseSafetensors(file), /tensor "b" has data_offsets \[100, 108\] beyond the end of the 12-byte/);
  });

  it('a byte span that does not match numel × bytes per element', () => {
    const file = rawFile({ w: { dtype: 'F16', shape: [2, 3], data_offsets: [0, 24] } }, new Uint8Array(24));
    expectBad(() => parseSafetensors(file), /spanning 24 bytes, but shape \[2, 3\] of F16 needs 12 bytes/);
  });

  it('overlapping tensors, naming both', () => {
    const file = rawFile({ a: f32([2], 0), b: f32([2], 4) }, new Uint8Array(12));
    expectBad(() => parseSafetensors(file), /tensors "a" \[0, 8\] and "b" \[4, 12\] overlap/);
  });

  it('a truncated file (the buffer ends before the last tensor)', () => {
    const full = good();
    expect(() => parseSafetensors(full)).not.toThrow();
    expectBad(() => parseSafetensors(full.subarray(0, full.length - 1)), /beyond the end.*truncated/);
  });

  it('metadata that is not a map of strings', () => {
    expectBad(() => parseSafetensors(rawFile({ __metadata__: { step: 3 } })), /__metadata__\.step must be a string/);
    expectBad(() => parseSafetensors(rawFile({ __metadata__: ['x'] })), /__metadata__ must be an object/);
  });
});

describe('writing safetensors', () => {
  it('pads the header with spaces to a multiple of 8, puts metadata first and tensors in sorted-name order', () => {
    const file = serializeSafetensors(
      new Map([
        ['b', tensor([2], [1, 2])],
        ['10', tensor([1], [3])],
        ['a', tensor([1, 2], [4, 5])],
        ['9', tensor([], [6])],
      ]),
      { metadata: { format: 'pt' } },
    );
    const v = new DataView(file.buffer);
    const n = v.getUint32(0, true);
    expect(v.getUint32(4, true)).toBe(0);
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(file.subarray(8, 8 + n));
    expect(text).toMatch(/^\{"__metadata__":\{"format":"pt"\},"10":/);
    expect(text).toMatch(/\} *$/);
    const positions = ['"10":', '"9":', '"a":', '"b":'].map((k) => text.indexOf(k));
    expect(positions.every((p, i) => p > 0 && (i === 0 || p > positions[i - 1]))).toBe(true);
    const header = JSON.parse(text);
    const byOffset = ['10', '9', 'a', 'b'].map((k) => header[k].data_offsets);
    expect(byOffset).toEqual([
      [0, 4],
      [4, 8],
      [8, 16],
      [16, 24],
    ]);
    expect(file.length).toBe(8 + n + 24);
    const { tensors, metadata } = parseSafetensors(file);
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors.get('a')).toEqual({ shape: [1, 2], data: new Float32Array([4, 5]) });
    expect(tensors.get('9')).toEqual({ shape: [], data: new Float32Array([6]) });
  });

  it('F32 round trip is bit-exact, including -0, subnormals, infinities and NaN', () => {
    const values = new Float32Array([-0, 1e-45, 3.4028234663852886e38, Number.NEGATIVE_INFINITY, Number.NaN, 0.1]);
    const back = parseSafetensors(serializeSafetensors(new Map([['x', { shape: [6], data: values }]])));
    const got = back.tensors.get('x')?.data as Float32Array;
    expect(new Uint8Array(got.buffer)).toEqual(new Uint8Array(values.buffer));
  });

  it('F16 writes half the bytes and reads back within half-precision rounding', () => {
    const values = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i) * 10 ** ((i % 7) - 3));
    const t = { shape: [8, 8], data: values };
    const f16 = serializeSafetensors(new Map([['x', t]]), { dtype: 'F16' });
    const f32 = serializeSafetensors(new Map([['x', t]]));
    expect(readSafetensorsHeader(f16).entries[0]).toMatchObject({ dtype: 'F16', begin: 0, end: 128 });
    expect(f32.length - readSafetensorsHeader(f32).dataStart).toBe(256);
    const back = parseSafetensors(f16).tensors.get('x')?.data as Float32Array;
    values.forEach((v, i) => {
      expect(Math.abs(back[i] - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 2 ** -25);
    });
  });

  it('refuses to write F16 values beyond ±65504 rather than storing Infinity', () => {
    const t = tensor([3], [1, -7e4, 2]);
    expectBad(
      () => serializeSafetensors(new Map([['big', t]]), { dtype: 'F16' }),
      /tensor "big" holds -70000 at index 1, outside the float16 range/,
    );
  });

  it('refuses tensors whose data does not match their shape, and the reserved name', () => {
    expectBad(
      () => serializeSafetensors(new Map([['x', { shape: [2, 2], data: new Float32Array(3) }]])),
      /"x" has 3 values for shape \[2, 2\]/,
    );
    expectBad(() => serializeSafetensors(new Map([['__metadata__', tensor([1], [1])]])), /reserved/);
    expectBad(
      () =>
        serializeSafetensors([
          ['x', tensor([1], [1])],
          ['x', tensor([1], [2])],
        ]),
      /"x" appears twice/,
    );
  });

  it('float64 tensors are rounded to float32 on writing', () => {
    const back = parseSafetensors(serializeSafetensors(new Map([['x', tensor([1], [0.1], 'float64')]])));
    expect(back.tensors.get('x')?.data[0]).toBe(Math.fround(0.1));
  });
});
