import type { GPTConfig } from './config';
import { dMlp } from './config';
import { fail } from './errors';
import { createRng } from './rng';
import type { DType, Tensor } from './tensor';
import { allocArray, assertShape, cast, numel } from './tensor';

/**
 * Parameters in TransformerLens-style names. Matrices are stored [in, out] so that `y = x · W + b` (the same layout
 * as Hugging Face's Conv1D, which makes loading GPT-2 a split, not a transpose). W_Q/W_K/W_V are [d, H·dh] with each
 * head's columns contiguous: head h owns columns h·dh … (h+1)·dh − 1.
 */
export interface LayerNormParams {
  w: Tensor; // [d]
  b: Tensor; // [d]
}

export interface AttentionParams {
  W_Q: Tensor; // [d, d]
  b_Q: Tensor; // [d]
  W_K: Tensor; // [d, d]
  b_K: Tensor; // [d]
  W_V: Tensor; // [d, d]
  b_V: Tensor; // [d]
  W_O: Tensor; // [d, d]
  b_O: Tensor; // [d]
}

export interface MlpParams {
  W_in: Tensor; // [d, m]
  b_in: Tensor; // [m]
  W_out: Tensor; // [m, d]
  b_out: Tensor; // [d]
}

export interface BlockParams {
  ln1: LayerNormParams;
  attn: AttentionParams;
  ln2: LayerNormParams;
  mlp: MlpParams;
}

export interface GPTParams {
  embed: { W_E: Tensor }; // [V, d], also the (tied) unembedding
  pos_embed: { W_pos: Tensor }; // [n_positions, d]
  blocks: BlockParams[];
  ln_final: LayerNormParams;
}

/** What kind of parameter a name is: the optimizer uses it to decide on weight decay, docs to explain it. */
export type ParamKind = 'embedding' | 'position' | 'matrix' | 'bias' | 'ln_gain' | 'ln_bias';

export interface ParamSpec {
  name: string;
  shape: number[];
  kind: ParamKind;
}

/** Every parameter's name, shape and kind, in a fixed order (the order of checkpoints and optimizer state). */
export function paramSpecs(c: GPTConfig): ParamSpec[] {
  const d = c.n_embd;
  const m = dMlp(c);
  const specs: ParamSpec[] = [
    { name: 'embed.W_E', shape: [c.vocab_size, d], kind: 'embedding' },
    { name: 'pos_embed.W_pos', shape: [c.n_positions, d], kind: 'position' },
  ];
  for (let l = 0; l < c.n_layer; l++) {
    const p = `blocks.${l}`;
    specs.push(
      { name: `${p}.ln1.w`, shape: [d], kind: 'ln_gain' },
      { name: `${p}.ln1.b`, shape: [d], kind: 'ln_bias' },
      { name: `${p}.attn.W_Q`, shape: [d, d], kind: 'matrix' },
      { name: `${p}.attn.b_Q`, shape: [d], kind: 'bias' },
      { name: `${p}.attn.W_K`, shape: [d, d], kind: 'matrix' },
      { name: `${p}.attn.b_K`, shape: [d], kind: 'bias' },
      { name: `${p}.attn.W_V`, shape: [d, d], kind: 'matrix' },
      { name: `${p}.attn.b_V`, shape: [d], kind: 'bias' },
      { name: `${p}.attn.W_O`, shape: [d, d], kind: 'matrix' },
      { name: `${p}.attn.b_O`, shape: [d], kind: 'bias' },
      { name: `${p}.ln2.w`, shape: [d], kind: 'ln_gain' },
      { name: `${p}.ln2.b`, shape: [d], kind: 'ln_bias' },
      { name: `${p}.mlp.W_in`, shape: [d, m], kind: 'matrix' },
      { name: `${p}.mlp.b_in`, shape: [m], kind: 'bias' },
      { name: `${p}.mlp.W_out`, shape: [m, d], kind: 'matrix' },
      { name: `${p}.mlp.b_out`, shape: [d], kind: 'bias' },
    );
  }
  specs.push({ name: 'ln_final.w', shape: [d], kind: 'ln_gain' }, { name: 'ln_final.b', shape: [d], kind: 'ln_bias' });
  return specs;
}

/** Parameters as [name, tensor] pairs in paramSpecs order. The tensors are the live ones, not copies. */
export function flattenParams(p: GPTParams): [string, Tensor][] {
  const out: [string, Tensor][] = [
    ['embed.W_E', p.embed.W_E],
    ['pos_embed.W_pos', p.pos_embed.W_pos],
  ];
  p.blocks.forEach((b, l) => {
    const pre = `blocks.${l}`;
    out.push(
      [`${pre}.ln1.w`, b.ln1.w],
      [`${pre}.ln1.b`, b.ln1.b],
      [`${pre}.attn.W_Q`, b.attn.W_Q],
      [`${pre}.attn.b_Q`, b.attn.b_Q],
      [`${pre}.attn.W_K`, b.attn.W_K],
      [`${pre}.attn.b_K`, b.attn.b_K],
      [`${pre}.attn.W_V`, b.attn.W_V],
      [`${pre}.attn.b_V`, b.attn.b_V],
      [`${pre}.attn.W_O`, b.attn.W_O],
      [`${pre}.attn.b_O`, b.attn.b_O],
      [`${pre}.ln2.w`, b.ln2.w],
      [`${pre}.ln2.b`, b.ln2.b],
      [`${pre}.mlp.W_in`, b.mlp.W_in],
      [`${pre}.mlp.b_in`, b.mlp.b_in],
      [`${pre}.mlp.W_out`, b.mlp.W_out],
      [`${pre}.mlp.b_out`, b.mlp.b_out],
    );
  });
  out.push(['ln_final.w', p.ln_final.w], ['ln_final.b', p.ln_final.b]);
  return out;
}

