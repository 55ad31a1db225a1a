import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCpuEngine } from '../cpu/engine';
import { hookNames } from '../hooks';
import { castParams, cloneParams, flattenParams, paramsFromMap } from '../params';
import { cast, maxAbsDiff } from '../tensor';
import { gradHookNames } from '../train/backward';
import type { Batch } from '../train/batch';
import { clipGradNorm } from '../train/clip';
import { computeGradients } from '../train/gradients';
import type { OptimizerConfig } from '../train/optim';
import { Optimizer } from '../train/optim';
import { Trainer } from '../train/trainer';
import { loadCheckpoint } from '../weights/checkpoint';
import type { GpuContext } from './context';
import { WebGpuEngine } from './engine';
import { createTrainer } from './select';
import { expectClose, maxAbs, testContext } from './testing';

/**
 * The WebGPU engine against the CPU engine on a model we ship: the toy world, read from packages/models/toy-world/
 * with node:fs (compute must not import @glassbox/models). Trained weights, not random ones: LayerNorm gains far
 * from 1, a sharp attention pattern and confident logits are where a kernel that only works on "nice" inputs fails.
 * The tolerances are the ones docs/testing.md states for every whole-model comparison.
 */
const dir = new URL('../../../models/toy-world/', import.meta.url);
const toy = loadCheckpoint(
  new Uint8Array(readFileSync(new URL('model.safetensors', dir))),
  readFileSync(new URL('config.json', dir), 'utf8'),
);
const { config } = toy;
const words: string[] = JSON.parse(readFileSync(new URL('tokenizer.json', dir), 'utf8')).words;
const encode = (text: string) => text.split(' ').map((w) => words.indexOf(w));
/** The toy world's whole training text (the recipe trains on exactly this, full batch). */
const ids = encode('cat sat on the mat END dog is happy END cat is sad END');

const FORWARD = { atol: 1e-5, rtol: 5e-5 };
const GRADS = { atol: 1e-7, rtol: 2e-5 };
const weightsTol = (lr: number) => ({ atol: 1e-5 * lr, rtol: 1e-6 });

// The reference runs in float64 on the same float32 weights: the error measured is the GPU's.
const params64 = castParams(toy.params, config, 'float64');
const cpu = createCpuEngine(config, params64);
let ctx: GpuContext;
let gpu: WebGpuEngine;
beforeAll(async () => {
  ctx = await testContext();
  gpu = await WebGpuEngine.create(config, toy.params, { context: ctx });
});
afterAll(() => gpu?.dispose());

describe('the shipped toy world on WebGPU vs the CPU engine', () => {
  it('loads the shipped checkpoint and its whole text', () => {
    expect([config.n_layer, config.n_head, config.n_embd, config.vocab_size]).toEqual([1, 1, 4, 10]);
    expect(ids).toHaveLength(14);
    expect(ids.every((i) => i >= 0)).toBe(true);
  });

  it.each([
    ['the training text', ids],
    ['n_positions tokens', [...ids, ...encode('dog sat')]],
    ['one token', encode('cat')],
  ])('logits and every hook with capture "all" match: %s', async (_, seq) => {
    const [g, c] = [await gpu.run(seq, { capture: 'all' }), await cpu.run(seq, { capture: 'all' })];
    expect(Object.keys(g.trace)).toEqual(hookNames(config));
    expect(Object.keys(g.trace)).toEqual(Object.keys(c.trace));
    for (const name of Object.keys(c.trace)) expectClose(g.trace[name], c.trace[name], name, FORWARD);
    expectClose(g.logits, c.logits, 'logits', FORWARD);
  });

  it('the shipped model predicts its text on both engines (greedy next word agrees everywhere)', async () => {
    const [g, c] = [await gpu.run(ids), await cpu.run(ids)];
    const V = config.vocab_size;
    const argmax = (d: ArrayLike<number>, t: number) => {
      let best = 0;
      for (let v = 1; v < V; v++) if (d[t * V + v] > d[t * V + best]) best = v;
      return best;
    };
    for (let t = 0; t < ids.length; t++)
      expect(argmax(g.logits.data, t), `position ${t}`).toBe(argmax(c.logits.data, t));
    // "cat sat" → "on": the context decides (after "cat" come both "sat" and "is").
    expect(argmax(g.logits.data, 1)).toBe(words.indexOf('on'));
  });
});

