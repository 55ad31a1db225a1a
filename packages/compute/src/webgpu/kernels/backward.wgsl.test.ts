import { describe, expect, it } from 'vitest';
import {
  geluBackward as cpuGeluBackward,
  layerNorm as cpuLayerNorm,
  layerNormBackward as cpuLayerNormBackward,
  causalMask as cpuMask,
  attentionMixBackward as cpuMixBackward,
  gatherRowsBackward as cpuScatter,
  attentionScoresBackward as cpuScoresBackward,
  softmax as cpuSoftmax,
  softmaxBackward as cpuSoftmaxBackward,
} from '../../cpu/ops';
import { createRng } from '../../rng';
import type { Tensor } from '../../tensor';
import { stack, tensor, zeros } from '../../tensor';
import { crossEntropyBackward as cpuCeBackward, crossEntropy as cpuCrossEntropy } from '../../train/loss';
import type { GpuContext, GpuTensor } from '../context';
import { expectClose, randn, readAll, run, sequence, testContext, toGpu } from '../testing';
import { attentionMix } from './attentionMix.wgsl';
import { attentionScores } from './attentionScores.wgsl';
import { causalMask } from './causalMask.wgsl';
import { crossEntropy } from './crossEntropy.wgsl';
import { geluBackward } from './geluBackward.wgsl';
import { layerNormBackward } from './layerNormBackward.wgsl';
import { scatterAddRows, scatterPlan } from './scatterRows.wgsl';
import { softmaxBackward } from './softmaxBackward.wgsl';
import { sumRows } from './sumRows.wgsl';

function u32Tensor(ctx: GpuContext, values: Uint32Array | number[], label: string): GpuTensor {
  const t = ctx.createTensor([values.length], null, label);
  ctx.device.queue.writeBuffer(t.buffer, 0, Uint32Array.from(values));
  return t;
}

