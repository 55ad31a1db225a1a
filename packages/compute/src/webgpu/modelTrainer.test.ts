import { beforeAll, describe, expect, it } from 'vitest';
import type { GPTConfig } from '../config';
import { validateConfig } from '../config';
import { createCpuEngine } from '../cpu/engine';
import type { EngineKind } from '../engine';
import { GlassboxError } from '../errors';
import type { GPTParams } from '../params';
import { cloneParams, flattenParams, initParams } from '../params';
import { createRng } from '../rng';
import { randomWindows } from '../train/batch';
import type { ModelTrainer } from '../train/modelTrainer';
import type { TrainerOptions } from '../train/trainer';
import { Trainer } from '../train/trainer';
import type { GpuContext } from './context';
import { WebGpuEngine } from './engine';
import { WebGpuModelTrainer } from './modelTrainer';
import { createTrainer } from './select';
import { expectClose, testContext } from './testing';

/**
 * One suite, both engines: the ModelTrainer API (createTrainer / runStep / train / divergence / getParams /
 * checkpoint) must behave the same whichever engine the app selected.
 */
const config: GPTConfig = validateConfig({ vocab_size: 23, n_positions: 9, n_embd: 12, n_layer: 2, n_head: 3 });
const rng = createRng(5);
const text = Array.from({ length: 80 }, () => Math.floor(rng.next() * 23));
const base = (): TrainerOptions => ({
  data: randomWindows(text, { batchSize: 2, blockSize: 6, seed: 3 }),
  schedule: { lr: 1e-2, warmupSteps: 2, decaySteps: 12, minLr: 1e-3 },
  clipNorm: 1,
});

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testContext();
});

function make(engine: EngineKind, params: GPTParams, extra: Partial<TrainerOptions> = {}): Promise<ModelTrainer> {
  return createTrainer(config, params, { engine, context: ctx, ...base(), ...extra });
}

function bits(p: GPTParams): (number | string)[][] {
  return flattenParams(p).map(([, t]) => [...t.data].map((x) => (Number.isNaN(x) ? 'NaN' : x)));
}

describe.each(['cpu', 'webgpu'] as const)('ModelTrainer on the %s engine', (engine) => {
  it('runStep and train(n) follow the data source and schedule, report progress, and stop on abort', async () => {
    const tr = await make(engine, initParams(config, { seed: 1 }));
    expect(tr.kind).toBe(engine);
    const first = await tr.runStep();
    expect(first.step).toBe(0);
    expect(first.lr).toBeCloseTo(5e-3, 12); // warmup: (0 + 1) / 2 · lr
    expect(first.tokens).toBe(12);
    expect(first.loss).toBeCloseTo(Math.log(23), 0);
    expect(tr.completedSteps).toBe(1);
    expect(tr.lr).toBeCloseTo(1e-2, 12);
    const ctrl = new AbortController();
    const seen: number[] = [];
    const s = await tr.train(10, {
      signal: ctrl.signal,
      onProgress: (p) => {
        seen.push(p.step);
        expect(p.total).toBe(10);
        expect(Number.isFinite(p.loss) && p.gradNorm > 0 && p.tokensPerSecond > 0).toBe(true);
        if (p.done === 4) ctrl.abort();
      },
    });
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(s).toMatchObject({ steps: 4, stoppedBy: 'aborted' });
    expect(tr.completedSteps).toBe(5);
    expect(tr.history.map((h) => h.step)).toEqual([0, 1, 2, 3, 4]);
    await expect(tr.train(-1)).rejects.toMatchObject({ code: 'bad-config' });
    tr.dispose();
  });

  it('getParams is a copy, and checkpoint holds the optimizer state the CPU optimizer uses', async () => {
    const tr = await make(engine, initParams(config, { seed: 2 }));
    await tr.train(3);
    const a = await tr.getParams();
    a.embed.W_E.data[0] += 1;
    const b = await tr.getParams();
    expect(b.embed.W_E.data[0]).not.toBe(a.embed.W_E.data[0]);
    const c = await tr.checkpoint();
    expect(c.step).toBe(3);
    expect(bits(c.params)).toEqual(bits(b));
    expect(c.optimizer?.t).toBe(3);
    expect(c.optimizer?.m).toHaveLength(flattenParams(b).length);
    expect(c.optimizer?.v[0]?.some((x) => x > 0)).toBe(true); // AdamW's v of embed.W_E
    tr.dispose();
  });

  it('an update that would make a weight non-finite throws training-diverged and changes neither weights nor moments', async () => {
    // lr 1e39 is finite in JavaScript but every AdamW step is ≈ lr: no float32 weight can hold it.
    const p0 = initParams(config, { seed: 3 });
    const before = bits(p0);
    const tr = await make(engine, cloneParams(config, p0), { schedule: { lr: 1e39 } });
    const err = await Promise.resolve()
      .then(() => tr.runStep())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GlassboxError);
    expect((err as GlassboxError).code).toBe('training-diverged');
    expect((err as Error).message).toMatch(/at step 0: the update made embed\.W_E non-finite/);
    expect(tr.completedSteps).toBe(0);
    expect(tr.history).toHaveLength(0);
    const c = await tr.checkpoint();
    expect(bits(c.params)).toEqual(before);
    expect(c.optimizer?.t).toBe(0);
    for (const m of [...(c.optimizer?.m ?? []), ...(c.optimizer?.v ?? [])]) expect(m?.every((x) => x === 0)).toBe(true);
    tr.dispose();
  });

  it('a non-finite loss rejects train() naming the step and keeps the (poisoned) weights as they were', async () => {
    const p0 = initParams(config, { seed: 4 });
    p0.blocks[1].mlp.W_out.data[3] = Number.NaN;
    const before = bits(p0);
    const tr = await make(engine, cloneParams(config, p0));
    await expect(tr.train(3)).rejects.toThrow(/training diverged at step 0: the loss is NaN/);
    expect(tr.completedSteps).toBe(0);
    expect(bits(await tr.getParams())).toEqual(before);
    tr.dispose();
  });

  it("the engine's createTrainer trains the engine's own weights: run() sees the trained model", async () => {
    const p0 = initParams(config, { seed: 6 });
    const eng =
      engine === 'cpu'
        ? createCpuEngine(config, cloneParams(config, p0))
        : await WebGpuEngine.create(config, p0, { context: ctx });
    const ids = [1, 2, 3, 4];
    const untrained = (await eng.run(ids)).logits;
    const tr = eng.createTrainer(base());
    expect(tr.kind).toBe(engine);
    await tr.train(3);
    const trained = (await eng.run(ids)).logits;
    const expected = (await createCpuEngine(config, await tr.getParams()).run(ids)).logits;
    expectClose(trained, expected, 'logits of the trained weights', { atol: 1e-5, rtol: 1e-5 });
    expect(Math.max(...trained.data.map((x, i) => Math.abs(x - untrained.data[i])))).toBeGreaterThan(1e-3);
    tr.dispose();
    eng.dispose();
  });
});

