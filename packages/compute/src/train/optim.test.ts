import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config';
import { GlassboxError } from '../errors';
import { flattenParams, initParams, paramSpecs } from '../params';
import { zeroGrads } from './grads';
import { Optimizer } from './optim';

const config = validateConfig({ vocab_size: 5, n_positions: 4, n_embd: 4, n_layer: 1, n_head: 2 });

function setup(seed = 1) {
  const params = initParams(config, { seed, dtype: 'float64' });
  const grads = zeroGrads(config, 'float64');
  return { params, grads };
}

describe('AdamW', () => {
  it('follows the bias-corrected update rule element by element over two steps', () => {
    const { params, grads } = setup();
    const W = params.blocks[0].attn.W_Q; // a matrix: decayed
    const b = params.blocks[0].attn.b_Q; // a bias: not decayed
    const opt = new Optimizer(config, params, { kind: 'adamw', beta1: 0.8, beta2: 0.9, eps: 1e-8, weightDecay: 0.1 });
    const w0 = W.data[3];
    const b0 = b.data[1];
    const gs = [0.5, -0.2];
    let m = 0;
    let v = 0;
    let w = w0;
    let bb = b0;
    let mb = 0;
    let vb = 0;
    for (let t = 1; t <= 2; t++) {
      grads.blocks[0].attn.W_Q.data[3] = gs[t - 1];
      grads.blocks[0].attn.b_Q.data[1] = gs[t - 1];
      opt.step(params, grads, 0.01);
      m = 0.8 * m + 0.2 * gs[t - 1];
      v = 0.9 * v + 0.1 * gs[t - 1] ** 2;
      w -= 0.01 * (m / (1 - 0.8 ** t) / (Math.sqrt(v / (1 - 0.9 ** t)) + 1e-8) + 0.1 * w);
      mb = 0.8 * mb + 0.2 * gs[t - 1];
      vb = 0.9 * vb + 0.1 * gs[t - 1] ** 2;
      bb -= 0.01 * (mb / (1 - 0.8 ** t) / (Math.sqrt(vb / (1 - 0.9 ** t)) + 1e-8));
    }
    expect(W.data[3]).toBeCloseTo(w, 16);
    expect(b.data[1]).toBeCloseTo(bb, 16);
    expect(W.data[3]).not.toBeCloseTo(w0, 3);
    expect(opt.t).toBe(2);
  });

  it('moves every parameter by about lr on the first step, whatever the gradient size (bias correction)', () => {
    const { params, grads } = setup();
    grads.embed.W_E.data[0] = 1e-4;
    grads.embed.W_E.data[1] = -50;
    const e0 = params.embed.W_E.data.slice(0, 2);
    new Optimizer(config, params, { kind: 'adamw' }).step(params, grads, 0.01);
    expect(params.embed.W_E.data[0] - e0[0]).toBeCloseTo(-0.01, 5); // ε = 1e-8 matters only for tiny gradients
    expect(params.embed.W_E.data[1] - e0[1]).toBeCloseTo(0.01, 8);
  });

  it('decays matrices only: not embeddings, positions, biases or LayerNorm parameters', () => {
    const { params, grads } = setup();
    const before = flattenParams(params).map(([, t]) => t.data.slice());
    new Optimizer(config, params, { kind: 'adamw', weightDecay: 0.5 }).step(params, grads, 0.1);
    const kinds = paramSpecs(config).map((s) => s.kind);
    flattenParams(params).forEach(([name, t], i) => {
      for (let j = 0; j < t.data.length; j++) {
        const expected = kinds[i] === 'matrix' ? before[i][j] - 0.1 * 0.5 * before[i][j] : before[i][j];
        expect(t.data[j], name).toBe(expected);
      }
    });
  });

  it('reports before / grad / update / after and the moments of an inspected parameter', () => {
    const { params, grads } = setup();
    grads.blocks[0].mlp.W_in.data.fill(0.3);
    const opt = new Optimizer(config, params, { kind: 'adamw' });
    const [u] = opt.step(params, grads, 0.01, ['blocks.0.mlp.W_in']);
    expect(u.name).toBe('blocks.0.mlp.W_in');
    expect(u.kind).toBe('matrix');
    expect(u.decayed).toBe(true);
    for (let j = 0; j < u.before.data.length; j++) {
      expect(u.after.data[j]).toBe(params.blocks[0].mlp.W_in.data[j]);
      expect(u.update.data[j]).toBe(u.after.data[j] - u.before.data[j]);
    }
    expect(u.m?.data[0]).toBeCloseTo(0.1 * 0.3, 15);
    expect(u.v?.data[0]).toBeCloseTo(0.001 * 0.09, 15);
    expect(u.grad.data[0]).toBe(0.3);
    expect(() => opt.step(params, grads, 0.01, ['blocks.0.mlp.W_nope'])).toThrow(GlassboxError);
  });

  it('snapshot and restore give back the exact state', () => {
    const { params, grads } = setup();
    grads.embed.W_E.data.fill(1);
    const opt = new Optimizer(config, params, { kind: 'adamw' });
    opt.step(params, grads, 0.01);
    const snap = opt.snapshot();
    const p1 = flattenParams(params).map(([, t]) => t.data.slice());
    opt.step(params, grads, 0.01);
    opt.restore(snap);
    flattenParams(params).forEach(([, t], i) => {
      t.data.set(p1[i]);
    });
    opt.step(params, grads, 0.01);
    const a = flattenParams(params).map(([, t]) => Array.from(t.data));
    const { params: q } = setup();
    const opt2 = new Optimizer(config, q, { kind: 'adamw' });
    opt2.step(q, grads, 0.01);
    opt2.step(q, grads, 0.01);
    expect(flattenParams(q).map(([, t]) => Array.from(t.data))).toEqual(a);
  });

  it('rejects bad hyper-parameters with bad-config', () => {
    const { params } = setup();
    expect(() => new Optimizer(config, params, { kind: 'adamw', beta1: 1 })).toThrow(/beta1/);
    expect(() => new Optimizer(config, params, { kind: 'sgd', momentum: -0.1 })).toThrow(/momentum/);
    // @ts-expect-error an unknown kind from untyped input
    expect(() => new Optimizer(config, params, { kind: 'lion' })).toThrow(/unknown optimizer/);
  });
});

describe('SGD with momentum', () => {
  it('accumulates a velocity: θ₁ = θ₀ − lr·g, θ₂ = θ₁ − lr·(μ·g + g)', () => {
    const { params, grads } = setup();
    grads.ln_final.w.data.fill(2);
    const w0 = params.ln_final.w.data[0];
    const opt = new Optimizer(config, params, { kind: 'sgd', momentum: 0.9 });
    opt.step(params, grads, 0.1);
    expect(params.ln_final.w.data[0]).toBe(w0 - 0.1 * 2);
    opt.step(params, grads, 0.1);
    expect(params.ln_final.w.data[0]).toBe(w0 - 0.1 * 2 - 0.1 * (0.9 * 2 + 2));
  });
});
