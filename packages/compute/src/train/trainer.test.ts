import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config';
import { GlassboxError } from '../errors';
import type { GPTParams } from '../params';
import { cloneParams, flattenParams, initParams } from '../params';
import { createRng } from '../rng';
import type { Tensor } from '../tensor';
import { randomWindows, wholeSequence } from './batch';
import type { TrainerOptions } from './trainer';
import { Trainer } from './trainer';

const config = validateConfig({ vocab_size: 13, n_positions: 8, n_embd: 8, n_layer: 2, n_head: 2 });
const rng = createRng(99);
const text = Array.from({ length: 60 }, (_, i) => (i % 7 === 0 ? 0 : Math.floor(rng.next() * 13)));

function makeTrainer(seed: number, extra: Partial<TrainerOptions> = {}): Trainer {
  return new Trainer(config, initParams(config, { seed }), {
    data: randomWindows(text, { batchSize: 2, blockSize: 6, seed }),
    schedule: { lr: 3e-2, warmupSteps: 3, decaySteps: 20, minLr: 3e-3 },
    clipNorm: 1,
    ...extra,
  });
}

function sameWeights(a: GPTParams, b: GPTParams): boolean {
  const fa = flattenParams(a);
  const fb = flattenParams(b);
  return fa.every(([, t], i) => t.data.every((x, j) => x === fb[i][1].data[j]));
}

describe('Trainer: stepped API', () => {
  it('runs forward → loss → backward one stage at a time (head, blocks from the top, embed) → update', () => {
    const tr = makeTrainer(1, { inspect: ['blocks.1.attn.W_Q'] });
    expect(tr.phase).toBe('forward');
    const f = tr.forward();
    expect(f.logits.shape).toEqual([2, 6, 13]);
    expect(f.trace['blocks.0.attn.hook_pattern'].shape).toEqual([2, 2, 6, 6]);
    expect(tr.phase).toBe('loss');
    const l = tr.loss();
    expect(l.losses.shape).toEqual([2, 6]);
    expect(l.dlogits.shape).toEqual([2, 6, 13]);
    expect(l.loss).toBeCloseTo(Math.log(13), 1); // a fresh model is close to uniform
    const stages: string[] = [];
    while (tr.phase === 'backward') {
      const s = tr.backwardStep();
      stages.push(s.stage.kind === 'block' ? `block ${s.stage.layer}` : s.stage.kind);
      if (s.stage.kind === 'block') {
        expect(s.grads[`grad.blocks.${s.stage.layer}.attn.hook_pattern`].shape).toEqual([2, 2, 6, 6]);
        expect(s.grads[`grad.params.blocks.${s.stage.layer}.mlp.W_out`].shape).toEqual([32, 8]);
      }
    }
    expect(stages).toEqual(['head', 'block 1', 'block 0', 'embed']);
    const u = tr.update();
    expect(u.step).toBe(0);
    expect(u.lr).toBeCloseTo(1e-2, 15);
    expect(u.gradNorm).toBeGreaterThan(0);
    expect(u.updates.map((x) => x.name)).toEqual(['blocks.1.attn.W_Q']);
    expect(u.updates[0].m).toBeDefined();
    expect(tr.completedSteps).toBe(1);
    expect(tr.phase).toBe('forward');
  });

  it('the stepped phases and runStep() produce the same weights bit for bit', () => {
    const a = makeTrainer(2);
    const b = makeTrainer(2);
    for (let i = 0; i < 3; i++) {
      a.forward();
      a.loss();
      a.backwardStep();
      a.backward();
      a.update();
      b.runStep();
    }
    expect(sameWeights(a.params, b.params)).toBe(true);
    expect(a.history.map((h) => h.loss)).toEqual(b.history.map((h) => h.loss));
  });

  it('refuses phases out of order, naming the one it expects', () => {
    const tr = makeTrainer(3);
    expect(() => tr.loss()).toThrow(/expects forward next/);
    tr.forward();
    expect(() => tr.update()).toThrow(/expects loss next/);
  });
});

describe('Trainer: determinism, train(n), divergence', () => {
  it('same seed and same data give the same weights bit for bit after 20 steps; another seed does not', async () => {
    const a = makeTrainer(7);
    const b = makeTrainer(7);
    await a.train(20);
    await b.train(20);
    expect(sameWeights(a.params, b.params)).toBe(true);
    const c = makeTrainer(8);
    await c.train(20);
    expect(sameWeights(a.params, c.params)).toBe(false);
  });

  it('learns: the loss on a fixed batch falls', async () => {
    const tr = new Trainer(config, initParams(config, { seed: 4 }), {
      data: wholeSequence(text.slice(0, 8)),
      schedule: { lr: 3e-2 },
    });
    const s = await tr.train(60);
    expect(tr.history[0].loss).toBeGreaterThan(2);
    expect(s.lastLoss).toBeLessThan(0.5);
  });

  it('reports progress every step and stops between steps when aborted', async () => {
    const tr = makeTrainer(5);
    const ctrl = new AbortController();
    const seen: number[] = [];
    const summary = await tr.train(10, {
      signal: ctrl.signal,
      onProgress: (p) => {
        seen.push(p.step);
        expect(p.total).toBe(10);
        expect(p.tokensPerSecond).toBeGreaterThan(0);
        expect(Number.isFinite(p.loss) && Number.isFinite(p.gradNorm) && p.lr > 0).toBe(true);
        if (p.done === 3) ctrl.abort();
      },
    });
    expect(seen).toEqual([0, 1, 2]);
    expect(summary.stoppedBy).toBe('aborted');
    expect(summary.steps).toBe(3);
    expect(tr.completedSteps).toBe(3);
  });

  it('a huge learning rate stops training with training-diverged and leaves the last good weights', async () => {
    const tr = makeTrainer(6, { optimizer: { kind: 'sgd' }, schedule: { lr: 1e38 }, clipNorm: undefined });
    let error: unknown;
    let good: GPTParams | undefined;
    for (let i = 0; i < 5 && !error; i++) {
      good = cloneParams(config, tr.params);
      try {
        tr.runStep();
      } catch (e) {
        error = e;
      }
    }
    expect(error).toBeInstanceOf(GlassboxError);
    expect((error as GlassboxError).code).toBe('training-diverged');
    expect((error as Error).message).toMatch(/at step \d+/);
    expect(sameWeights(tr.params, good as GPTParams)).toBe(true);
  });

  it('a NaN loss at step 3 rejects train() with the step in the message and leaves the weights of before step 3', async () => {
    let poison = false;
    const tr = makeTrainer(9, {
      hooks: {
        hook_logits: (v: Tensor) => {
          if (poison) v.data[0] = Number.NaN;
        },
      },
    });
    await tr.train(3);
    const good = cloneParams(config, tr.params);
    const optBefore = tr.optimizer.t;
    poison = true;
    await expect(tr.train(5)).rejects.toThrow(/training diverged at step 3: the loss is NaN/);
    expect(sameWeights(tr.params, good)).toBe(true);
    expect(tr.optimizer.t).toBe(optBefore);
    expect(tr.completedSteps).toBe(3);
  });
});
