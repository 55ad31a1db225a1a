import { describe, expect, it } from 'vitest';
import type { GPTConfig } from '../config';
import { validateConfig } from '../config';
import { GlassboxError } from '../errors';
import type { GPTParams } from '../params';
import { flattenParams, initParams } from '../params';
import { createRng } from '../rng';
import type { Tensor } from '../tensor';
import { expectGlassboxError } from '../testing';
import { loadCheckpoint, saveCheckpoint } from './checkpoint';
import { readSafetensorsHeader } from './safetensors';

const hfConfig = {
  model_type: 'gpt2',
  architectures: ['GPT2LMHeadModel'],
  activation_function: 'gelu_new',
  vocab_size: 13,
  n_positions: 7,
  n_ctx: 7,
  n_embd: 8,
  n_layer: 2,
  n_head: 2,
  n_inner: null,
  layer_norm_epsilon: 1e-5,
  resid_pdrop: 0.1,
};
const config = validateConfig(hfConfig);
const d = config.n_embd;

/** initParams, then distinct random values everywhere so a mixed-up bias or LayerNorm cannot go unnoticed. */
function randomParams(c: GPTConfig, seed: number): GPTParams {
  const p = initParams(c, { seed });
  const rng = createRng(seed + 100);
  for (const [, t] of flattenParams(p)) for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal();
  return p;
}

/**
 * A GPT2LMHeadModel checkpoint as transformers (older versions) saved it, built byte by byte without our writer or
 * our name mapping: `transformer.` prefix, the causal-mask buffers, a tied lm_head, tensors in no particular order,
 * and an unpadded header so the data starts unaligned.
 */
function handMadeCheckpoint(p: GPTParams): Uint8Array {
  const T = config.n_positions;
  const entries: [string, number[], ArrayLike<number>][] = [];
  const add = (name: string, t: Tensor | { shape: number[]; data: ArrayLike<number> }) =>
    entries.push([name, [...t.shape], t.data]);
  add('lm_head.weight', p.embed.W_E);
  add('transformer.wpe.weight', p.pos_embed.W_pos);
  add('transformer.wte.weight', p.embed.W_E);
  p.blocks.forEach((b, i) => {
    const h = `transformer.h.${i}`;
    const cAttn = new Float32Array(d * 3 * d);
    for (let r = 0; r < d; r++) {
      for (let c = 0; c < d; c++) {
        cAttn[r * 3 * d + c] = b.attn.W_Q.data[r * d + c];
        cAttn[r * 3 * d + d + c] = b.attn.W_K.data[r * d + c];
        cAttn[r * 3 * d + 2 * d + c] = b.attn.W_V.data[r * d + c];
      }
    }
    const mask = Float32Array.from({ length: T * T }, (_, k) => (k % T <= Math.floor(k / T) ? 1 : 0));
    add(`${h}.attn.bias`, { shape: [1, 1, T, T], data: mask });
    add(`${h}.attn.masked_bias`, { shape: [], data: [-1e4] });
    add(`${h}.attn.c_attn.weight`, { shape: [d, 3 * d], data: cAttn });
    add(`${h}.attn.c_attn.bias`, {
      shape: [3 * d],
      data: [...b.attn.b_Q.data, ...b.attn.b_K.data, ...b.attn.b_V.data],
    });
    add(`${h}.attn.c_proj.weight`, b.attn.W_O);
    add(`${h}.attn.c_proj.bias`, b.attn.b_O);
    add(`${h}.ln_1.weight`, b.ln1.w);
    add(`${h}.ln_1.bias`, b.ln1.b);
    add(`${h}.ln_2.weight`, b.ln2.w);
    add(`${h}.ln_2.bias`, b.ln2.b);
    add(`${h}.mlp.c_fc.weight`, b.mlp.W_in);
    add(`${h}.mlp.c_fc.bias`, b.mlp.b_in);
    add(`${h}.mlp.c_proj.weight`, b.mlp.W_out);
    add(`${h}.mlp.c_proj.bias`, b.mlp.b_out);
  });
  add('transformer.ln_f.bias', p.ln_final.b);
  add('transformer.ln_f.weight', p.ln_final.w);

  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const [name, shape, data] of entries) {
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + 4 * data.length] };
    offset += 4 * data.length;
  }
  const json = JSON.stringify(header);
  const pad = ' '.repeat((1 - ((8 + json.length) % 4) + 4) % 4); // JSON allows trailing spaces; this misaligns the data
  const text = new TextEncoder().encode(json + pad);
  const file = new Uint8Array(8 + text.length + offset);
  const view = new DataView(file.buffer);
  view.setUint32(0, text.length, true);
  file.set(text, 8);
  let at = 8 + text.length;
  for (const [, , data] of entries) {
    for (let i = 0; i < data.length; i++, at += 4) view.setFloat32(at, data[i], true);
  }
  return file;
}