describe('ModelTrainer: the same run on both engines', () => {
  it('8 steps give the same losses, norms and trained model on the CPU and on WebGPU', async () => {
    const p0 = initParams(config, { seed: 8 });
    const cpu = await make('cpu', cloneParams(config, p0));
    const gpu = await make('webgpu', p0);
    await cpu.train(8);
    await gpu.train(8);
    gpu.history.forEach((g, i) => {
      const c = cpu.history[i];
      expect(g.loss, `loss at step ${i}`).toBeCloseTo(c.loss, 4);
      expect(g.gradNorm, `norm at step ${i}`).toBeCloseTo(c.gradNorm, 4);
      expect(g.lr).toBe(c.lr);
    });
    expect(cpu.history[7].loss).toBeLessThan(cpu.history[0].loss);
    // Compared through the model's output: b_K has a true gradient of exactly 0, so AdamW turns each engine's own
    // rounding noise in it into different (and irrelevant: the softmax ignores b_K) weights.
    const ids = [3, 1, 4, 1, 5, 9, 2, 6];
    const [a, b] = [await cpu.getParams(), await gpu.getParams()];
    const [la, lb] = [
      (await createCpuEngine(config, a).run(ids)).logits,
      (await createCpuEngine(config, b).run(ids)).logits,
    ];
    expectClose(lb, la, 'logits after 8 steps', { atol: 1e-4, rtol: 1e-4 });
    gpu.dispose();
  });

  it('says whether a step can be taken one phase at a time, and the WebGPU trainer refuses clearly', async () => {
    const cpu = await make('cpu', initParams(config, { seed: 9 }));
    const gpu = await make('webgpu', initParams(config, { seed: 9 }));
    expect(cpu).toBeInstanceOf(Trainer);
    expect(gpu).toBeInstanceOf(WebGpuModelTrainer);
    expect([cpu.supportsStepping, gpu.supportsStepping]).toEqual([true, false]);
    if (cpu instanceof Trainer) expect(cpu.forward().logits.shape).toEqual([2, 6, 23]);
    for (const phase of ['forward', 'loss', 'backwardStep', 'backward', 'update'] as const) {
      expect(() => (gpu as WebGpuModelTrainer)[phase]()).toThrow(/supportsStepping is false/);
    }
    await expect(
      make('webgpu', initParams(config, { seed: 9 }), { hooks: { hook_embed: () => undefined } }),
    ).rejects.toMatchObject({ code: 'unsupported' });
    gpu.dispose();
  });

  it('the WebGPU trainer runs one step at a time and reads gradients back on request', async () => {
    const gpu = (await make('webgpu', initParams(config, { seed: 10 }))) as WebGpuModelTrainer;
    const pending = gpu.runStep({ gradCapture: ['grad.params.blocks.1.mlp.W_in', 'grad.hook_logits'] });
    await expect(gpu.runStep()).rejects.toThrow(/in flight/);
    const r = await pending;
    expect(r.grads['grad.params.blocks.1.mlp.W_in'].shape).toEqual([12, 48]);
    expect(r.grads['grad.hook_logits'].shape).toEqual([2, 6, 23]);
    expect(gpu.completedSteps).toBe(1);
    gpu.dispose();
  });
});
