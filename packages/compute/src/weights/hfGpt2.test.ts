import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config';
import { GlassboxError } from '../errors';
import { flattenParams, initParams } from '../params';
import { createRng } from '../rng';
import type { Tensor } from '../tensor';
import { clone, tensor } from '../tensor';
import { expectGlassboxError } from '../testing';
import { hfGpt2Specs, hfGpt2ToParams, isIgnoredHfTensor, paramsToHfGpt2 } from './hfGpt2';

const config = validateConfig({ vocab_size: 11, n_positions: 6, n_embd: 8, n_layer: 2, n_head: 2 });
const d = config.n_embd;

/** Distinct random values everywhere, so a swapped bias or LayerNorm (all 0 or 1 at init) would be caught. */
function randomParams(seed: number) {
  const p = initParams(config, { seed });
  const rng = createRng(seed + 1);
  for (const [, t] of flattenParams(p)) for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal();
  return p;
}

function expectBad(f: () => unknown, message: RegExp): void {
  expectGlassboxError(f, 'bad-checkpoint', message);
}

const paramValues = (p: ReturnType<typeof randomParams>) => flattenParams(p).map(([n, t]) => [n, t.shape, [...t.data]]);

describe('Hugging Face GPT-2 names', () => {
  it('writes exactly the tensors, names and shapes of a HF GPT-2 checkpoint', () => {
    const hf = paramsToHfGpt2(config, randomParams(1));
    const specs = hfGpt2Specs(config);
    expect([...hf.keys()].sort()).toEqual(specs.map((s) => s.name).sort());
    for (const s of specs) expect(hf.get(s.name)?.shape).toEqual(s.shape);
    expect(hf.has('lm_head.weight')).toBe(false);
  });

  it('c_attn holds Q, K and V side by side: columns 0..d-1, d..2d-1, 2d..3d-1', () => {
    const p = randomParams(2);
    const hf = paramsToHfGpt2(config, p);
    const w = hf.get('h.1.attn.c_attn.weight') as Tensor;
    const b = hf.get('h.1.attn.c_attn.bias') as Tensor;
    const { W_Q, W_K, W_V, b_Q, b_K, b_V } = p.blocks[1].attn;
    for (let r = 0; r < d; r++) {
      for (let c = 0; c < d; c++) {
        expect(w.data[r * 3 * d + c]).toBe(W_Q.data[r * d + c]);
        expect(w.data[r * 3 * d + d + c]).toBe(W_K.data[r * d + c]);
        expect(w.data[r * 3 * d + 2 * d + c]).toBe(W_V.data[r * d + c]);
      }
    }
    expect([...b.data]).toEqual([...b_Q.data, ...b_K.data, ...b_V.data]);
  });

  it('HF → ours inverts ours → HF exactly, with or without the transformer. prefix', () => {
    const p = randomParams(3);
    const hf = paramsToHfGpt2(config, p);
    const plain = hfGpt2ToParams(config, hf);
    expect(plain.warnings).toEqual([]);
    expect(paramValues(plain.params)).toEqual(paramValues(p));
    const prefixed = new Map([...hf].map(([n, t]) => [`transformer.${n}`, t] as const));
    expect(paramValues(hfGpt2ToParams(config, prefixed).params)).toEqual(paramValues(p));
  });

  it('converts to float64 when asked', () => {
    const { params } = hfGpt2ToParams(config, paramsToHfGpt2(config, randomParams(4)), { dtype: 'float64' });
    expect(params.blocks[0].attn.W_K.data).toBeInstanceOf(Float64Array);
  });

  it('ignores the attention-mask buffers silently', () => {
    const hf = paramsToHfGpt2(config, randomParams(5));
    hf.set('h.0.attn.bias', tensor([1, 1, 6, 6], new Float32Array(36)));
    hf.set('h.1.attn.masked_bias', tensor([], [-1e4]));
    expect(isIgnoredHfTensor('transformer.h.0.attn.bias')).toBe(true);
    expect(isIgnoredHfTensor('h.0.attn.c_attn.bias')).toBe(false);
    expect(hfGpt2ToParams(config, hf).warnings).toEqual([]);
  });

  it('accepts a tied lm_head.weight silently and warns about an untied or misshapen one', () => {
    const hf = paramsToHfGpt2(config, randomParams(6));
    const wte = hf.get('wte.weight') as Tensor;
    hf.set('lm_head.weight', clone(wte));
    expect(hfGpt2ToParams(config, hf).warnings).toEqual([]);
    const untied = clone(wte);
    untied.data[5] += 0.25;
    hf.set('lm_head.weight', untied);
    const [warning] = hfGpt2ToParams(config, hf).warnings;
    expect(warning).toMatch(/lm_head\.weight differs from wte\.weight \(max \|difference\| 0\.25/);
    hf.set('lm_head.weight', tensor([2, 2], [0, 0, 0, 0]));
    expect(hfGpt2ToParams(config, hf).warnings[0]).toMatch(/lm_head\.weight has shape \[2, 2\], unlike wte/);
  });

  it('warns about tensors that are not part of GPT-2, and refuses layers the config does not have', () => {
    const hf = paramsToHfGpt2(config, randomParams(7));
    hf.set('score.weight', tensor([1], [0]));
    expect(hfGpt2ToParams(config, hf).warnings).toEqual(['ignored tensor score.weight: not part of a GPT-2 model']);
    hf.set('transformer.h.2.ln_1.weight', tensor([d], new Float32Array(d)));
    expectBad(() => hfGpt2ToParams(config, hf), /tensor h\.2\.ln_1\.weight, but the config says n_layer = 2/);
  });

  it('refuses a missing tensor, naming it and its expected shape', () => {
    const hf = paramsToHfGpt2(config, randomParams(8));
    hf.delete('h.1.attn.c_attn.bias');
    expectBad(() => hfGpt2ToParams(config, hf), /missing 1 GPT-2 tensor\(s\): h\.1\.attn\.c_attn\.bias \[24\]/);
    hf.delete('wpe.weight');
    expectBad(() => hfGpt2ToParams(config, hf), /missing 2 .*wpe\.weight \[6, 8\]/);
    expectBad(
      () => hfGpt2ToParams(config, new Map()),
      /missing 28 GPT-2 tensor\(s\): wte\.weight \[11, 8\], .* and 23 more/,
    );
  });

  it('refuses a shape that contradicts the config, naming tensor, shape and expected shape', () => {
    const hf = paramsToHfGpt2(config, randomParams(9));
    hf.set('wte.weight', tensor([12, d], new Float32Array(12 * d)));
    expectBad(
      () => hfGpt2ToParams(config, hf),
      /tensor wte\.weight has shape \[12, 8\], expected \[11, 8\] \(\[vocab_size, n_embd\] from the config\)/,
    );
    const hf2 = paramsToHfGpt2(config, randomParams(9));
    hf2.set('h.0.attn.c_attn.weight', tensor([3 * d, d], new Float32Array(3 * d * d))); // PyTorch Linear layout
    expectBad(() => hfGpt2ToParams(config, hf2), /h\.0\.attn\.c_attn\.weight has shape \[24, 8\], expected \[8, 24\]/);
  });

  it('refuses a checkpoint holding the same tensor with and without the prefix', () => {
    const hf = paramsToHfGpt2(config, randomParams(10));
    hf.set('transformer.ln_f.bias', tensor([d], new Float32Array(d)));
    expectBad(() => hfGpt2ToParams(config, hf), /holds ln_f\.bias twice/);
  });

  it('refuses to write parameters that do not match the config', () => {
    const small = validateConfig({ ...config, n_layer: 1 });
    expect(() => paramsToHfGpt2(config, initParams(small, { seed: 1 }))).toThrow(GlassboxError);
  });
});
