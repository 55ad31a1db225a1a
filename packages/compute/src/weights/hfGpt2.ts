import type { GPTConfig } from '../config';
import { dMlp } from '../config';
import { fail } from '../errors';
import type { GPTParams } from '../params';
import { flattenParams, paramsFromMap } from '../params';
import type { DType, FloatArray, Tensor } from '../tensor';
import { allocArray, dtypeOf, formatShape, maxAbsDiff, sameShape } from '../tensor';

/**
 * Hugging Face GPT-2 tensor names ↔ our TransformerLens-style parameter names.
 *
 * HF stores linear layers as Conv1D with weight [in, out] (y = x·W + b), the same layout as ours, so the only real
 * work is attention: HF fuses Q, K and V into one c_attn.weight [d, 3d] whose columns 0..d-1 are Q, d..2d-1 K and
 * 2d..3d-1 V (each of those already head-major: head h owns columns h·dh … (h+1)·dh − 1 within its third).
 */

/** GPT2LMHeadModel saves its body under this prefix; GPT2Model (and the hub's `gpt2` file) without it. */
export const HF_TRANSFORMER_PREFIX = 'transformer.';

/** Causal-mask buffers older transformers versions saved into checkpoints; they are not parameters. */
const IGNORED_BUFFER = /^h\.\d+\.attn\.(bias|masked_bias)$/;
const LM_HEAD = 'lm_head.weight';

export function stripTransformerPrefix(name: string): string {
  return name.startsWith(HF_TRANSFORMER_PREFIX) ? name.slice(HF_TRANSFORMER_PREFIX.length) : name;
}

/** True for tensors a GPT-2 checkpoint may carry that Glassbox never uses (the attention-mask buffers). */
export function isIgnoredHfTensor(name: string): boolean {
  return IGNORED_BUFFER.test(stripTransformerPrefix(name));
}

export interface HfTensorSpec {
  name: string;
  shape: number[];
  /** The shape in config.json's terms, for error messages a user can act on. */
  dims: string;
}

/** Every tensor a HF GPT-2 checkpoint must hold for this config (without the `transformer.` prefix). */
export function hfGpt2Specs(c: GPTConfig): HfTensorSpec[] {
  const d = c.n_embd;
  const m = dMlp(c);
  const specs: HfTensorSpec[] = [
    { name: 'wte.weight', shape: [c.vocab_size, d], dims: '[vocab_size, n_embd]' },
    { name: 'wpe.weight', shape: [c.n_positions, d], dims: '[n_positions, n_embd]' },
  ];
  const vec = (name: string, n: number, dims: string) => specs.push({ name, shape: [n], dims });
  for (let i = 0; i < c.n_layer; i++) {
    const h = `h.${i}`;
    vec(`${h}.ln_1.weight`, d, '[n_embd]');
    vec(`${h}.ln_1.bias`, d, '[n_embd]');
    specs.push({ name: `${h}.attn.c_attn.weight`, shape: [d, 3 * d], dims: '[n_embd, 3·n_embd]' });
    vec(`${h}.attn.c_attn.bias`, 3 * d, '[3·n_embd]');
    specs.push({ name: `${h}.attn.c_proj.weight`, shape: [d, d], dims: '[n_embd, n_embd]' });
    vec(`${h}.attn.c_proj.bias`, d, '[n_embd]');
    vec(`${h}.ln_2.weight`, d, '[n_embd]');
    vec(`${h}.ln_2.bias`, d, '[n_embd]');
    specs.push({ name: `${h}.mlp.c_fc.weight`, shape: [d, m], dims: '[n_embd, 4·n_embd]' });
    vec(`${h}.mlp.c_fc.bias`, m, '[4·n_embd]');
    specs.push({ name: `${h}.mlp.c_proj.weight`, shape: [m, d], dims: '[4·n_embd, n_embd]' });
    vec(`${h}.mlp.c_proj.bias`, d, '[n_embd]');
  }
  vec('ln_f.weight', d, '[n_embd]');
  vec('ln_f.bias', d, '[n_embd]');
  return specs;
}

