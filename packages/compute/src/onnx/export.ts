import type { GPTConfig } from '../config';
import { dHead, validateConfig } from '../config';
import { GELU_C } from '../cpu/ops/gelu';
import { fail } from '../errors';
import { hookNames } from '../hooks';
import type { GPTParams } from '../params';
import { flattenParams, paramsFromMap } from '../params';
import { GraphBuilder, valueInfo } from './graph';
import { modelProtoType, ONNX_DTYPE } from './schema';

/**
 * Export a model as a standard GPT-2 ONNX graph, written by our own code (no PyTorch, no onnx package):
 *
 *   input_ids int64 [batch, sequence]
 *   x = Gather(W_E, input_ids) + Slice(W_pos, 0 … T)                 positions computed in the graph from Shape
 *   per block (pre-LN):
 *     h = LayerNormalization(x)
 *     q, k, v = Reshape(h·W + b, [B, T, H, dh]), heads moved forward with Transpose
 *     scores = Where(causal, q·kᵀ · 1/√dh, −∞);  pattern = Softmax(scores);  z = pattern·v
 *     x = x + (merge(z)·W_O + b_O)
 *     x = x + (gelu(LayerNormalization(x)·W_in + b_in)·W_out + b_out)
 *   logits = LayerNormalization(x) · Transpose(W_E)                  tied unembedding, one copy of W_E in the file
 *
 * Intermediate tensors carry our hook names (`blocks.0.attn.hook_pattern`), so any of them can be made an extra graph
 * output and compared, tensor by tensor, with the CPU engine's trace.
 *
 * With `kvCache: true` the graph is a "decoder with past", the form Hugging Face optimum exports GPT-2 in for
 * generation: per layer it also takes the keys and values of the T_past positions already seen
 * (`past_key_<l>`, `past_value_<l>`: [B, H, T_past, dh], T_past may be 0) and returns them with this call's appended
 * (`present_key_<l>`, `present_value_<l>`: [B, H, T_past + T, dh]). Positions start at T_past, read from the shape
 * of past_key_0, and new position t sees every past key and the new keys up to t. docs/onnx.md draws the graph.
 */

/** Opsets the exporter writes: 17 introduced LayerNormalization; 21 is the newest tested with ONNX Runtime 1.30. */
export const ONNX_MIN_OPSET = 17;
export const ONNX_MAX_OPSET = 21;
export const ONNX_DEFAULT_OPSET = 17;

/** The IR version that goes with each opset (onnx/docs/Versioning.md), so older runtimes accept the file. */
const IR_VERSION: Record<number, number> = { 17: 8, 18: 8, 19: 9, 20: 9, 21: 10 };

export type OnnxGelu = 'tanh-formula' | 'gelu-op';

export interface ExportOnnxOptions {
  /** ONNX opset, 17 … 21 (default 17). */
  opset?: number;
  /**
   * How GELU is written. 'tanh-formula' (default) spells out 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) with
   * Mul/Add/Tanh, which every runtime since opset 1 can run. 'gelu-op' uses the Gelu operator with
   * approximate="tanh", which exists from opset 20.
   */
  gelu?: OnnxGelu;
  /** Hook names to expose as extra graph outputs (see onnxHookNames), or 'all'. Logits are always an output. */
  outputs?: readonly string[] | 'all';
  /**
   * Write a decoder with past: past_key_<l> / past_value_<l> inputs and present_key_<l> / present_value_<l> outputs
   * for every layer, so a runtime decodes one token at a time without recomputing the prefix (default false).
   * Hook outputs then have the CPU engine's layouts for a run with a cache: the new positions' rows, and attention
   * over all T_past + T keys ([B, H, T, T_past + T] scores and pattern).
   */
  kvCache?: boolean;
}

/** The hook points the exported graph computes as tensors of the same layout as the CPU engine's (plus batch 1). */
export function onnxHookNames(config: GPTConfig): string[] {
  return hookNames(config).filter((name) => EXPORTED_SUFFIXES.some((s) => name === s || name.endsWith(`.${s}`)));
}

const EXPORTED_SUFFIXES = [
  'hook_embed',
  'hook_pos_embed',
  'hook_resid_pre',
  'ln1.hook_normalized',
  'hook_q',
  'hook_k',
  'hook_v',
  'hook_attn_scores',
  'hook_pattern',
  'hook_z',
  'hook_attn_out',
  'hook_resid_mid',
  'ln2.hook_normalized',
  'hook_pre',
  'hook_post',
  'hook_mlp_out',
  'hook_resid_post',
  'ln_final.hook_normalized',
];

