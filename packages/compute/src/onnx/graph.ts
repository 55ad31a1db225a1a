import { ONNX_ATTR, ONNX_DTYPE } from './schema';

/**
 * A tiny builder for ONNX graphs: plain objects in the shape of onnx.proto's messages (field names as in the
 * schema, keepCase), which protobufjs encodes. It knows nothing about GPT-2; export.ts writes the model with it.
 */

export type AttrValue = number | readonly number[] | string | { float: number } | { floats: readonly number[] };

export interface OnnxNode {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  attribute: OnnxAttribute[];
}

export interface OnnxAttribute {
  name: string;
  type: number;
  i?: number;
  f?: number;
  s?: Uint8Array;
  ints?: number[];
  floats?: number[];
}

export interface OnnxTensorProto {
  name: string;
  dims: number[];
  data_type: number;
  raw_data: Uint8Array;
}

/** Dimension of a graph input/output: a fixed size or a symbolic name (dynamic). */
export type OnnxDim = number | string;

export interface OnnxValueInfo {
  name: string;
  type: { tensor_type: { elem_type: number; shape?: { dim: ({ dim_value: number } | { dim_param: string })[] } } };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** raw_data is little-endian by the ONNX spec; on a little-endian host (every browser platform) a view is enough. */
function rawBytes(data: Float32Array | BigInt64Array | Uint8Array): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Float32Array) view.setFloat32(i * 4, data[i], true);
    else view.setBigInt64(i * 8, data[i], true);
  }
  return out;
}

function attribute(name: string, value: AttrValue): OnnxAttribute {
  if (typeof value === 'number') return { name, type: ONNX_ATTR.INT, i: value };
  if (typeof value === 'string') return { name, type: ONNX_ATTR.STRING, s: new TextEncoder().encode(value) };
  if ('float' in value) return { name, type: ONNX_ATTR.FLOAT, f: value.float };
  if ('floats' in value) return { name, type: ONNX_ATTR.FLOATS, floats: [...value.floats] };
  return { name, type: ONNX_ATTR.INTS, ints: [...value] };
}

export function valueInfo(name: string, elemType: number, dims?: readonly OnnxDim[]): OnnxValueInfo {
  const tensor_type: OnnxValueInfo['type']['tensor_type'] = { elem_type: elemType };
  if (dims) {
    tensor_type.shape = { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) };
  }
  return { name, type: { tensor_type } };
}

export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensorProto[] = [];
  private readonly names = new Set<string>();
  private readonly constants = new Map<string, string>();
  private counter = 0;

  /** A fresh tensor name with a readable prefix (ONNX requires every tensor name to be assigned once). */
  fresh(prefix: string): string {
    let name = prefix;
    while (this.names.has(name)) name = `${prefix}_${++this.counter}`;
    this.names.add(name);
    return name;
  }

  initializer(
    name: string,
    dims: readonly number[],
    dataType: number,
    data: Float32Array | BigInt64Array | Uint8Array,
  ) {
    const unique = this.fresh(name);
    this.initializers.push({ name: unique, dims: [...dims], data_type: dataType, raw_data: rawBytes(data) });
    return unique;
  }

  /** A float32 constant, shared between uses: scalars for the GELU and attention-scale arithmetic. */
  floatConst(value: number, dims: readonly number[] = []): string {
    return this.shared(`f:${value}:${dims}`, () =>
      this.initializer('const_f', dims, ONNX_DTYPE.FLOAT, new Float32Array([value])),
    );
  }

  /** A 1-D int64 constant (shapes, axes, slice bounds), shared between uses. */
  intsConst(values: readonly number[]): string {
    return this.shared(`i:${values}`, () =>
      this.initializer('const_i', [values.length], ONNX_DTYPE.INT64, BigInt64Array.from(values.map(BigInt))),
    );
  }

  /** A 0-D int64 constant (a Range step), shared between uses. */
  intScalar(value: number): string {
    return this.shared(`s:${value}`, () =>
      this.initializer('const_s', [], ONNX_DTYPE.INT64, BigInt64Array.from([BigInt(value)])),
    );
  }

  /** Append a node; its one output gets `out` (made unique) as its name. Returns the output's name. */
  op(opType: string, inputs: readonly string[], out: string, attrs: Record<string, AttrValue> = {}): string {
    const output = this.fresh(out);
    this.nodes.push({
      input: [...inputs],
      output: [output],
      name: `${opType}_${this.nodes.length}`,
      op_type: opType,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return output;
  }

  private shared(key: string, make: () => string): string {
    let name = this.constants.get(key);
    if (name === undefined) {
      name = make();
      this.constants.set(key, name);
    }
    return name;
  }
}