/** Our name for each HF tensor that maps one-to-one (everything but the fused c_attn). */
function directNames(c: GPTConfig): [hf: string, ours: string][] {
  const pairs: [string, string][] = [
    ['wte.weight', 'embed.W_E'],
    ['wpe.weight', 'pos_embed.W_pos'],
    ['ln_f.weight', 'ln_final.w'],
    ['ln_f.bias', 'ln_final.b'],
  ];
  for (let l = 0; l < c.n_layer; l++) {
    const h = `h.${l}`;
    const b = `blocks.${l}`;
    pairs.push(
      [`${h}.ln_1.weight`, `${b}.ln1.w`],
      [`${h}.ln_1.bias`, `${b}.ln1.b`],
      [`${h}.attn.c_proj.weight`, `${b}.attn.W_O`],
      [`${h}.attn.c_proj.bias`, `${b}.attn.b_O`],
      [`${h}.ln_2.weight`, `${b}.ln2.w`],
      [`${h}.ln_2.bias`, `${b}.ln2.b`],
      [`${h}.mlp.c_fc.weight`, `${b}.mlp.W_in`],
      [`${h}.mlp.c_fc.bias`, `${b}.mlp.b_in`],
      [`${h}.mlp.c_proj.weight`, `${b}.mlp.W_out`],
      [`${h}.mlp.c_proj.bias`, `${b}.mlp.b_out`],
    );
  }
  return pairs;
}

/** Split the last axis of `t` ([rows, parts·width] or [parts·width]) into `parts` equal tensors. */
function splitLastAxis(t: Tensor, parts: number): Tensor[] {
  const cols = t.shape[t.shape.length - 1];
  const width = cols / parts;
  const rows = t.data.length / cols;
  const shape = [...t.shape.slice(0, -1), width];
  return Array.from({ length: parts }, (_, p) => {
    const data = allocArray(dtypeOf(t.data), rows * width);
    for (let r = 0; r < rows; r++)
      data.set(t.data.subarray(r * cols + p * width, r * cols + (p + 1) * width), r * width);
    return { shape, data };
  });
}

/** Inverse of splitLastAxis: place equally shaped tensors side by side along the last axis. */
function concatLastAxis(ts: Tensor[]): Tensor {
  const first = ts[0];
  const width = first.shape[first.shape.length - 1];
  const rows = first.data.length / width;
  const cols = width * ts.length;
  const data: FloatArray = allocArray(dtypeOf(first.data), rows * cols);
  ts.forEach((t, p) => {
    for (let r = 0; r < rows; r++) data.set(t.data.subarray(r * width, (r + 1) * width), r * cols + p * width);
  });
  return { shape: [...first.shape.slice(0, -1), cols], data };
}

export interface HfGpt2Conversion {
  params: GPTParams;
  /** Things that did not stop the load but a user should see (an untied lm_head, unknown extra tensors). */
  warnings: string[];
}

const MAX_LISTED = 5;

/**
 * Build GPTParams from tensors named as in a HF GPT-2 checkpoint (with or without the `transformer.` prefix).
 * Every required tensor must be present with the shape the config implies; mask buffers are ignored; lm_head.weight,
 * if present, is checked against wte.weight because Glassbox always ties the unembedding to it.
 */
