import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config';
import { softmax } from '../cpu/ops/softmax';
import { GRAD_PREFIX, PARAM_GRAD_PREFIX } from '../hooks';
import type { GPTParams } from '../params';
import { flattenParams, initParams, paramSpecs } from '../params';
import { createRng } from '../rng';
import { gradHookNames } from './backward';
import type { Batch } from './batch';
import { checkModelGradients } from './gradcheck';
import { computeGradients, forwardBatch } from './gradients';

const config = validateConfig({ vocab_size: 11, n_positions: 8, n_embd: 8, n_layer: 2, n_head: 2 });

/**
 * float64 parameters with every entry random (biases and LayerNorm parameters too, with O(1) values), so no
 * gradient is trivially zero or tiny and a wrong rule cannot hide behind GPT-2's small initialisation.
 */
function randomParams(seed: number): GPTParams {
  const p = initParams(config, { seed, dtype: 'float64' });
  const rng = createRng(seed + 1);
  const kinds = new Map(paramSpecs(config).map((s) => [s.name, s.kind]));
  for (const [name, t] of flattenParams(p)) {
    const gain = kinds.get(name) === 'ln_gain';
    for (let i = 0; i < t.data.length; i++) t.data[i] = (gain ? 1 : 0) + 0.4 * rng.normal();
  }
  return p;
}

const batch: Batch = {
  inputs: [
    [1, 4, 2, 9, 4],
    [0, 10, 3, 3, 7],
  ],
  targets: [
    [4, 2, 9, 4, 6],
    [10, 3, 3, 7, 5],
  ],
};

describe('model gradient check (float64, central differences)', () => {
  const params = randomParams(5);

  it('every entry of every parameter tensor matches finite differences to a relative error < 1e-6', () => {
    const report = checkModelGradients(config, params, batch, { entriesPerTensor: Number.POSITIVE_INFINITY });
    expect(report.map((r) => r.name)).toEqual(paramSpecs(config).map((s) => PARAM_GRAD_PREFIX + s.name));
    const kinds = new Set(paramSpecs(config).map((s) => s.kind));
    expect(kinds.size).toBe(6); // embedding, position, matrix, bias, ln_gain, ln_bias all covered
    for (const r of report) {
      expect(
        r.worst.maxRelError,
        `${r.name} at ${r.worst.index}: ${r.worst.analytic} vs ${r.worst.numeric}`,
      ).toBeLessThan(1e-6);
    }
  });

  it('activation gradients of hooks match finite differences through an intervention', () => {
    const hooks = [
      'hook_embed',
      'blocks.0.hook_resid_pre',
      'blocks.0.ln1.hook_scale',
      'blocks.0.attn.hook_q',
      'blocks.0.attn.hook_v',
      'blocks.1.attn.hook_pattern',
      'blocks.1.attn.hook_z',
      'blocks.1.mlp.hook_pre',
      'blocks.1.hook_resid_mid',
      'ln_final.hook_normalized',
      'hook_logits',
    ];
    const report = checkModelGradients(config, params, batch, { hooks, entriesPerTensor: 0, entriesPerHook: 6 });
    expect(report.filter((r) => r.name.startsWith(GRAD_PREFIX + 'params.')).every((r) => r.checked === 0)).toBe(true);
    for (const r of report.filter((x) => x.checked > 0)) {
      expect(r.worst.maxRelError, `${r.name} at ${r.worst.index}`).toBeLessThan(1e-6);
    }
    expect(report.filter((r) => r.checked > 0)).toHaveLength(hooks.length * 2);
  });

  it('grad.hook_logits is exactly (softmax − one-hot) / N with N = B·T', () => {
    const { trace } = computeGradients(config, params, batch, { gradCapture: ['grad.hook_logits'] });
    const g = trace['grad.hook_logits'];
    expect(g.shape).toEqual([2, 5, 11]);
    const runs = forwardBatch(config, params, batch);
    const N = 2 * 5;
    runs.forEach((r, b) => {
      const p = softmax(r.logits);
      for (let t = 0; t < 5; t++)
        for (let v = 0; v < 11; v++) {
          const expected = (p.data[t * 11 + v] - (v === batch.targets[b][t] ? 1 : 0)) / N;
          expect(g.data[(b * 5 + t) * 11 + v]).toBeCloseTo(expected, 15);
        }
    });
  });

  it('names every activation gradient like its hook, with a leading batch dimension, and masked scores get 0', () => {
    const { trace } = computeGradients(config, params, batch, { gradCapture: 'all' });
    for (const name of gradHookNames(config)) expect(trace[name], name).toBeDefined();
    expect(trace['grad.blocks.0.attn.hook_pattern'].shape).toEqual([2, 2, 5, 5]);
    expect(trace['grad.blocks.1.ln2.hook_scale'].shape).toEqual([2, 5, 1]);
    expect(trace['grad.params.blocks.1.mlp.W_in'].shape).toEqual([8, 32]);
    const scores = trace['grad.blocks.1.attn.hook_attn_scores'];
    for (let b = 0; b < 2; b++)
      for (let h = 0; h < 2; h++)
        for (let t = 0; t < 5; t++)
          for (let s = t + 1; s < 5; s++) expect(scores.data[((b * 2 + h) * 5 + t) * 5 + s]).toBe(0);
  });

  it('the key bias gets zero gradient: adding q·b_K to a whole row of scores leaves the softmax unchanged', () => {
    const { grads } = computeGradients(config, params, batch);
    for (const v of grads.blocks[0].attn.b_K.data) expect(Math.abs(v)).toBeLessThan(1e-15);
  });
});
