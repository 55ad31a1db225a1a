import { describe, expect, test } from 'vitest';
import { GlassboxError } from '../errors';
import { flattenParams } from '../params';
import { exportOnnx, onnxHookNames } from './export';
import { modelProtoType, ONNX_DTYPE } from './schema';
import { ONNX_TEST_CONFIG as c, randomParams } from './testing';

interface Decoded {
  ir_version: number;
  producer_name: string;
  opset_import: { domain?: string; version: number }[];
  metadata_props: { key: string; value: string }[];
  graph: {
    node: { op_type: string; domain?: string; input: string[]; output: string[] }[];
    initializer: { name: string; dims: number[]; data_type: number; raw_data: Uint8Array }[];
    input: { name: string; type: { tensor_type: { elem_type: number; shape: { dim: Record<string, unknown>[] } } } }[];
    output: { name: string; type: { tensor_type: { shape: { dim: Record<string, unknown>[] } } } }[];
  };
}

function decode(bytes: Uint8Array): Decoded {
  const type = modelProtoType();
  return type.toObject(type.decode(bytes), { longs: Number, defaults: false, arrays: true }) as Decoded;
}

const params = randomParams(c, 1);

describe('exportOnnx', () => {
  test('writes a ModelProto with opset 17, IR version 8, and one int64 input of dynamic [batch, sequence]', () => {
    const m = decode(exportOnnx(c, params));
    expect(m.ir_version).toBe(8);
    expect(m.producer_name).toBe('glassbox');
    expect(m.opset_import).toEqual([{ version: 17 }]);
    expect(JSON.parse(m.metadata_props[0].value)).toEqual(c);
    expect(m.graph.input).toHaveLength(1);
    const input = m.graph.input[0];
    expect(input.name).toBe('input_ids');
    expect(input.type.tensor_type.elem_type).toBe(ONNX_DTYPE.INT64);
    expect(input.type.tensor_type.shape.dim).toEqual([{ dim_param: 'batch' }, { dim_param: 'sequence' }]);
    expect(m.graph.output.map((o) => o.name)).toEqual(['logits']);
  });

  test('uses only standard-domain GPT-2 operators, one LayerNormalization per LN and one Softmax per layer', () => {
    const m = decode(exportOnnx(c, params));
    const count = (op: string) => m.graph.node.filter((n) => n.op_type === op).length;
    expect(m.graph.node.every((n) => !n.domain)).toBe(true);
    expect(new Set(m.graph.node.map((n) => n.op_type))).toEqual(
      new Set([
        ...['Shape', 'Gather', 'Slice', 'Concat', 'Add', 'LayerNormalization', 'MatMul', 'Reshape', 'Transpose'],
        ...['Mul', 'Where', 'Softmax', 'Tanh'],
      ]),
    );
    expect(count('LayerNormalization')).toBe(2 * c.n_layer + 1);
    expect(count('Softmax')).toBe(c.n_layer);
    expect(count('Tanh')).toBe(c.n_layer);
    expect(count('Gather')).toBe(1);
  });

  test('stores every parameter once as a float32 initializer with its own name, shape and bytes (W_E is tied)', () => {
    const m = decode(exportOnnx(c, params));
    const byName = new Map(m.graph.initializer.map((t) => [t.name, t]));
    for (const [name, t] of flattenParams(params)) {
      const init = byName.get(name);
      expect(init, name).toBeDefined();
      expect(init?.dims).toEqual([...t.shape]);
      expect(init?.data_type).toBe(ONNX_DTYPE.FLOAT);
      const raw = Uint8Array.from(init?.raw_data as Uint8Array); // a copy: protobufjs may hand back a Buffer view
      expect(new Float32Array(raw.buffer)).toEqual(t.data);
    }
    const floats = m.graph.initializer.filter((t) => t.data_type === ONNX_DTYPE.FLOAT);
    const big = floats.filter((t) => t.dims.length === 2 && t.dims[0] === c.vocab_size);
    expect(big.map((t) => t.name)).toEqual(['embed.W_E']); // the unembedding is a Transpose of it, not a copy
  });

  test('exposes the hooks it is asked for as extra outputs, with an Identity where a tensor has two hook names', () => {
    const hooks = ['blocks.1.hook_resid_pre', 'blocks.0.attn.hook_pattern'];
    const m = decode(exportOnnx(c, params, { outputs: hooks }));
    expect(m.graph.output.map((o) => o.name)).toEqual(['logits', ...hooks]);
    const identity = m.graph.node.find((n) => n.op_type === 'Identity');
    expect(identity?.input).toEqual(['blocks.0.hook_resid_post']);
    expect(identity?.output).toEqual(['blocks.1.hook_resid_pre']);
    expect(decode(exportOnnx(c, params, { outputs: 'all' })).graph.output).toHaveLength(1 + onnxHookNames(c).length);
  });

  test('kvCache: past_key/past_value inputs and present_key/present_value outputs per layer, standard ops only', () => {
    const m = decode(exportOnnx(c, params, { kvCache: true }));
    const H = c.n_head;
    const dh = c.n_embd / c.n_head;
    const layers = Array.from({ length: c.n_layer }, (_, l) => l);
    expect(m.graph.input.map((i) => i.name)).toEqual([
      'input_ids',
      ...layers.flatMap((l) => [`past_key_${l}`, `past_value_${l}`]),
    ]);
    expect(m.graph.output.map((o) => o.name)).toEqual([
      'logits',
      ...layers.flatMap((l) => [`present_key_${l}`, `present_value_${l}`]),
    ]);
    const dims = (v: { type: { tensor_type: { shape: { dim: Record<string, unknown>[] } } } }) =>
      v.type.tensor_type.shape.dim.map((d) => d.dim_value ?? d.dim_param);
    expect(dims(m.graph.input[1])).toEqual(['batch', H, 'past_sequence', dh]);
    expect(dims(m.graph.output[1])).toEqual(['batch', H, 'total_sequence', dh]);
    // The plain export's operators plus Squeeze and Range (positions from T_past), all in the default domain.
    expect(m.graph.node.every((n) => !n.domain)).toBe(true);
    const plainOps = new Set(decode(exportOnnx(c, params)).graph.node.map((n) => n.op_type));
    expect(new Set(m.graph.node.map((n) => n.op_type))).toEqual(new Set([...plainOps, 'Squeeze', 'Range']));
    expect(m.graph.node.filter((n) => n.op_type === 'Concat' && n.output[0].startsWith('present_'))).toHaveLength(
      2 * c.n_layer,
    );
    // The plain export is what it was: kvCache: false writes the same bytes as no option.
    expect(exportOnnx(c, params, { kvCache: false })).toEqual(exportOnnx(c, params));
  });

  test('opset 21 with the Gelu operator replaces the tanh formula and records IR version 10', () => {
    const m = decode(exportOnnx(c, params, { opset: 21, gelu: 'gelu-op' }));
    expect(m.ir_version).toBe(10);
    expect(m.opset_import).toEqual([{ version: 21 }]);
    expect(m.graph.node.filter((n) => n.op_type === 'Gelu')).toHaveLength(c.n_layer);
    expect(m.graph.node.some((n) => n.op_type === 'Tanh')).toBe(false);
  });

  test('refuses opsets without LayerNormalization, Gelu before opset 20, unknown hooks and mis-shaped params', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as GlassboxError).code;
      }
      return 'no error';
    };
    expect(code(() => exportOnnx(c, params, { opset: 16 }))).toBe('unsupported');
    expect(code(() => exportOnnx(c, params, { opset: 19, gelu: 'gelu-op' }))).toBe('unsupported');
    expect(code(() => exportOnnx(c, params, { outputs: ['blocks.0.attn.hook_mask'] }))).toBe('bad-hook');
    expect(code(() => exportOnnx(c, params, { outputs: ['blocks.9.hook_resid_post'] }))).toBe('bad-hook');
    expect(code(() => exportOnnx({ ...c, n_embd: 16, n_head: 4 }, params))).toBe('bad-shape');
    expect(() => exportOnnx(c, params, { opset: 16 })).toThrow(GlassboxError);
  });
});