// Both kernel families (testContext's `emulated`): the row kernels map rows to a workgroup or to a thread.
describe.each([true, false])('backward kernels vs the CPU ops (emulated-adapter variants: %s)', (emulated) => {
  it.each([1, 300, 1031])('geluBackward on %i values', async (n) => {
    const ctx = await testContext({ emulated });
    const rng = createRng(n);
    const [dy, x] = [randn(rng, [n]), randn(rng, [n], 3)];
    const dx = ctx.alloc([n], 'dx');
    await run(ctx, (rec) => geluBackward(rec, toGpu(ctx, dy), toGpu(ctx, x), dx));
    expectClose((await readAll(ctx, [dx]))[0], cpuGeluBackward(dy, x), 'gelu dx');
  });

  it.each([
    [1, 1],
    [3, 7],
    [2, 513],
  ])('softmaxBackward for [%i, %i], with exact zeros where y = 0', async (R, C) => {
    const ctx = await testContext({ emulated });
    const rng = createRng(R * C);
    const x = randn(rng, [R, C], 2);
    x.data[0] = Number.NEGATIVE_INFINITY; // a masked entry: y = 0 there
    if (C === 1) x.data[0] = 0.5;
    const y = cpuSoftmax(x);
    const dy = randn(rng, [R, C], 1e3);
    const dx = ctx.alloc([R, C], 'dx');
    await run(ctx, (rec) => softmaxBackward(rec, toGpu(ctx, dy), toGpu(ctx, y), dx));
    const [out] = await readAll(ctx, [dx]);
    if (C > 1) expect(Object.is(out.data[0], 0)).toBe(true);
    expectClose(out, cpuSoftmaxBackward(dy, y), 'softmax dx');
  });

  it.each([
    [1, 5],
    [6, 37],
    [3, 300],
  ])('layerNormBackward (+ sumRows for dw, db) for [%i, %i]', async (T, d) => {
    const ctx = await testContext({ emulated });
    const rng = createRng(T + d);
    const x = randn(rng, [T, d], 2);
    const [w, b, dy] = [randn(rng, [d]), randn(rng, [d]), randn(rng, [T, d])];
    const scale = cpuLayerNorm(x, w, b, 1e-5).scale;
    const ref = cpuLayerNormBackward(dy, x, w, scale);
    const [dx, dScale, xhat] = [ctx.alloc([T, d], 'dx'), ctx.alloc([T, 1], 'dScale'), ctx.alloc([T, d], 'xhat')];
    const [dw, db] = [toGpu(ctx, zeros([d])), toGpu(ctx, zeros([d]))];
    const dyG = toGpu(ctx, dy);
    await run(ctx, (rec) => {
      layerNormBackward(rec, {
        dy: dyG,
        x: toGpu(ctx, x),
        w: toGpu(ctx, w),
        scale: toGpu(ctx, scale),
        dx,
        dScale,
        xhat,
      });
      sumRows(rec, dyG, dw, xhat);
      sumRows(rec, dyG, db);
    });
    const [gdx, gdScale, gdw, gdb] = await readAll(ctx, [dx, dScale, dw, db]);
    expectClose(gdx, ref.dx, 'dx');
    expectClose(gdScale, ref.dScale, 'dScale');
    expectClose(gdw, ref.dw, 'dw');
    expectClose(gdb, ref.db, 'db');
  });

  // B = 0: unbatched 3-D operands (the inference layout); B ≥ 1: a leading batch dimension (the training step's).
  it.each([
    [0, 1, 1, 1, 1],
    [0, 5, 5, 2, 3],
    [0, 3, 11, 3, 4], // queries after a cache of 8: S > T
    [0, 33, 33, 2, 16],
    [1, 4, 4, 2, 3],
    [3, 5, 5, 2, 3],
    [2, 3, 11, 3, 4],
    [4, 33, 33, 2, 16],
  ])('attention backward (dPattern, dv, dq, dk) for B=%i, T=%i, S=%i, H=%i, dh=%i', async (B, T, S, H, dh) => {
    const ctx = await testContext({ emulated });
    const rng = createRng(B * 1009 + T * S + H);
    const shape = (...dims: number[]) => (B === 0 ? dims : [B, ...dims]);
    const [q, k, v, dz] = [
      randn(rng, shape(T, H, dh)),
      randn(rng, shape(S, H, dh)),
      randn(rng, shape(S, H, dh)),
      randn(rng, shape(T, H, dh)),
    ];
    const pattern = randn(rng, shape(H, T, S)); // any values: the products are linear in it
    const dScores = randn(rng, shape(H, T, S));
    const mask = cpuMask(T, S, q);
    // The CPU reference, sequence by sequence, stacked back when batched.
    const seqs = B === 0 ? [null] : Array.from({ length: B }, (_, b) => b);
    const at = (t: Tensor, b: number | null) => (b === null ? t : sequence(t, b));
    const mix = seqs.map((b) => cpuMixBackward(at(dz, b), at(pattern, b), at(v, b)));
    const qk = seqs.map((b) => cpuScoresBackward(at(dScores, b), at(q, b), at(k, b), mask));
    const joined = (ts: Tensor[]) => (B === 0 ? ts[0] : stack(ts));
    const out = {
      dPattern: ctx.alloc(shape(H, T, S), 'dPattern'),
      dv: ctx.alloc(shape(S, H, dh), 'dv'),
      dq: ctx.alloc(shape(T, H, dh), 'dq'),
      dk: ctx.alloc(shape(S, H, dh), 'dk'),
    };
    const g = { q: toGpu(ctx, q), k: toGpu(ctx, k), v: toGpu(ctx, v), dz: toGpu(ctx, dz), p: toGpu(ctx, pattern) };
    const dS = toGpu(ctx, dScores);
    const maskG = ctx.alloc([T, S], 'mask');
    const inv = 1 / Math.sqrt(dh);
    await run(ctx, (rec) => {
      causalMask(rec, maskG);
      attentionScores(rec, { q: g.dz, k: g.v, scores: out.dPattern, scale: 1 });
      attentionMix(rec, g.p, g.dz, out.dv, { transposed: true });
      attentionMix(rec, dS, g.k, out.dq, { mask: maskG, scale: inv });
      attentionMix(rec, dS, g.q, out.dk, { mask: maskG, scale: inv, transposed: true });
    });
    const [dPattern, dv, dq, dk] = await readAll(ctx, [out.dPattern, out.dv, out.dq, out.dk]);
    expectClose(dPattern, joined(mix.map((m) => m.dPattern)), 'dPattern');
    expectClose(dv, joined(mix.map((m) => m.dv)), 'dv');
    expectClose(dq, joined(qk.map((r) => r.dq)), 'dq');
    expectClose(dk, joined(qk.map((r) => r.dk)), 'dk');
  });

  it('scatterAddRows over a batch: token rows from every sequence, position rows t of each', async () => {
    const ctx = await testContext({ emulated });
    const rng = createRng(5);
    const [B, T, d, R] = [3, 4, 7, 9];
    const ids = [3, 8, 3, 0, 8, 8, 1, 3, 0, 2, 3, 8]; // B·T ids, sequence after sequence, repeats across sequences
    const dOut = randn(rng, [B * T, d]);
    const [tokens, positions] = [toGpu(ctx, zeros([R, d])), toGpu(ctx, zeros([T, d]))];
    const scatter = (rec: Parameters<typeof scatterAddRows>[0], rows: number[], table: GpuTensor) => {
      const plan = scatterPlan(rows);
      scatterAddRows(rec, {
        dOut: toGpu(ctx, dOut),
        rows: u32Tensor(ctx, plan.rows, 'rows'),
        offsets: u32Tensor(ctx, plan.offsets, 'offsets'),
        positions: u32Tensor(ctx, plan.positions, 'positions'),
        dTable: table,
      });
    };
    await run(ctx, (rec) => {
      scatter(rec, ids, tokens);
      scatter(
        rec,
        ids.map((_, i) => i % T),
        positions,
      );
    });
    const [gTok, gPos] = await readAll(ctx, [tokens, positions]);
    const pos = ids.map((_, i) => i % T);
    expectClose(gTok, cpuScatter(dOut, ids, R), 'dW_E over the batch');
    expectClose(gPos, cpuScatter(dOut, pos, T), 'dW_pos over the batch');
  });

  it('scatterAddRows: repeated ids add up, untouched rows stay, the table accumulates', async () => {
    const ctx = await testContext({ emulated });
    const rng = createRng(3);
    const ids = [4, 0, 4, 9, 4, 0, 12];
    const [T, d, R] = [ids.length, 19, 13];
    const dOut = randn(rng, [T, d]);
    const before = randn(rng, [R, d]);
    const table = toGpu(ctx, before);
    const plan = scatterPlan(ids);
    await run(ctx, (rec) =>
      scatterAddRows(rec, {
        dOut: toGpu(ctx, dOut),
        rows: u32Tensor(ctx, plan.rows, 'rows'),
        offsets: u32Tensor(ctx, plan.offsets, 'offsets'),
        positions: u32Tensor(ctx, plan.positions, 'positions'),
        dTable: table,
      }),
    );
    const ref = cpuScatter(dOut, ids, R);
    for (let i = 0; i < ref.data.length; i++) ref.data[i] += before.data[i];
    expectClose((await readAll(ctx, [table]))[0], ref, 'dTable');
  });

  it.each([
    [1, 2],
    [7, 71],
    [3, 1000],
  ])('crossEntropy: per-position loss and dlogits for [%i, %i]', async (T, V) => {
    const ctx = await testContext({ emulated });
    const rng = createRng(T * V);
    const logits = randn(rng, [T, V], 4);
    const targets = Array.from({ length: T }, (_, t) => (t * 7 + 3) % V);
    const N = T * 3; // as if the batch had two more sequences
    const [loss, dl] = [ctx.alloc([T], 'loss'), ctx.alloc([T, V], 'dlogits')];
    await run(ctx, (rec) =>
      crossEntropy(rec, {
        logits: toGpu(ctx, logits),
        targets: u32Tensor(ctx, targets, 'targets'),
        N,
        loss,
        dlogits: dl,
      }),
    );
    const [gl, gd] = await readAll(ctx, [loss, dl]);
    expectClose(gl, tensor([T], cpuCrossEntropy(logits, targets)), 'loss');
    expectClose(gd, cpuCeBackward(logits, targets, N), 'dlogits');
  });
});
