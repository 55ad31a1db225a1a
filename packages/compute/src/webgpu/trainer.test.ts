import { beforeAll, describe, expect, it } from 'vitest';
import type { GPTConfig } from '../config';
import { validateConfig } from '../config';
import { GlassboxError } from '../errors';
import type { GPTParams } from '../params';
import { castParams, cloneParams, flattenParams, initParams, paramsFromMap } from '../params';
import { createRng } from '../rng';
import { tensor } from '../tensor';
import type { Batch } from '../train/batch';
import { clipGradNorm } from '../train/clip';
import { computeGradients } from '../train/gradients';
import type { OptimizerConfig } from '../train/optim';
import { Optimizer } from '../train/optim';
import type { GpuContext } from './context';
import { WebGpuEngine } from './engine';
import { expectClose, testContext } from './testing';
import { WebGpuTrainer } from './trainer';

// Awkward sizes: dh = 10, d = 20, V = 53; 2 layers, 2 heads.
const config: GPTConfig = validateConfig({
  vocab_size: 53,
  n_positions: 11,
  n_embd: 20,
  n_layer: 2,
  n_head: 2,
  layer_norm_epsilon: 1e-5,
});

function params(seed: number): GPTParams {
  const p = initParams(config, { seed });
  const rng = createRng(seed + 7);
  for (const [name, t] of flattenParams(p)) {
    const gain = name.endsWith('.w') && name.includes('ln') ? 1 : 0;
    for (let i = 0; i < t.data.length; i++) t.data[i] = Math.fround(gain + 0.2 * rng.normal());
  }
  return p;
}

const batch: Batch = {
  inputs: [
    [1, 5, 9, 52, 0, 5, 5],
    [30, 2, 2, 17, 41, 8, 1],
  ],
  targets: [
    [5, 9, 52, 0, 5, 5, 3],
    [2, 2, 17, 41, 8, 1, 44],
  ],
};

/** Gradients: float32 through a 2-layer backward vs float64 (measured ≤ 2e-6 relative). */
const GRAD_TOL = { atol: 1e-7, rtol: 2e-5 };

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});

/** Run `steps` steps on both engines from the same weights and compare everything on the way. */
async function compareSteps(p0: GPTParams, b: Batch, optimizer: OptimizerConfig, clipNorm: number, lrs: number[]) {
  const engine = await WebGpuEngine.create(config, p0, { context: ctx });
  const trainer = new WebGpuTrainer(engine, { optimizer, clipNorm });
  const cpuParams = castParams(cloneParams(config, p0), config, 'float64');
  const opt = new Optimizer(config, cpuParams, optimizer);
  try {
    for (const lr of lrs) {
      const ref = computeGradients(config, cpuParams, b, { gradCapture: 'all' });
      const g = await trainer.step(b, { lr, gradCapture: 'all' });
      expect(g.loss).toBeCloseTo(ref.loss, 5);
      const B = b.inputs.length;
      const refLosses =
        B === 1
          ? tensor([ref.losses[0].length], ref.losses[0])
          : tensor(
              [B, ref.losses[0].length],
              ref.losses.flatMap((l) => [...l]),
            );
      expectClose(g.losses, refLosses, 'losses', GRAD_TOL);
      // Every activation gradient (grad.<hook>) and parameter gradient (grad.params.<name>), before clipping.
      for (const [name, t] of Object.entries(ref.trace)) {
        if (!name.startsWith('grad.params.')) expectClose(g.grads[name], t, name, GRAD_TOL);
      }
      for (const [name, t] of flattenParams(ref.grads))
        expectClose(g.grads[`grad.params.${name}`], t, `grad.params.${name}`, GRAD_TOL);
      // The update is checked on the GPU's own gradients: Adam divides by √v + ε, which turns a gradient's last-bit
      // float32 noise into a visible step wherever the true gradient is ~0 (b_K's is exactly 0: a shared shift of
      // every key leaves the softmax unchanged). The gradients themselves were checked against float64 just above.
      const gpuGrads = paramsFromMap(
        config,
        new Map(flattenParams(ref.grads).map(([name]) => [name, g.grads[`grad.params.${name}`]])),
        'float64',
      );
      const clip = clipGradNorm(gpuGrads, clipNorm);
      expect(g.gradNorm).toBeCloseTo(clip.norm, 5);
      expect(g.clipScale).toBeCloseTo(clip.scale, 6);
      expect(clip.clipped).toBe(Number.isFinite(clipNorm));
      opt.step(cpuParams, gpuGrads, lr);
      const after = await engine.getParams();
      for (const [[name, a], [, c]] of flattenParams(after).map((e, i) => [e, flattenParams(cpuParams)[i]] as const)) {
        expectClose(a, c, `updated ${name}`, { atol: 1e-5 * lr, rtol: 1e-6 });
      }
    }
    return { trainer, engine };
  } finally {
    trainer.dispose();
    engine.dispose();
  }
}

describe('WebGPU training step vs the CPU trainer', () => {
  it('AdamW with weight decay and active clipping: gradients, norm, clip factor and updated weights match (2 steps, B = 2)', async () => {
    // First measure the norm so the clip really clips.
    const p0 = params(1);
    const { grads } = computeGradients(config, castParams(p0, config, 'float64'), batch);
    const norm = clipGradNorm(grads, Number.POSITIVE_INFINITY).norm;
    await compareSteps(p0, batch, { kind: 'adamw', weightDecay: 0.1 }, norm / 3, [1e-2, 5e-3]);
  });

  it('SGD with momentum, one sequence of n_positions tokens (2 steps)', async () => {
    const ids = [3, 14, 15, 9, 26, 5, 35, 8, 9, 7, 9];
    const one: Batch = { inputs: [ids], targets: [[...ids.slice(1), 2]] };
    await compareSteps(
      params(2),
      one,
      { kind: 'sgd', momentum: 0.9, weightDecay: 0.01 },
      Number.POSITIVE_INFINITY,
      [0.1, 0.1],
    );
  });

  it('a non-finite gradient is reported as training-diverged and leaves the weights untouched', async () => {
    const p0 = params(3);
    const engine = await WebGpuEngine.create(config, p0, { context: ctx });
    const trainer = new WebGpuTrainer(engine);
    const small: Batch = { inputs: [[1, 2, 3]], targets: [[2, 3, 4]] };
    // Poison one weight: the forward becomes NaN, and so do the loss and every gradient.
    const poisoned = cloneParams(config, p0);
    poisoned.blocks[0].mlp.W_in.data[0] = Number.NaN;
    engine.setParams(poisoned);
    const err = await trainer.step(small, { lr: 0.1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GlassboxError);
    expect((err as GlassboxError).code).toBe('training-diverged');
    expect(trainer.t).toBe(0);
    const after = await engine.getParams();
    for (const [[name, a], [, b]] of flattenParams(after).map((e, i) => [e, flattenParams(poisoned)[i]] as const)) {
      expect(
        [...a.data].map((x) => (Number.isNaN(x) ? 'NaN' : x)),
        name,
      ).toEqual([...b.data].map((x) => (Number.isNaN(x) ? 'NaN' : x)));
    }
    trainer.dispose();
    engine.dispose();
  });
});