const expectError = expectGlassboxError;

const bits = (t: Tensor) => [...new Uint8Array(Float32Array.from(t.data).buffer)];

describe('checkpoints', () => {
  it('loads a hand-built HF GPT-2 checkpoint: Q, K, V are the right column slices of c_attn', () => {
    const p = randomParams(config, 1);
    const file = handMadeCheckpoint(p);
    expect((8 + new DataView(file.buffer).getUint32(0, true)) % 4).not.toBe(0); // data really is unaligned
    const loaded = loadCheckpoint(file, JSON.stringify(hfConfig));
    expect(loaded.config).toEqual(config);
    expect(loaded.metadata).toEqual({ format: 'pt' });
    expect(loaded.warnings).toEqual([]);

    const attn = loaded.params.blocks[1].attn;
    // c_attn row 3: columns 0..7 are Q, 8..15 K, 16..23 V (checked element by element on one row, then wholesale).
    const row3 = (t: Tensor) => [...t.data.subarray(3 * d, 4 * d)];
    expect(row3(attn.W_Q)).toEqual(row3(p.blocks[1].attn.W_Q));
    expect(row3(attn.W_K)).toEqual(row3(p.blocks[1].attn.W_K));
    expect(row3(attn.W_V)).toEqual(row3(p.blocks[1].attn.W_V));
    expect([...attn.b_K.data]).toEqual([...p.blocks[1].attn.b_K.data]);
    for (const [name, t] of flattenParams(p)) {
      const got = flattenParams(loaded.params).find(([n]) => n === name)?.[1] as Tensor;
      expect(got.shape, name).toEqual(t.shape);
      expect(bits(got), name).toEqual(bits(t));
    }
  });

  it('save → load is bit-exact in F32 and writes a HF layout and config', () => {
    const p = randomParams(config, 2);
    const saved = saveCheckpoint(config, p, { metadata: { command: 'glassbox train --seed 2' } });
    const header = readSafetensorsHeader(saved.safetensors);
    const names = header.entries.map((e) => e.name);
    expect(names).toEqual([...names].sort());
    expect(names).toContain('h.1.attn.c_attn.weight');
    expect(names.some((n) => n.startsWith('transformer.') || n === 'lm_head.weight')).toBe(false);
    expect(header.metadata).toEqual({ command: 'glassbox train --seed 2', format: 'pt' });
    expect(header.dataStart % 8).toBe(0);
    expect(JSON.parse(saved.configJson)).toMatchObject({ model_type: 'gpt2', n_embd: 8, n_head: 2, n_layer: 2 });

    const loaded = loadCheckpoint(saved.safetensors, saved.configJson);
    expect(loaded.config).toEqual(config);
    expect(loaded.warnings).toEqual([]);
    const got = flattenParams(loaded.params);
    flattenParams(p).forEach(([name, t], i) => {
      expect(got[i][0]).toBe(name);
      expect(bits(got[i][1]), name).toEqual(bits(t));
    });
  });

  it('save → load in F16 is within half-precision rounding and half the size', () => {
    const p = randomParams(config, 3);
    const f16 = saveCheckpoint(config, p, { dtype: 'F16' });
    const f32 = saveCheckpoint(config, p);
    const dataBytes = (b: Uint8Array) => b.length - readSafetensorsHeader(b).dataStart;
    expect(dataBytes(f16.safetensors) * 2).toBe(dataBytes(f32.safetensors));
    const loaded = loadCheckpoint(f16.safetensors, f16.configJson);
    const got = flattenParams(loaded.params);
    flattenParams(p).forEach(([name, t], i) => {
      const back = got[i][1].data;
      for (let k = 0; k < t.data.length; k++) {
        const tol = Math.abs(t.data[k]) * 2 ** -11 + 2 ** -25; // half an ulp (relative), or half a subnormal step
        if (!(Math.abs(back[k] - t.data[k]) <= tol)) throw new Error(`${name}[${k}]: ${back[k]} vs ${t.data[k]}`);
      }
    });
  });

  it('loads float64 parameters when asked', () => {
    const saved = saveCheckpoint(config, randomParams(config, 4));
    const loaded = loadCheckpoint(saved.safetensors, JSON.parse(saved.configJson), { dtype: 'float64' });
    expect(loaded.params.embed.W_E.data).toBeInstanceOf(Float64Array);
  });

  it('refuses a config with n_embd not divisible by n_head', () => {
    const saved = saveCheckpoint(config, randomParams(config, 5));
    expectError(
      () => loadCheckpoint(saved.safetensors, { ...hfConfig, n_head: 3 }),
      'bad-config',
      /n_embd \(8\) must be divisible by n_head \(3\)/,
    );
  });

  it('refuses config.json that is not JSON, not an object, or not a GPT-2 the engine can run', () => {
    const file = saveCheckpoint(config, randomParams(config, 6)).safetensors;
    expectError(() => loadCheckpoint(file, '{"n_embd": 8,'), 'bad-config', /config\.json is not valid JSON/);
    expectError(() => loadCheckpoint(file, '[1]'), 'bad-config', /must hold a JSON object/);
    expectError(() => loadCheckpoint(file, { ...hfConfig, model_type: 'llama' }), 'bad-config', /"llama"/);
    expectError(() => loadCheckpoint(file, { ...hfConfig, n_inner: 64 }), 'bad-config', /n_inner 64.*4·n_embd = 32/);
    expectError(() => loadCheckpoint(file, { ...hfConfig, n_layer: undefined }), 'bad-config', /config\.n_layer/);
    const relu = loadCheckpoint(file, { ...hfConfig, activation_function: 'relu' });
    expect(relu.warnings).toEqual([expect.stringMatching(/activation_function "relu"/)]);
  });

  it('refuses a checkpoint whose tensors contradict the config, naming tensor and shapes', () => {
    const file = handMadeCheckpoint(randomParams(config, 7));
    expectError(
      () => loadCheckpoint(file, { ...hfConfig, n_positions: 8 }),
      'bad-checkpoint',
      /tensor wpe\.weight has shape \[7, 8\], expected \[8, 8\]/,
    );
    expectError(
      () => loadCheckpoint(file, { ...hfConfig, n_layer: 3 }),
      'bad-checkpoint',
      /missing 12 GPT-2 tensor\(s\): h\.2\.ln_1\.weight \[8\]/,
    );
  });

  it('refuses to save parameters that do not match the config, or F16 values out of range', () => {
    const p = randomParams(config, 8);
    expect(() => saveCheckpoint({ ...config, vocab_size: 14 }, p)).toThrow(GlassboxError);
    p.blocks[0].mlp.W_in.data[3] = 1e5;
    expectError(
      () => saveCheckpoint(config, p, { dtype: 'F16' }),
      'bad-checkpoint',
      /"h\.0\.mlp\.c_fc\.weight" holds 100000 at index 3/,
    );
  });
});
