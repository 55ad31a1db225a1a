import { beforeAll, describe, expect, it } from 'vitest';
import type { GPTConfig } from '../config';
import { validateConfig } from '../config';
import { castParams, flattenParams, initParams } from '../params';
import { createRng } from '../rng';
import { tensor } from '../tensor';
import type { Batch } from '../train/batch';
import { computeGradients } from '../train/gradients';
import { GpuContext } from './context';
import { WebGpuEngine } from './engine';
import { sequencesThatFit } from './model';
import { expectClose, testContext } from './testing';
import { WebGpuTrainer } from './trainer';

// The training step runs its batch as one pass over B·T rows unless the largest activation of B sequences would
// exceed the device's buffer limit; then it runs several passes whose gradients add up (trainer.ts). trainer.test.ts
// covers the single pass; this file forces the split with a context whose limit holds only 2 of 3 sequences.
const config: GPTConfig = validateConfig({
  vocab_size: 53,
  n_positions: 11,
  n_embd: 20,
  n_layer: 2,
  n_head: 2,
  layer_norm_epsilon: 1e-5,
});
const T = 11;
// The largest per-sequence activation is the MLP's [T, 4d] = 880 floats: 3,520 bytes.
const LIMIT = 2 * 4 * T * 4 * config.n_embd;

const GRAD_TOL = { atol: 1e-7, rtol: 2e-5 };

let small: GpuContext;
beforeAll(async () => {
  const ctx = await testContext();
  small = new GpuContext(ctx.device, ctx.adapter, { ...ctx.limits, maxStorageBufferBindingSize: LIMIT });
  small.emulated = ctx.emulated;
});

describe('a training batch too big for one pass', () => {
  it('is split into passes (2 + 1 sequences) whose losses and gradients equal the CPU trainer’s', async () => {
    expect(sequencesThatFit(small, config, T, T, 3)).toBe(2);
    const p0 = initParams(config, { seed: 4 });
    const rng = createRng(11);
    for (const [, t] of flattenParams(p0))
      for (let i = 0; i < t.data.length; i++) t.data[i] += Math.fround(0.2 * rng.normal());
    const seq = (k: number) => Array.from({ length: T + 1 }, (_, t) => (t * 17 + k * 5 + 3) % config.vocab_size);
    const windows = [seq(0), seq(1), seq(2)];
    const batch: Batch = { inputs: windows.map((w) => w.slice(0, T)), targets: windows.map((w) => w.slice(1)) };
    const engine = await WebGpuEngine.create(config, p0, { context: small });
    const trainer = new WebGpuTrainer(engine);
    try {
      const ref = computeGradients(config, castParams(p0, config, 'float64'), batch, { gradCapture: 'all' });
      const g = await trainer.step(batch, { lr: 1e-3, gradCapture: 'all' });
      expect(g.loss).toBeCloseTo(ref.loss, 5);
      expectClose(
        g.losses,
        tensor(
          [3, T],
          ref.losses.flatMap((l) => [...l]),
        ),
        'losses',
        GRAD_TOL,
      );
      for (const [name, t] of Object.entries(ref.trace)) {
        if (!name.startsWith('grad.params.')) expectClose(g.grads[name], t, name, GRAD_TOL);
      }
      for (const [name, t] of flattenParams(ref.grads)) {
        expectClose(g.grads[`grad.params.${name}`], t, `grad.params.${name}`, GRAD_TOL);
      }
    } finally {
      trainer.dispose();
      engine.dispose();
    }
  });
});