/** Serialize the model as an ONNX ModelProto. float64 parameters are written as float32. */
export function exportOnnx(config: GPTConfig, params: GPTParams, options: ExportOnnxOptions = {}): Uint8Array {
  const c = validateConfig(config);
  const opset = options.opset ?? ONNX_DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < ONNX_MIN_OPSET || opset > ONNX_MAX_OPSET) {
    fail('unsupported', `ONNX export writes opsets ${ONNX_MIN_OPSET} … ${ONNX_MAX_OPSET}, not ${opset}`);
  }
  const geluMode = options.gelu ?? 'tanh-formula';
  if (geluMode === 'gelu-op' && opset < 20) {
    fail(
      'unsupported',
      `the Gelu operator needs opset 20 or later (asked for opset ${opset}); use gelu: 'tanh-formula'`,
    );
  }
  const available = onnxHookNames(c);
  const requested = options.outputs === 'all' ? available : [...(options.outputs ?? [])];
  const kvCache = options.kvCache ?? false;
  for (const name of requested) {
    if (!available.includes(name)) {
      fail('bad-hook', `"${name}" cannot be an ONNX output; exportable hooks: ${available.join(', ')}`);
    }
  }

  const g = new GraphBuilder();
  const w = weightInitializers(g, c, params);
  /** Hook name → the graph tensor that holds it (an alias when one tensor has two hook names). */
  const hooks = new Map<string, string>();
  const H = c.n_head;
  const dh = dHead(c);
  const d = c.n_embd;

  const ids = g.fresh('input_ids');
  const past = kvCache
    ? Array.from({ length: c.n_layer }, (_, l) => ({ k: g.fresh(`past_key_${l}`), v: g.fresh(`past_value_${l}`) }))
    : [];
  const T = g.op('Shape', [ids], 'sequence_length', { start: 1, end: 2 }); // [1] int64
  const zero = g.intsConst([0]);
  const embed = g.op('Gather', [w('embed.W_E'), ids], 'hook_embed', { axis: 0 }); // [B, T, d]
  // Without a cache the positions are 0 … T−1, a slice of W_pos. With one they are T_past … T_past+T−1, gathered
  // at Range(T_past, T_past + T) as optimum's GPT-2 exports gather at position_ids. Past n_positions there is no
  // row to gather: ORT then fails, or returns no rows once its optimizer has made the Gather a Slice; the runtime
  // (createOnnxDecoder) refuses such a call with a clear error before ORT sees it.
  const pastLen = kvCache ? g.op('Shape', [past[0].k], 'past_sequence_length', { start: 2, end: 3 }) : zero; // [1]
  const total = kvCache ? g.op('Add', [pastLen, T], 'total_sequence_length') : T; // [1] = T_past + T
  let pos: string; // [T, d]
  if (kvCache) {
    const start = g.op('Squeeze', [pastLen], 'position_start'); // scalars: Range takes no [1] tensors
    const end = g.op('Squeeze', [total], 'position_end');
    const positions = g.op('Range', [start, end, g.intScalar(1)], 'position_ids'); // [T]
    pos = g.op('Gather', [w('pos_embed.W_pos'), positions], 'hook_pos_embed', { axis: 0 });
  } else {
    pos = g.op('Slice', [w('pos_embed.W_pos'), zero, T, zero], 'hook_pos_embed');
  }
  hooks.set('hook_embed', embed).set('hook_pos_embed', pos);

  // causal: bool [T, T_past + T], true where query t (absolute position T_past + t) may see key s ≤ T_past + t: rows
  // T_past … T_past+T−1 and columns 0 … T_past+T−1 of one [n_positions, n_positions] lower-triangular initializer
  // (T_past = 0 without a cache).
  const P = c.n_positions;
  const lower = new Uint8Array(P * P);
  for (let t = 0; t < P; t++) lower.fill(1, t * P, t * P + t + 1);
  const TT = g.op('Concat', [total, total], 'mask_end', { axis: 0 });
  const maskStart = kvCache ? g.op('Concat', [pastLen, zero], 'mask_start', { axis: 0 }) : null;
  const causal = g.op(
    'Slice',
    [
      g.initializer('causal_mask', [P, P], ONNX_DTYPE.BOOL, lower),
      maskStart ?? g.intsConst([0, 0]),
      TT,
      g.intsConst([0, 1]),
    ],
    'causal',
  );
  // −∞, not a large negative number: exp(−∞ − max) is exactly 0 for any score magnitude, so masked probabilities are
  // exactly 0, and the exported scores equal the CPU engine's hook_attn_scores (which hold −∞) entry for entry.
  const negInf = g.floatConst(Number.NEGATIVE_INFINITY);
  const invSqrtDh = g.floatConst(1 / Math.sqrt(dh));
  const toHeads = g.intsConst([0, 0, H, dh]); // [B, T, d] → [B, T, H, dh]; 0 keeps the input's size
  const fromHeads = g.intsConst([0, 0, d]);

  const layerNorm = (x: string, p: string, out: string) =>
    g.op('LayerNormalization', [x, w(`${p}.w`), w(`${p}.b`)], out, {
      axis: -1,
      epsilon: { float: c.layer_norm_epsilon },
    });
  const linear = (x: string, W: string, b: string, out: string) =>
    g.op('Add', [g.op('MatMul', [x, w(W)], `${out}_matmul`), w(b)], out);
  /** [B, T, d] → [B, T, H, dh]: head h owns columns h·dh …, so splitting the heads is a reshape. */
  const splitHeads = (x: string, out: string) => g.op('Reshape', [x, toHeads], out);
  const gelu = (x: string, out: string) => {
    if (geluMode === 'gelu-op') return g.op('Gelu', [x], out, { approximate: 'tanh' });
    const cube = g.op('Mul', [g.op('Mul', [x, x], `${out}_x2`), x], `${out}_x3`);
    const inner = g.op('Add', [x, g.op('Mul', [cube, g.floatConst(0.044715)], `${out}_cx3`)], `${out}_inner`);
    const th = g.op('Tanh', [g.op('Mul', [inner, g.floatConst(GELU_C)], `${out}_u`)], `${out}_tanh`);
    const half = g.op('Mul', [x, g.floatConst(0.5)], `${out}_halfx`);
    return g.op('Mul', [half, g.op('Add', [th, g.floatConst(1)], `${out}_1p`)], out);
  };

  const presents: string[] = []; // present_key_0, present_value_0, present_key_1, …
  let x = g.op('Add', [embed, pos], 'blocks.0.hook_resid_pre'); // [B, T, d]
  for (let l = 0; l < c.n_layer; l++) {
    const p = `blocks.${l}`;
    hooks.set(`${p}.hook_resid_pre`, x);
    const ln1 = layerNorm(x, `${p}.ln1`, `${p}.ln1.hook_normalized`);
    const q = splitHeads(linear(ln1, `${p}.attn.W_Q`, `${p}.attn.b_Q`, `${p}.attn.q_flat`), `${p}.attn.hook_q`);
    const k = splitHeads(linear(ln1, `${p}.attn.W_K`, `${p}.attn.b_K`, `${p}.attn.k_flat`), `${p}.attn.hook_k`);
    const v = splitHeads(linear(ln1, `${p}.attn.W_V`, `${p}.attn.b_V`, `${p}.attn.v_flat`), `${p}.attn.hook_v`);
    const qh = g.op('Transpose', [q], `${p}.attn.q_heads`, { perm: [0, 2, 1, 3] }); // [B, H, T, dh]
    let kt: string; // [B, H, dh, S], S = T_past + T
    let vh: string; // [B, H, S, dh]
    if (kvCache) {
      // present = past then new along the position axis: what the next call takes as its past.
      const kNew = g.op('Transpose', [k], `${p}.attn.k_heads`, { perm: [0, 2, 1, 3] }); // [B, H, T, dh]
      const vNew = g.op('Transpose', [v], `${p}.attn.v_heads_new`, { perm: [0, 2, 1, 3] });
      const kAll = g.op('Concat', [past[l].k, kNew], `present_key_${l}`, { axis: 2 }); // [B, H, S, dh]
      vh = g.op('Concat', [past[l].v, vNew], `present_value_${l}`, { axis: 2 });
      kt = g.op('Transpose', [kAll], `${p}.attn.k_heads_t`, { perm: [0, 1, 3, 2] });
      presents.push(kAll, vh);
    } else {
      kt = g.op('Transpose', [k], `${p}.attn.k_heads_t`, { perm: [0, 2, 3, 1] });
      vh = g.op('Transpose', [v], `${p}.attn.v_heads`, { perm: [0, 2, 1, 3] });
    }
    const dots = g.op('MatMul', [qh, kt], `${p}.attn.dots`); // [B, H, T, S]
    const scaled = g.op('Mul', [dots, invSqrtDh], `${p}.attn.scaled`);
    const scores = g.op('Where', [causal, scaled, negInf], `${p}.attn.hook_attn_scores`); // [B, H, T, S]
    const pattern = g.op('Softmax', [scores], `${p}.attn.hook_pattern`, { axis: -1 });
    const zh = g.op('MatMul', [pattern, vh], `${p}.attn.z_heads`); // [B, H, T, dh]
    const z = g.op('Transpose', [zh], `${p}.attn.hook_z`, { perm: [0, 2, 1, 3] }); // [B, T, H, dh]
    const merged = g.op('Reshape', [z, fromHeads], `${p}.attn.z_merged`); // [B, T, d]
    const attnOut = linear(merged, `${p}.attn.W_O`, `${p}.attn.b_O`, `${p}.hook_attn_out`);
    const mid = g.op('Add', [x, attnOut], `${p}.hook_resid_mid`);
    const ln2 = layerNorm(mid, `${p}.ln2`, `${p}.ln2.hook_normalized`);
    const pre = linear(ln2, `${p}.mlp.W_in`, `${p}.mlp.b_in`, `${p}.mlp.hook_pre`); // [B, T, m]
    const post = gelu(pre, `${p}.mlp.hook_post`);
    const mlpOut = linear(post, `${p}.mlp.W_out`, `${p}.mlp.b_out`, `${p}.hook_mlp_out`);
    x = g.op('Add', [mid, mlpOut], `${p}.hook_resid_post`);
    for (const [name, t] of [
      ['ln1.hook_normalized', ln1],
      ['attn.hook_q', q],
      ['attn.hook_k', k],
      ['attn.hook_v', v],
      ['attn.hook_attn_scores', scores],
      ['attn.hook_pattern', pattern],
      ['attn.hook_z', z],
      ['hook_attn_out', attnOut],
      ['hook_resid_mid', mid],
      ['ln2.hook_normalized', ln2],
      ['mlp.hook_pre', pre],
      ['mlp.hook_post', post],
      ['hook_mlp_out', mlpOut],
      ['hook_resid_post', x],
    ]) {
      hooks.set(`${p}.${name}`, t);
    }
  }
  const final = layerNorm(x, 'ln_final', 'ln_final.hook_normalized');
  hooks.set('ln_final.hook_normalized', final);
  const unembed = g.op('Transpose', [w('embed.W_E')], 'W_U', { perm: [1, 0] }); // [d, V], folded at load time
  const logits = g.op('MatMul', [final, unembed], 'logits'); // [B, T, V]

  const outputs = [valueInfo(logits, ONNX_DTYPE.FLOAT, ['batch', 'sequence', c.vocab_size])];
  const cacheDims = (len: string) => ['batch', H, len, dh];
  for (const name of presents) outputs.push(valueInfo(name, ONNX_DTYPE.FLOAT, cacheDims('total_sequence')));
  for (const name of requested) {
    const tensor = hooks.get(name) as string;
    // A graph output must be named after the hook; when the tensor already has another name (resid_pre of block
    // l > 0 is resid_post of block l − 1), an Identity gives it the second one.
    const out = tensor === name ? name : g.op('Identity', [tensor], name);
    outputs.push(valueInfo(out, ONNX_DTYPE.FLOAT));
  }

  const model = {
    ir_version: IR_VERSION[opset],
    producer_name: 'glassbox',
    producer_version: '0.1.0',
    doc_string: 'GPT-2 exported by Glassbox (@glassbox/compute exportOnnx)',
    opset_import: [{ domain: '', version: opset }],
    metadata_props: [{ key: 'glassbox.config', value: JSON.stringify(c) }],
    graph: {
      name: 'gpt2',
      node: g.nodes,
      initializer: g.initializers,
      input: [
        valueInfo(ids, ONNX_DTYPE.INT64, ['batch', 'sequence']),
        ...past.flatMap(({ k, v }) => [k, v].map((n) => valueInfo(n, ONNX_DTYPE.FLOAT, cacheDims('past_sequence')))),
      ],
      output: outputs,
    },
  };
  const type = modelProtoType();
  const problem = type.verify(model);
  if (problem) fail('unsupported', `ONNX export built an invalid ModelProto: ${problem}`);
  return type.encode(type.fromObject(model)).finish();
}

/**
 * Every parameter as a float32 initializer named as in our checkpoints (`blocks.0.attn.W_Q`). paramsFromMap checks
 * each name and shape against the config first. Returns a lookup from parameter name to initializer name.
 */
function weightInitializers(g: GraphBuilder, c: GPTConfig, params: GPTParams): (name: string) => string {
  const checked = paramsFromMap(c, new Map(flattenParams(params)));
  const names = new Map<string, string>();
  for (const [name, t] of flattenParams(checked)) {
    const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
    names.set(name, g.initializer(name, t.shape, ONNX_DTYPE.FLOAT, data));
  }
  return (name) => names.get(name) as string;
}
