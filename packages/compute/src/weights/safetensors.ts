import { fail } from '../errors';
import type { Tensor } from '../tensor';
import { formatShape, numel } from '../tensor';
import { decodeF16, encodeF16 } from './f16';

/**
 * The safetensors format (Hugging Face): no pickle, no code, just
 *   [u64 little-endian N] [N bytes of UTF-8 JSON header] [byte buffer]
 * The header maps each tensor name to {dtype, shape, data_offsets: [begin, end]} (byte offsets into the buffer,
 * end exclusive, data row-major little-endian), plus an optional "__metadata__": {string: string}.
 * Spec and reference implementation: https://github.com/huggingface/safetensors
 */

/** Bytes per element of every dtype the safetensors spec defines (we read only the float ones, but size them all). */
const DTYPE_BYTES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
} as const;

export type SafetensorsDtype = keyof typeof DTYPE_BYTES;

const READABLE_DTYPES = ['F32', 'F16', 'BF16', 'F64'];
const METADATA_KEY = '__metadata__';

/** One tensor as the header describes it. `begin`/`end` are byte offsets into the buffer after the header. */
export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** In header order (which is not necessarily offset order). */
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** Byte offset of the buffer within the file: 8 + header length. */
  dataStart: number;
}

export interface ParseSafetensorsOptions {
  /** Keep F64 tensors as float64 (for gradient checks); otherwise they are cast to float32 like everything else. */
  keepFloat64?: boolean;
  /**
   * Decode only the tensors this returns true for. Every entry is still validated, so a corrupt file fails the same
   * way; skipping just saves the memory of buffers nobody uses (GPT-2's attention masks are 48 MB).
   */
  include?: (name: string) => boolean;
}

export interface ParsedSafetensors {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

export interface SerializeSafetensorsOptions {
  /** Storage dtype. F16 halves the file; values beyond ±65504 are refused rather than written as Infinity. */
  dtype?: 'F32' | 'F16';
  metadata?: Record<string, string>;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function bad(message: string): never {
  fail('bad-checkpoint', `safetensors: ${message}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function parseEntry(name: string, raw: unknown): SafetensorsEntry {
  if (!isPlainObject(raw)) bad(`tensor "${name}" must be described by an object, got ${JSON.stringify(raw)}`);
  const { dtype, shape, data_offsets: offsets } = raw;
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) {
    bad(`tensor "${name}" has unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(DTYPE_BYTES).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    bad(`tensor "${name}" has shape ${JSON.stringify(shape)}; a shape must be an array of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    bad(`tensor "${name}" has data_offsets ${JSON.stringify(offsets)}; expected [begin, end], non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) bad(`tensor "${name}" has data_offsets [${begin}, ${end}] whose end comes before its begin`);
  const bpe = DTYPE_BYTES[dtype as SafetensorsDtype];
  const need = numel(shape) * bpe;
  if (end - begin !== need) {
    bad(
      `tensor "${name}" has data_offsets [${begin}, ${end}] spanning ${end - begin} bytes, but shape ` +
        `${formatShape(shape)} of ${dtype} needs ${need} bytes`,
    );
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: [...shape], begin, end };
}

/** Read and validate the header without decoding any tensor data. */
export function readSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  // JS callers may hand over an ArrayBuffer or a fetch Response body by mistake; say so instead of a TypeError.
  if (!(bytes instanceof Uint8Array)) bad('expected the file contents as a Uint8Array');
  if (bytes.length < 8) bad(`file is ${bytes.length} bytes, too short to hold the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // u64 as two u32 halves: a JS number holds any length a real file can have exactly.
  const headerLen = view.getUint32(4, true) * 2 ** 32 + view.getUint32(0, true);
  if (headerLen > bytes.length - 8) {
    bad(
      `header length ${headerLen} is larger than the ${bytes.length - 8} bytes after it ` +
        `(not a safetensors file, or truncated)`,
    );
  }
  const dataStart = 8 + headerLen;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart));
  } catch {
    bad('header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    bad(`header is not valid JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(json)) bad(`header must be a JSON object, got ${Array.isArray(json) ? 'an array' : typeof json}`);

  let metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(json)) {
    if (name === METADATA_KEY) {
      if (!isPlainObject(value)) bad(`${METADATA_KEY} must be an object of strings`);
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') bad(`${METADATA_KEY}.${k} must be a string, got ${JSON.stringify(v)}`);
      }
      metadata = { ...(value as Record<string, string>) };
    } else {
      entries.push(parseEntry(name, value));
    }
  }

