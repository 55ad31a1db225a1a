import { beforeAll, describe, expect, it } from 'vitest';
import type { GPTConfig } from '../config';
import { validateConfig } from '../config';
import { createCpuEngine } from '../cpu/engine';
import type { GPTParams } from '../params';
import { cloneParams, flattenParams, initParams } from '../params';
import { createRng } from '../rng';
import { randomWindows } from '../train/batch';
import type { ModelTrainer } from '../train/modelTrainer';
import type { OptimizerConfig } from '../train/optim';
import type { TrainerOptions } from '../train/trainer';
import { Trainer } from '../train/trainer';
import type { GpuContext } from './context';
import type { WebGpuModelTrainer } from './modelTrainer';
import { createTrainer } from './select';
import { expectClose, testContext } from './testing';

/**
 * checkpoint() on one engine, restore() on the other: the run goes on as if it had never moved (the same batches,
 * learning rate and optimizer moments), within the whole-run tolerances of modelTrainer.test.ts.
 */
const config: GPTConfig = validateConfig({ vocab_size: 23, n_positions: 9, n_embd: 12, n_layer: 2, n_head: 3 });
const rng = createRng(11);
const text = Array.from({ length: 80 }, () => Math.floor(rng.next() * 23));
const base = (optimizer: OptimizerConfig): TrainerOptions => ({
  data: randomWindows(text, { batchSize: 2, blockSize: 6, seed: 3 }),
  schedule: { lr: 1e-2, warmupSteps: 2, decaySteps: 12, minLr: 1e-3 },
  clipNorm: 1,
  optimizer,
});
const ids = [3, 1, 4, 1, 5, 9, 2, 6];

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});

const optimizers = [
  ['adamw', { kind: 'adamw' }],
  ['sgd with momentum', { kind: 'sgd', momentum: 0.9, weightDecay: 0.01 }],
] as const;

/** Same losses, norms and learning rates step for step, and the same model (through its logits: see b_K). */
async function expectSameRun(got: ModelTrainer, want: ModelTrainer, from: number): Promise<void> {
  expect(got.history.map((h) => h.step)).toEqual(want.history.slice(from).map((h) => h.step));
  got.history.forEach((g, i) => {
    const c = want.history[from + i];
    expect(g.loss, `loss at step ${g.step}`).toBeCloseTo(c.loss, 4);
    expect(g.gradNorm, `norm at step ${g.step}`).toBeCloseTo(c.gradNorm, 4);
    expect(g.lr).toBe(c.lr);
  });
  const [a, b] = [await want.getParams(), await got.getParams()];
  const [la, lb] = [
    (await createCpuEngine(config, a).run(ids)).logits,
    (await createCpuEngine(config, b).run(ids)).logits,
  ];
  expectClose(lb, la, 'logits after 10 steps', { atol: 1e-4, rtol: 1e-4 });
}

function maxDiff(a: GPTParams, b: GPTParams): number {
  const fb = flattenParams(b);
  let d = 0;
  flattenParams(a).forEach(([, t], i) => {
    t.data.forEach((x, j) => {
      d = Math.max(d, Math.abs(x - fb[i][1].data[j]));
    });
  });
  return d;
}

describe.each(optimizers)('restore() across engines (%s)', (_, optimizer) => {
  it('CPU 5 steps → checkpoint → WebGPU restored from it, 5 more = 10 CPU steps', async () => {
    const p0 = initParams(config, { seed: 8 });
    const straight = new Trainer(config, cloneParams(config, p0), base(optimizer));
    await straight.train(10);
    const cpu = new Trainer(config, cloneParams(config, p0), base(optimizer));
    await cpu.train(5);
    const ckpt = await cpu.checkpoint();
    const gpu = await createTrainer(config, initParams(config, { seed: 1 }), {
      engine: 'webgpu',
      context: ctx,
      ...base(optimizer),
      resume: ckpt,
    });
    expect(gpu.completedSteps).toBe(5);
    expect(gpu.lr).toBe(straight.history[5].lr);
    expect(gpu.lastCheckpoint.step).toBe(5);
    // What was uploaded reads back as it was (the CPU trainer's weights are float32 too).
    const back = await gpu.checkpoint();
    expect(back.step).toBe(5);
    expect(back.optimizer?.t).toBe(5);
    expect(maxDiff(back.params, ckpt.params)).toBe(0);
    back.optimizer?.m.forEach((m, i) => {
      expect([...m]).toEqual([...Float32Array.from(ckpt.optimizer?.m[i] ?? [])]);
    });
    await gpu.train(5);
    await expectSameRun(gpu, straight, 5);

    // Without the moments (a fresh GPU trainer on the same weights, shifted by hand) the run differs: the restore
    // is what makes it match.
    const fresh = await createTrainer(config, ckpt.params, { engine: 'webgpu', context: ctx, ...base(optimizer) });
    await fresh.restore({ step: 5, params: ckpt.params });
    await fresh.train(5);
    expect(Math.abs(fresh.history[4].loss - straight.history[9].loss)).toBeGreaterThan(1e-3);
    gpu.dispose();
    fresh.dispose();
  });

  it('WebGPU 5 steps → checkpoint → CPU restored from it, 5 more = 10 CPU steps', async () => {
    const p0 = initParams(config, { seed: 9 });
    const straight = new Trainer(config, cloneParams(config, p0), base(optimizer));
    await straight.train(10);
    const gpu = (await createTrainer(config, cloneParams(config, p0), {
      engine: 'webgpu',
      context: ctx,
      ...base(optimizer),
    })) as WebGpuModelTrainer;
    await gpu.train(5);
    const ckpt = await gpu.checkpoint();
    gpu.dispose();
    const cpu = await createTrainer(config, initParams(config, { seed: 2 }), { ...base(optimizer), resume: ckpt });
    expect(cpu.completedSteps).toBe(5);
    await cpu.train(5);
    await expectSameRun(cpu, straight, 5);
  });

  it('a WebGPU trainer rewinds to its own checkpoint and repeats the same steps', async () => {
    const gpu = await createTrainer(config, initParams(config, { seed: 10 }), {
      engine: 'webgpu',
      context: ctx,
      ...base(optimizer),
    });
    await gpu.train(2);
    const ckpt = await gpu.checkpoint();
    await gpu.train(3);
    const later = gpu.history.slice(2).map((h) => h.loss);
    await gpu.restore(ckpt);
    expect(gpu.history.map((h) => h.step)).toEqual([0, 1]);
    await gpu.train(3);
    expect(gpu.history.slice(2).map((h) => h.loss)).toEqual(later);
    await expect(gpu.restore({ ...ckpt, step: 1.5 })).rejects.toMatchObject({ code: 'bad-checkpoint' });
    gpu.dispose();
  });
});
