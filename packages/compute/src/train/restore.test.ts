import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config';
import type { GPTParams } from '../params';
import { cloneParams, flattenParams, initParams } from '../params';
import { createRng } from '../rng';
import { randomWindows } from './batch';
import type { TrainerOptions } from './trainer';
import { Trainer } from './trainer';

const config = validateConfig({ vocab_size: 13, n_positions: 8, n_embd: 8, n_layer: 2, n_head: 2 });
const rng = createRng(7);
const text = Array.from({ length: 60 }, () => Math.floor(rng.next() * 13));
const options = (extra: Partial<TrainerOptions> = {}): TrainerOptions => ({
  data: randomWindows(text, { batchSize: 2, blockSize: 6, seed: 4 }),
  schedule: { lr: 3e-2, warmupSteps: 3, decaySteps: 20, minLr: 3e-3 },
  clipNorm: 1,
  ...extra,
});

function bits(p: GPTParams): number[][] {
  return flattenParams(p).map(([, t]) => [...t.data]);
}

describe('Trainer.restore (CPU → CPU)', () => {
  it.each([
    ['adamw', { kind: 'adamw' }],
    ['sgd with momentum', { kind: 'sgd', momentum: 0.9, weightDecay: 0.01 }],
  ] as const)(
    '%s: 5 steps, checkpoint, restore into a fresh trainer, 5 more = 10 straight steps, bit for bit',
    async (_, optimizer) => {
      const p0 = initParams(config, { seed: 3 });
      const straight = new Trainer(config, cloneParams(config, p0), options({ optimizer }));
      await straight.train(10);
      const first = new Trainer(config, cloneParams(config, p0), options({ optimizer }));
      await first.train(5);
      const ckpt = await first.checkpoint();
      await first.train(2); // the checkpoint is a copy: later steps do not change it
      const other = new Trainer(config, initParams(config, { seed: 99 }), options({ optimizer }));
      const live = other.params;
      other.restore(ckpt);
      expect(other.params).toBe(live); // copied into the live tree
      expect(other.completedSteps).toBe(5);
      expect(other.lr).toBe(straight.history[5].lr);
      await other.train(5);
      expect(other.history.map((h) => h.step)).toEqual([5, 6, 7, 8, 9]);
      expect(other.history.map((h) => h.loss)).toEqual(straight.history.slice(5).map((h) => h.loss));
      expect(bits(other.params)).toEqual(bits(straight.params));
      expect(other.optimizer.snapshot()).toEqual(straight.optimizer.snapshot());
    },
  );

  it('rewinds a trainer to its own earlier checkpoint, dropping the later history', async () => {
    const tr = new Trainer(config, initParams(config, { seed: 5 }), options());
    await tr.train(3);
    const ckpt = await tr.checkpoint();
    await tr.train(4);
    const after = tr.history.slice(3).map((h) => h.loss);
    tr.restore(ckpt);
    expect(tr.history.map((h) => h.step)).toEqual([0, 1, 2]);
    await tr.train(4);
    expect(tr.history.slice(3).map((h) => h.loss)).toEqual(after);
  });

  it('a checkpoint without optimizer state starts the optimizer afresh at that step', async () => {
    const tr = new Trainer(config, initParams(config, { seed: 6 }), options());
    await tr.train(3);
    const params = await tr.getParams();
    tr.restore({ step: 3, params });
    expect(tr.optimizer.t).toBe(0);
    expect(tr.optimizer.snapshot().m.every((m) => m.every((x) => x === 0))).toBe(true);
    expect(tr.completedSteps).toBe(3);
  });

  it('refuses a checkpoint that does not fit the model or the optimizer', async () => {
    const adam = new Trainer(config, initParams(config, { seed: 7 }), options());
    const sgd = new Trainer(config, initParams(config, { seed: 7 }), options({ optimizer: { kind: 'sgd' } }));
    await adam.train(1);
    await sgd.train(1);
    const a = await adam.checkpoint();
    const s = await sgd.checkpoint();
    expect(() => sgd.restore(a)).toThrow(expect.objectContaining({ code: 'bad-checkpoint' }));
    expect(() => adam.restore(s)).toThrow(expect.objectContaining({ code: 'bad-checkpoint' }));
    expect(() => adam.restore({ ...a, step: -1 })).toThrow(expect.objectContaining({ code: 'bad-checkpoint' }));
    const small = validateConfig({ ...config, n_embd: 4 });
    expect(() => adam.restore({ step: 0, params: initParams(small, { seed: 1 }) })).toThrow(
      expect.objectContaining({ code: 'bad-checkpoint' }),
    );
    expect(() => adam.restore({ ...a, optimizer: { ...a.optimizer!, m: a.optimizer!.m.slice(1) } })).toThrow(
      expect.objectContaining({ code: 'bad-checkpoint' }),
    );
    expect(adam.completedSteps).toBe(1); // nothing changed
  });
});