describe('one training step of the shipped toy world on WebGPU vs the CPU', () => {
  /** A sentence of the toy world's words it was not trained on: a real loss (≈ 2), so real gradients. */
  const unseen = encode('dog sat on the mat END cat is happy END dog is sad END');
  const batch: Batch = { inputs: [unseen.slice(0, -1)], targets: [unseen.slice(1)] };

  it("the recipe's step (AdamW, clip 1): loss, every gradient, norm, clip factor and the updated weights match", async () => {
    const optimizer: OptimizerConfig = { kind: 'adamw' };
    const lr = 0.02;
    const trainer = await createTrainer(config, toy.params, {
      engine: 'webgpu',
      context: ctx,
      data: () => batch,
      optimizer,
      schedule: { lr },
      clipNorm: 1,
    });
    const ref = computeGradients(config, params64, batch, { gradCapture: 'all' });
    expect(ref.loss).toBeGreaterThan(1);
    const g = await trainer.runStep({ gradCapture: 'all' });
    expect(g.loss).toBeCloseTo(ref.loss, 5);
    const hookGrads = Object.keys(g.grads).filter((n) => !n.startsWith('grad.params.'));
    expect(hookGrads.sort()).toEqual(gradHookNames(config).sort());
    for (const [name, t] of Object.entries(ref.trace)) {
      if (!name.startsWith('grad.params.')) expectClose(g.grads[name], t, name, GRADS);
    }
    for (const [name, t] of flattenParams(ref.grads)) {
      expectClose(g.grads[`grad.params.${name}`], t, `grad.params.${name}`, GRADS);
    }
    // The update on the GPU's own gradients (see docs/testing.md: AdamW turns the last-bit noise of a gradient that
    // is truly 0, like b_K's, into a step of ≈ lr; the gradients were compared with float64 just above).
    const gpuGrads = paramsFromMap(
      config,
      new Map(flattenParams(ref.grads).map(([name]) => [name, g.grads[`grad.params.${name}`]])),
      'float64',
    );
    const clip = clipGradNorm(gpuGrads, 1);
    expect(clip.clipped).toBe(true);
    expect(Math.abs(g.gradNorm - clip.norm)).toBeLessThan(1e-6 * clip.norm);
    expect(g.clipScale).toBeCloseTo(clip.scale, 6);
    const expected = cloneParams(config, params64);
    new Optimizer(config, expected, optimizer).step(expected, gpuGrads, lr);
    const after = flattenParams(await trainer.getParams());
    const before = flattenParams(toy.params);
    expect(after.filter(([, t], i) => t.data.some((x, j) => x !== before[i][1].data[j]))).toHaveLength(after.length);
    flattenParams(expected).forEach(([name, t], i) => {
      expectClose(after[i][1], t, `updated ${name}`, weightsTol(lr));
    });
    trainer.dispose();
  });

  it('SGD with momentum and weight decay: the WebGPU trainer and the CPU trainer end at the same weights', async () => {
    // SGD's update is linear in the gradient, so here the two trainers can be compared end to end.
    const options = {
      data: () => batch,
      optimizer: { kind: 'sgd', momentum: 0.9, weightDecay: 0.01 } as const,
      schedule: { lr: 0.1 },
    };
    const gpuTrainer = await createTrainer(config, toy.params, { engine: 'webgpu', context: ctx, ...options });
    const cpuTrainer = new Trainer(config, cloneParams(config, params64), options);
    for (let s = 0; s < 2; s++) {
      const [g, c] = [await gpuTrainer.runStep(), cpuTrainer.runStep()];
      expect(Math.abs(g.loss - c.loss)).toBeLessThan(GRADS.rtol * c.loss);
      expect(Math.abs(g.gradNorm - c.gradNorm)).toBeLessThan(GRADS.rtol * c.gradNorm);
    }
    const after = flattenParams(await gpuTrainer.getParams());
    flattenParams(cpuTrainer.params).forEach(([name, t], i) => {
      expectClose(after[i][1], t, `updated ${name}`, weightsTol(0.1));
    });
    gpuTrainer.dispose();
  });

  it('on its own training text (its optimum) every gradient is as accurate as the CPU engine in float32', async () => {
    // At loss 0.009 the gradients are ~1000× smaller than the terms that cancel to give them, so float32 itself only
    // knows them to ~1e-3 of their size (the CPU engine in float32 too). The bar: within 10× the CPU float32
    // engine's own error against float64, or the usual gradient tolerance, whichever is larger (docs/testing.md).
    const own: Batch = { inputs: [ids.slice(0, -1)], targets: [ids.slice(1)] };
    const ref = computeGradients(config, params64, own, { gradCapture: 'all' });
    const f32 = computeGradients(config, toy.params, own, { gradCapture: 'all' });
    expect(ref.loss).toBeLessThan(0.02);
    const trainer = await createTrainer(config, toy.params, {
      engine: 'webgpu',
      context: ctx,
      data: () => own,
      schedule: { lr: 0.02 },
    });
    const g = await trainer.runStep({ gradCapture: 'all' });
    expect(g.loss).toBeCloseTo(ref.loss, 6);
    for (const [name, t] of Object.entries(ref.trace)) {
      const cpuErr = maxAbsDiff(cast(f32.trace[name], 'float64'), t);
      const bound = Math.max(10 * cpuErr, GRADS.atol + GRADS.rtol * maxAbs(t));
      expectClose(g.grads[name], t, name, { atol: bound, rtol: 0 });
    }
    trainer.dispose();
  });
});