/** Build the typed structure from named tensors, checking every name is present with the shape the config implies. */
export function paramsFromMap(c: GPTConfig, tensors: ReadonlyMap<string, Tensor>, dtype?: DType): GPTParams {
  const get = (name: string, shape: number[]): Tensor => {
    const t = tensors.get(name);
    if (!t) fail('bad-checkpoint', `missing parameter ${name}`);
    assertShape(t, shape, `parameter ${name}`);
    return dtype ? cast(t, dtype) : t;
  };
  const specs = new Map(paramSpecs(c).map((s) => [s.name, s.shape]));
  const g = (name: string) => get(name, specs.get(name) as number[]);
  const blocks: BlockParams[] = [];
  for (let l = 0; l < c.n_layer; l++) {
    const p = `blocks.${l}`;
    blocks.push({
      ln1: { w: g(`${p}.ln1.w`), b: g(`${p}.ln1.b`) },
      attn: {
        W_Q: g(`${p}.attn.W_Q`),
        b_Q: g(`${p}.attn.b_Q`),
        W_K: g(`${p}.attn.W_K`),
        b_K: g(`${p}.attn.b_K`),
        W_V: g(`${p}.attn.W_V`),
        b_V: g(`${p}.attn.b_V`),
        W_O: g(`${p}.attn.W_O`),
        b_O: g(`${p}.attn.b_O`),
      },
      ln2: { w: g(`${p}.ln2.w`), b: g(`${p}.ln2.b`) },
      mlp: {
        W_in: g(`${p}.mlp.W_in`),
        b_in: g(`${p}.mlp.b_in`),
        W_out: g(`${p}.mlp.W_out`),
        b_out: g(`${p}.mlp.b_out`),
      },
    });
  }
  return {
    embed: { W_E: g('embed.W_E') },
    pos_embed: { W_pos: g('pos_embed.W_pos') },
    blocks,
    ln_final: { w: g('ln_final.w'), b: g('ln_final.b') },
  };
}

export interface InitOptions {
  seed: number;
  dtype?: DType;
}

/**
 * GPT-2's initialisation: normal(0, 0.02) for embeddings and matrices, with the residual projections (W_O, W_out)
 * scaled by 1/sqrt(2·n_layer) so the residual stream's variance does not grow with depth; zero biases; unit LN gains.
 */
export function initParams(c: GPTConfig, { seed, dtype = 'float32' }: InitOptions): GPTParams {
  const rng = createRng(seed);
  const residScale = 0.02 / Math.sqrt(2 * c.n_layer);
  const map = new Map<string, Tensor>();
  for (const spec of paramSpecs(c)) {
    const data = allocArray(dtype, numel(spec.shape));
    if (spec.kind === 'ln_gain') data.fill(1);
    else if (spec.kind === 'embedding' || spec.kind === 'position' || spec.kind === 'matrix') {
      const isResidProj = spec.name.endsWith('attn.W_O') || spec.name.endsWith('mlp.W_out');
      const std = isResidProj ? residScale : 0.02;
      for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
    }
    map.set(spec.name, { shape: spec.shape, data });
  }
  return paramsFromMap(c, map);
}

export interface ParamCount {
  embedding: number;
  position: number;
  /** Per block: LayerNorms, attention, MLP. Every block has the same count. */
  perBlock: { ln: number; attn: number; mlp: number; total: number };
  blocks: number;
  ln_final: number;
  total: number;
}

/** Parameter counts from the config alone (GPT-2 small: 124,439,808, the tied unembedding counted once). */
export function countParams(c: GPTConfig): ParamCount {
  const d = c.n_embd;
  const m = dMlp(c);
  const ln = 2 * (2 * d);
  const attn = 4 * (d * d + d);
  const mlp = d * m + m + m * d + d;
  const perBlock = { ln, attn, mlp, total: ln + attn + mlp };
  const embedding = c.vocab_size * d;
  const position = c.n_positions * d;
  const blocks = c.n_layer * perBlock.total;
  const ln_final = 2 * d;
  return { embedding, position, perBlock, blocks, ln_final, total: embedding + position + blocks + ln_final };
}

/** A deep copy: training mutates parameters in place, so "keep the last good weights" needs real copies. */
export function cloneParams(c: GPTConfig, p: GPTParams): GPTParams {
  const map = new Map<string, Tensor>();
  for (const [name, t] of flattenParams(p)) map.set(name, { shape: [...t.shape], data: t.data.slice() });
  return paramsFromMap(c, map);
}

export function castParams(p: GPTParams, c: GPTConfig, dtype: DType): GPTParams {
  return paramsFromMap(c, new Map(flattenParams(p)), dtype);
}
