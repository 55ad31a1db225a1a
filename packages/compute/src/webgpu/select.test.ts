import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config';
import { CpuEngine, createCpuEngine } from '../cpu/engine';
import type { GlassboxError } from '../errors';
import type { GPTParams } from '../params';
import { cloneParams, flattenParams, initParams } from '../params';
import { randomWindows } from '../train/batch';
import type { TrainerOptions } from '../train/trainer';
import { Trainer } from '../train/trainer';
import { GpuContext } from './context';
import { WebGpuEngine } from './engine';
import { nodeGpu } from './nodeDevice';
import { createTrainer, fallbackToCpu, fallbackTrainerToCpu, selectEngine } from './select';
import { testContext } from './testing';

const config = validateConfig({ vocab_size: 11, n_positions: 8, n_embd: 8, n_layer: 1, n_head: 2 });
const params = initParams(config, { seed: 1 });

describe('selectEngine', () => {
  it('picks WebGPU when the GPU gives an adapter', async () => {
    const s = await selectEngine(config, params, { gpu: await nodeGpu() });
    expect(s.kind).toBe('webgpu');
    expect(s.reason).toBeUndefined();
    expect(s.adapter).toBeDefined();
    s.engine.dispose();
  });

  it('falls back to the CPU with the reason when there is no WebGPU at all', async () => {
    const s = await selectEngine(config, params); // Node has no navigator.gpu
    expect(s.kind).toBe('cpu');
    expect(s.reason).toMatch(/navigator\.gpu/);
    expect((await s.engine.run([1, 2])).logits.shape).toEqual([2, 11]);
  });

  it('falls back to the CPU when WebGPU has no adapter, or the adapter request throws', async () => {
    const none = { requestAdapter: async () => null } as unknown as GPU;
    const a = await selectEngine(config, params, { gpu: none });
    expect(a.kind).toBe('cpu');
    expect(a.reason).toMatch(/no adapter/);
    const broken = {
      requestAdapter: async () => {
        throw new Error('GPU process crashed');
      },
    } as unknown as GPU;
    const b = await selectEngine(config, params, { gpu: broken });
    expect(b.kind).toBe('cpu');
    expect(b.reason).toMatch(/crashed/);
  });

  it('uses the CPU when asked to', async () => {
    const s = await selectEngine(config, params, { prefer: 'cpu', gpu: await nodeGpu() });
    expect(s.kind).toBe('cpu');
  });
});

function bits(p: GPTParams): number[][] {
  return flattenParams(p).map(([, t]) => [...t.data]);
}

describe('device loss: back to the CPU with the same weights', () => {
  it('fallbackToCpu after a device lost mid-run: a CPU engine with the last weights read back, and the reason', async () => {
    const own = await GpuContext.create({ gpu: await nodeGpu() });
    const engine = await WebGpuEngine.create(config, params, { context: own, ownsContext: true });
    engine.setParams(initParams(config, { seed: 2 })); // a loaded checkpoint: the engine's weights are no longer `params`
    const known = await engine.getParams();
    const prompt = [1, 5, 2];
    const err = await engine
      .run(prompt, { hooks: { hook_embed: () => own.device.destroy() } })
      .catch((e: unknown) => e);
    expect((err as GlassboxError).code).toBe('device-lost');
    const fb = await fallbackToCpu(engine);
    expect(fb.kind).toBe('cpu');
    expect(fb.engine).toBeInstanceOf(CpuEngine);
    expect(fb.reason).toMatch(/device was lost.*last weights read back/);
    expect(bits(await fb.engine.getParams())).toEqual(bits(known));
    const expected = await createCpuEngine(config, cloneParams(config, known)).run(prompt);
    expect([...(await fb.engine.run(prompt)).logits.data]).toEqual([...expected.logits.data]);
  });

  it('fallbackToCpu on a live device reads the current (trained) weights back first', async () => {
    const engine = await WebGpuEngine.create(config, params, { context: await testContext() });
    const trainer = engine.createTrainer({
      data: randomWindows([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], { batchSize: 1, blockSize: 4, seed: 0 }),
      schedule: { lr: 0.05 },
      checkpointOnTrainEnd: false,
    });
    await trainer.train(2);
    expect(bits(engine.lastParams)).toEqual(bits(params)); // nothing was read back yet
    trainer.dispose();
    const fb = await fallbackToCpu(engine);
    expect(fb.reason).toMatch(/current weights/);
    expect(bits(await fb.engine.getParams())).not.toEqual(bits(params));
  });

  it('a WebGPU trainer whose device is lost mid-run resumes on the CPU from its last checkpoint, as if never moved', async () => {
    const text = Array.from({ length: 40 }, (_, i) => (i * 7 + 3) % 11);
    const options = (): TrainerOptions => ({
      data: randomWindows(text, { batchSize: 2, blockSize: 6, seed: 4 }),
      schedule: { lr: 1e-2, warmupSteps: 2 },
      clipNorm: 1,
    });
    const own = await GpuContext.create({ gpu: await nodeGpu() });
    const source = options().data;
    const gpu = await createTrainer(config, cloneParams(config, params), {
      ...options(),
      // Lose the device inside step 5, after the checkpoint of step 3.
      data: (step) => {
        if (step === 5) own.device.destroy();
        return source(step);
      },
      engine: 'webgpu',
      context: own,
      checkpointEvery: 3,
    });
    const run = await gpu.train(10).catch((e: unknown) => e);
    expect((run as GlassboxError).code).toBe('device-lost');
    expect(gpu.completedSteps).toBe(5);

    const fb = await fallbackTrainerToCpu(gpu);
    expect(fb.trainer).toBeInstanceOf(Trainer);
    expect(fb.lostSteps).toBe(2);
    expect(fb.reason).toMatch(/device was lost.*from step 3 with the weights and optimizer state.*2 later steps/);
    expect(fb.trainer.completedSteps).toBe(3);
    expect(fb.trainer.history.map((h) => h.step)).toEqual([0, 1, 2]);
    expect(fb.trainer.optimizer.t).toBe(3);
    // The checkpoint is what a WebGPU trainer on a live device has after 3 steps, bit for bit.
    const ref = await createTrainer(config, cloneParams(config, params), {
      ...options(),
      engine: 'webgpu',
      context: await testContext(),
    });
    await ref.train(3);
    const refState = await ref.checkpoint();
    expect(bits(fb.trainer.params)).toEqual(bits(refState.params));
    expect(fb.trainer.optimizer.snapshot().m.map((m) => [...m])).toEqual(refState.optimizer?.m.map((m) => [...m]));
    ref.dispose();

    // Training goes on on the CPU; the engine runs the live weights; the run ends where a CPU-only run ends.
    await fb.trainer.train(7);
    expect(fb.trainer.completedSteps).toBe(10);
    const logits = (await fb.engine.run([1, 2, 3])).logits;
    const same = await createCpuEngine(config, await fb.trainer.getParams()).run([1, 2, 3]);
    expect([...logits.data]).toEqual([...same.logits.data]);
    const cpuOnly = new Trainer(config, cloneParams(config, params), options());
    await cpuOnly.train(10);
    cpuOnly.history.forEach((h, i) => {
      expect(fb.trainer.history[i].loss, `loss at step ${i}`).toBeCloseTo(h.loss, 4);
    });
  });
});