  const bufferLen = bytes.length - dataStart;
  for (const e of entries) {
    if (e.end > bufferLen) {
      bad(
        `tensor "${e.name}" has data_offsets [${e.begin}, ${e.end}] beyond the end of the ${bufferLen}-byte data ` +
          `buffer: the file is truncated or its header is wrong`,
      );
    }
  }

  // Overlapping tensors would alias each other's bytes: always a broken writer, so refuse. Gaps (unused bytes between
  // tensors, or after the last) are allowed: the reference implementation rejects them, but each tensor's bytes are
  // still unambiguous, every size was checked above, and truncation is caught by the range check, so a gap cannot
  // make us misread a value. Our writer never produces gaps, so its files satisfy the stricter reference reader.
  const byOffset = entries.filter((e) => e.end > e.begin).sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < byOffset.length; i++) {
    const prev = byOffset[i - 1];
    const cur = byOffset[i];
    if (cur.begin < prev.end) {
      bad(
        `tensors "${prev.name}" [${prev.begin}, ${prev.end}] and "${cur.name}" [${cur.begin}, ${cur.end}] ` +
          `overlap in the data buffer`,
      );
    }
  }
  return { entries, metadata, dataStart };
}

/** Copy `n` little-endian elements starting at byte `start` into a fresh, aligned typed array. */
function readLE<T extends Uint16Array | Float32Array | Float64Array>(
  bytes: Uint8Array,
  start: number,
  out: T,
  get: (v: DataView, offset: number) => number,
): T {
  const byteLen = out.length * out.BYTES_PER_ELEMENT;
  if (LITTLE_ENDIAN) {
    // A byte copy also handles offsets that are not a multiple of the element size, which typed-array views can't.
    new Uint8Array(out.buffer, out.byteOffset, byteLen).set(bytes.subarray(start, start + byteLen));
  } else {
    const v = new DataView(bytes.buffer, bytes.byteOffset + start, byteLen);
    for (let i = 0; i < out.length; i++) out[i] = get(v, i * out.BYTES_PER_ELEMENT);
  }
  return out;
}

function decodeEntry(bytes: Uint8Array, dataStart: number, e: SafetensorsEntry, keepFloat64: boolean): Tensor {
  const n = numel(e.shape);
  const start = dataStart + e.begin;
  switch (e.dtype) {
    case 'F32':
      return { shape: e.shape, data: readLE(bytes, start, new Float32Array(n), (v, o) => v.getFloat32(o, true)) };
    case 'F64': {
      const f64 = readLE(bytes, start, new Float64Array(n), (v, o) => v.getFloat64(o, true));
      if (keepFloat64) return { shape: e.shape, data: f64 };
      const f32 = Float32Array.from(f64);
      // Casting must not quietly turn a finite weight into Infinity (it would surface later as NaN logits).
      const i = f32.findIndex((x, j) => !Number.isFinite(x) && Number.isFinite(f64[j]));
      if (i >= 0) bad(`tensor "${e.name}" holds ${f64[i]} at index ${i}, beyond float32 range; load it as float64`);
      return { shape: e.shape, data: f32 };
    }
    case 'F16': {
      const bits = readLE(bytes, start, new Uint16Array(n), (v, o) => v.getUint16(o, true));
      return { shape: e.shape, data: decodeF16(bits) };
    }
    case 'BF16': {
      const bits = readLE(bytes, start, new Uint16Array(n), (v, o) => v.getUint16(o, true));
      const out = new Float32Array(n);
      // bfloat16 is the high half of a float32; both views use the platform's byte order, so this is portable.
      const u32 = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u32[i] = bits[i] << 16;
      return { shape: e.shape, data: out };
    }
    default:
      return bad(
        `tensor "${e.name}" has dtype ${e.dtype}, which Glassbox does not load as weights ` +
          `(it reads ${READABLE_DTYPES.join(', ')})`,
      );
  }
}