export function hfGpt2ToParams(
  c: GPTConfig,
  tensors: ReadonlyMap<string, Tensor>,
  options: { dtype?: DType } = {},
): HfGpt2Conversion {
  const warnings: string[] = [];
  const byName = new Map<string, Tensor>();
  for (const [raw, t] of tensors) {
    const name = stripTransformerPrefix(raw);
    if (byName.has(name)) {
      fail('bad-checkpoint', `checkpoint holds ${name} twice (with and without the "${HF_TRANSFORMER_PREFIX}" prefix)`);
    }
    byName.set(name, t);
  }

  const specs = hfGpt2Specs(c);
  const missing = specs.filter((s) => !byName.has(s.name));
  if (missing.length > 0) {
    const list = missing
      .slice(0, MAX_LISTED)
      .map((s) => `${s.name} ${formatShape(s.shape)}`)
      .join(', ');
    const more = missing.length > MAX_LISTED ? ` and ${missing.length - MAX_LISTED} more` : '';
    fail('bad-checkpoint', `checkpoint is missing ${missing.length} GPT-2 tensor(s): ${list}${more}`);
  }
  for (const s of specs) {
    const t = byName.get(s.name) as Tensor;
    if (!sameShape(t.shape, s.shape)) {
      fail(
        'bad-checkpoint',
        `tensor ${s.name} has shape ${formatShape(t.shape)}, expected ${formatShape(s.shape)} ` +
          `(${s.dims} from the config)`,
      );
    }
  }

  const expected = new Set(specs.map((s) => s.name));
  for (const name of byName.keys()) {
    if (expected.has(name) || name === LM_HEAD || IGNORED_BUFFER.test(name)) continue;
    const layer = /^h\.(\d+)\./.exec(name);
    if (layer && Number(layer[1]) >= c.n_layer) {
      fail('bad-checkpoint', `checkpoint has tensor ${name}, but the config says n_layer = ${c.n_layer}`);
    }
    warnings.push(`ignored tensor ${name}: not part of a GPT-2 model`);
  }

  const wte = byName.get('wte.weight') as Tensor;
  const lmHead = byName.get(LM_HEAD);
  if (lmHead) {
    if (!sameShape(lmHead.shape, wte.shape)) {
      warnings.push(
        `${LM_HEAD} has shape ${formatShape(lmHead.shape)}, unlike wte.weight ${formatShape(wte.shape)}; ` +
          `Glassbox ties the unembedding to wte.weight and ignores ${LM_HEAD}`,
      );
    } else {
      const diff = maxAbsDiff(lmHead, wte);
      if (diff !== 0) {
        warnings.push(
          `${LM_HEAD} differs from wte.weight (max |difference| ${diff}); Glassbox ties the unembedding to ` +
            `wte.weight and ignores ${LM_HEAD}, so logits will not match a model with an untied head`,
        );
      }
    }
  }

  const ours = new Map<string, Tensor>();
  for (const [hf, name] of directNames(c)) ours.set(name, byName.get(hf) as Tensor);
  for (let l = 0; l < c.n_layer; l++) {
    const [W_Q, W_K, W_V] = splitLastAxis(byName.get(`h.${l}.attn.c_attn.weight`) as Tensor, 3);
    const [b_Q, b_K, b_V] = splitLastAxis(byName.get(`h.${l}.attn.c_attn.bias`) as Tensor, 3);
    const b = `blocks.${l}.attn`;
    ours.set(`${b}.W_Q`, W_Q).set(`${b}.W_K`, W_K).set(`${b}.W_V`, W_V);
    ours.set(`${b}.b_Q`, b_Q).set(`${b}.b_K`, b_K).set(`${b}.b_V`, b_V);
  }
  return { params: paramsFromMap(c, ours, options.dtype), warnings };
}

/**
 * Our parameters under HF GPT-2 names (no `transformer.` prefix, like the hub's `gpt2` checkpoint; transformers adds
 * the prefix itself when loading into GPT2LMHeadModel). No lm_head: it is tied to wte. Tensors that map one-to-one
 * are shared, not copied.
 */
export function paramsToHfGpt2(c: GPTConfig, p: GPTParams): Map<string, Tensor> {
  const checked = paramsFromMap(c, new Map(flattenParams(p))); // every name present with the config's shape
  const ours = new Map(flattenParams(checked));
  const out = new Map<string, Tensor>();
  for (const [hf, name] of directNames(c)) out.set(hf, ours.get(name) as Tensor);
  for (let l = 0; l < c.n_layer; l++) {
    const a = checked.blocks[l].attn;
    out.set(`h.${l}.attn.c_attn.weight`, concatLastAxis([a.W_Q, a.W_K, a.W_V]));
    out.set(`h.${l}.attn.c_attn.bias`, concatLastAxis([a.b_Q, a.b_K, a.b_V]));
  }
  return out;
}
