import { fail } from './errors';

/** float32 is what the engines compute in; float64 exists for finite-difference gradient checks. */
export type DType = 'float32' | 'float64';
export type FloatArray = Float32Array | Float64Array;

/**
 * A dense row-major tensor. Deliberately a plain object (no methods) so it survives structuredClone, postMessage to a
 * Web Worker, and JSON-ish serialisation, and so views can take it as a prop without importing engine code.
 */
export interface Tensor {
  readonly shape: readonly number[];
  readonly data: FloatArray;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function dtypeOf(data: FloatArray): DType {
  return data instanceof Float64Array ? 'float64' : 'float32';
}

export function allocArray(dtype: DType, n: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

export function zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return { shape: [...shape], data: allocArray(dtype, numel(shape)) };
}

/** A zero tensor of the same dtype as `like`, for outputs that must follow their input's precision. */
export function zerosLike(like: Tensor, shape: readonly number[] = like.shape): Tensor {
  return zeros(shape, dtypeOf(like.data));
}

export function tensor(shape: readonly number[], data: ArrayLike<number> | FloatArray, dtype?: DType): Tensor {
  const n = numel(shape);
  if (data.length !== n)
    fail('bad-shape', `tensor of shape [${shape.join(', ')}] needs ${n} values, got ${data.length}`);
  const dt = dtype ?? (data instanceof Float64Array ? 'float64' : 'float32');
  const out = allocArray(dt, n);
  out.set(data as ArrayLike<number>);
  return { shape: [...shape], data: out };
}

export function clone(t: Tensor): Tensor {
  return { shape: [...t.shape], data: t.data.slice() };
}

export function cast(t: Tensor, dtype: DType): Tensor {
  if (dtypeOf(t.data) === dtype) return t;
  const out = allocArray(dtype, t.data.length);
  out.set(t.data);
  return { shape: [...t.shape], data: out };
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function assertShape(t: Tensor, shape: readonly number[], what: string): void {
  if (!sameShape(t.shape, shape)) {
    fail('bad-shape', `${what} has shape ${formatShape(t.shape)}, expected ${formatShape(shape)}`);
  }
  if (t.data.length !== numel(shape)) {
    fail('bad-shape', `${what} has ${t.data.length} values for shape ${formatShape(shape)}`);
  }
}

/** Row `i` of a 2-D (or leading-dim) tensor as a view (no copy). */
export function row(t: Tensor, i: number): FloatArray {
  const width = t.data.length / t.shape[0];
  return t.data.subarray(i * width, (i + 1) * width);
}

export function reshape(t: Tensor, shape: readonly number[]): Tensor {
  if (numel(shape) !== t.data.length) {
    fail('bad-shape', `cannot reshape ${formatShape(t.shape)} to ${formatShape(shape)}`);
  }
  return { shape: [...shape], data: t.data };
}

/** Stack equally shaped tensors along a new leading dimension (used to add the batch dimension to traces). */
export function stack(ts: readonly Tensor[]): Tensor {
  if (ts.length === 0) fail('bad-shape', 'cannot stack zero tensors');
  const first = ts[0];
  const out = zeros([ts.length, ...first.shape], dtypeOf(first.data));
  const n = first.data.length;
  ts.forEach((t, i) => {
    assertShape(t, first.shape, `stacked tensor ${i}`);
    out.data.set(t.data, i * n);
  });
  return out;
}

export function maxAbsDiff(a: Tensor, b: Tensor): number {
  if (a.data.length !== b.data.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i];
    const y = b.data[i];
    if (x === y) continue; // also makes -Infinity == -Infinity (masked attention scores) count as equal
    const d = Math.abs(x - y);
    if (Number.isNaN(d)) return Number.NaN; // a NaN anywhere is the worst possible difference
    if (d > m) m = d;
  }
  return m;
}