/**
 * Parse a .safetensors file into float tensors (F16/BF16 upcast exactly to float32). Tensors are copies, never views
 * of `bytes`: training updates weights in place and must not scribble on the caller's file buffer.
 */
export function parseSafetensors(bytes: Uint8Array, options: ParseSafetensorsOptions = {}): ParsedSafetensors {
  const { keepFloat64 = false, include } = options;
  const header = readSafetensorsHeader(bytes);
  const tensors = new Map<string, Tensor>();
  for (const e of header.entries) {
    if (include && !include(e.name)) continue;
    tensors.set(e.name, decodeEntry(bytes, header.dataStart, e, keepFloat64));
  }
  return { tensors, metadata: header.metadata };
}

/**
 * Write tensors as a .safetensors file the way the reference implementation does: tensors in sorted-name order,
 * packed with no gaps, header padded with spaces to a multiple of 8 bytes (so every tensor starts 8-byte aligned
 * in the file), "__metadata__" first. float64 tensors are rounded to the storage dtype.
 */
export function serializeSafetensors(
  tensors: ReadonlyMap<string, Tensor> | Iterable<readonly [string, Tensor]>,
  options: SerializeSafetensorsOptions = {},
): Uint8Array {
  const { dtype = 'F32', metadata } = options;
  if (dtype !== 'F32' && dtype !== 'F16') bad(`cannot write dtype ${JSON.stringify(dtype)} (use F32 or F16)`);
  const bpe = DTYPE_BYTES[dtype];

  const named = [...tensors].map(([name, t]) => ({ name, t }));
  const seen = new Set<string>();
  for (const { name, t } of named) {
    if (name === METADATA_KEY) bad(`"${METADATA_KEY}" is reserved and cannot name a tensor`);
    if (seen.has(name)) bad(`tensor "${name}" appears twice`);
    seen.add(name);
    if (!t.shape.every(isCount)) bad(`tensor "${name}" has invalid shape ${JSON.stringify(t.shape)}`);
    if (t.data.length !== numel(t.shape)) {
      bad(`tensor "${name}" has ${t.data.length} values for shape ${formatShape(t.shape)}`);
    }
  }
  named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  // Built by hand, not via an object: JS objects put integer-like keys first, which would break the sorted order.
  const parts: string[] = [];
  if (metadata !== undefined) {
    if (!isPlainObject(metadata)) bad('metadata must be an object of strings');
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') bad(`metadata.${k} must be a string, got ${JSON.stringify(v)}`);
    }
    parts.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  const placed = named.map(({ name, t }) => {
    const begin = offset;
    offset += t.data.length * bpe;
    parts.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype, shape: t.shape, data_offsets: [begin, offset] })}`);
    return { name, t, begin };
  });
  const headerText = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLen = headerText.length + ((8 - (headerText.length % 8)) % 8);
  const dataStart = 8 + headerLen;

  const out = new Uint8Array(dataStart + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLen % 2 ** 32, true);
  view.setUint32(4, Math.floor(headerLen / 2 ** 32), true);
  out.set(headerText, 8);
  out.fill(0x20, 8 + headerText.length, dataStart);

  for (const { name, t, begin } of placed) {
    const at = dataStart + begin; // a multiple of bpe, since dataStart is a multiple of 8 and all tensors share bpe
    const n = t.data.length;
    if (dtype === 'F32') {
      if (LITTLE_ENDIAN) new Float32Array(out.buffer, at, n).set(t.data);
      else for (let i = 0; i < n; i++) view.setFloat32(at + 4 * i, t.data[i], true);
    } else {
      const bits = LITTLE_ENDIAN ? new Uint16Array(out.buffer, at, n) : new Uint16Array(n);
      const overflow = encodeF16(t.data, bits);
      if (overflow >= 0) {
        bad(
          `tensor "${name}" holds ${t.data[overflow]} at index ${overflow}, outside the float16 range ` +
            `(±65504); save as F32`,
        );
      }
      if (!LITTLE_ENDIAN) for (let i = 0; i < n; i++) view.setUint16(at + 2 * i, bits[i], true);
    }
  }
  return out;
}
