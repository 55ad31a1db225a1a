import { describe, expect, it } from 'vitest';
import { createRng } from '../../rng';
import type { Tensor } from '../../tensor';
import { tensor } from '../../tensor';
import type { GpuContext } from '../context';
import { expectClose, randn, readAll, run, testContext, toGpu } from '../testing';
import { adamw } from './adamw.wgsl';
import { flagNonFinite } from './flagNonFinite.wgsl';
import { sgd } from './sgd.wgsl';

// 1000 elements: not a multiple of the 256-thread workgroup.
const n = 1000;
const ok = (why = 0) => tensor([4], [1.5, 1, 1, why]); // [norm, scale, ok, why-not]

/** train/optim.ts's AdamW rule in float64, per element. */
function adamwRef(theta: Tensor, g: Tensor, m: Tensor, v: Tensor, h: { lr: number; c1: number; c2: number }) {
  const [b1, b2, eps, lambda] = [0.9, 0.999, 1e-8, 0.1];
  const out = { theta: theta.data.slice(), m: m.data.slice(), v: v.data.slice() };
  for (let i = 0; i < n; i++) {
    out.m[i] = b1 * m.data[i] + (1 - b1) * g.data[i];
    out.v[i] = b2 * v.data[i] + (1 - b2) * g.data[i] ** 2;
    const step = out.m[i] / h.c1 / (Math.sqrt(out.v[i] / h.c2) + eps) + lambda * theta.data[i];
    out.theta[i] = theta.data[i] - h.lr * step;
  }
  return out;
}

async function adamwRun(ctx: GpuContext, lr: number, status: Tensor, check?: number) {
  const rng = createRng(4);
  const [theta, g, m] = [randn(rng, [n]), randn(rng, [n]), randn(rng, [n], 0.1)];
  const v = tensor(
    [n],
    randn(rng, [n], 0.1).data.map((x) => Math.fround(x * x)),
  );
  const bufs = [theta, g, m, v, status].map((t) => toGpu(ctx, t));
  const h = { lr, c1: 1 - 0.9 ** 3, c2: 1 - 0.999 ** 3 };
  await run(ctx, (rec) =>
    adamw(rec, {
      param: bufs[0],
      grad: bufs[1],
      m: bufs[2],
      v: bufs[3],
      status: bufs[4],
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      lambda: 0.1,
      ...h,
      check,
    }),
  );
  const [t2, m2, v2, s2] = await readAll(ctx, [bufs[0], bufs[2], bufs[3], bufs[4]]);
  return { before: { theta, m, v }, after: { theta: t2, m: m2, v: v2, status: s2 }, ref: adamwRef(theta, g, m, v, h) };
}

describe('optimizer kernels (adamw, sgd) and flagNonFinite', () => {
  it('adamw applies train/optim.ts rule with bias correction and weight decay', async () => {
    const ctx = await testContext();
    const { after, ref } = await adamwRun(ctx, 1e-2, ok());
    expectClose(after.theta, tensor([n], ref.theta), 'θ');
    expectClose(after.m, tensor([n], ref.m), 'm');
    expectClose(after.v, tensor([n], ref.v), 'v');
  });

  it('adamw writes nothing when the norm was not finite, or a check or the loss already flagged the step', async () => {
    const ctx = await testContext();
    for (const status of [tensor([4], [Number.NaN, 0, 0, 0]), ok(1), ok(7)]) {
      const { before, after } = await adamwRun(ctx, 1e-2, status);
      expect([...after.theta.data]).toEqual([...before.theta.data]);
      expect([...after.m.data]).toEqual([...before.m.data]);
      expect([...after.v.data]).toEqual([...before.v.data]);
    }
  });

  it("adamw's check mode writes no weight and flags a would-be non-finite update with its code (the first code wins)", async () => {
    const ctx = await testContext();
    const fine = await adamwRun(ctx, 1e-2, ok(), 5);
    expect([...fine.after.theta.data]).toEqual([...fine.before.theta.data]);
    expect(fine.after.status.data[3]).toBe(0);
    const overflow = await adamwRun(ctx, 1e39, ok(), 5); // lr is Inf in float32
    expect([...overflow.after.theta.data]).toEqual([...overflow.before.theta.data]);
    expect(overflow.after.status.data[3]).toBe(5);
    const earlier = await adamwRun(ctx, 1e39, ok(3), 5);
    expect(earlier.after.status.data[3]).toBe(3);
  });

  it('sgd applies the PyTorch momentum rule, and its check mode flags an overflow without writing', async () => {
    const ctx = await testContext();
    const rng = createRng(8);
    const [theta, g, buf] = [randn(rng, [n]), randn(rng, [n]), randn(rng, [n])];
    const [lr, mu, lambda] = [0.1, 0.9, 0.01];
    const step = async (rate: number, status: Tensor, check?: number) => {
      const b = [theta, g, buf, status].map((t) => toGpu(ctx, t));
      await run(ctx, (rec) =>
        sgd(rec, { param: b[0], grad: b[1], buf: b[2], status: b[3], lr: rate, momentum: mu, lambda, check }),
      );
      return readAll(ctx, [b[0], b[2], b[3]]);
    };
    const [t2, b2] = await step(lr, ok());
    const bRef = buf.data.map((x, i) => mu * x + g.data[i] + lambda * theta.data[i]);
    expectClose(b2, tensor([n], bRef), 'momentum buffer');
    expectClose(
      t2,
      tensor(
        [n],
        theta.data.map((x, i) => x - lr * bRef[i]),
      ),
      'θ',
    );
    const [t3, b3, s3] = await step(1e39, ok(), 9);
    expect([...t3.data, ...b3.data]).toEqual([...theta.data, ...buf.data]);
    expect(s3.data[3]).toBe(9);
  });

  it('flagNonFinite sets its code for ±Inf or NaN anywhere (past the first workgroup), and only if nothing is set', async () => {
    const ctx = await testContext();
    const flag = async (values: number[], why = 0) => {
      const [x, status] = [toGpu(ctx, tensor([values.length], values)), toGpu(ctx, ok(why))];
      await run(ctx, (rec) => flagNonFinite(rec, x, status, 1));
      return (await readAll(ctx, [status]))[0].data[3];
    };
    const finite = Array.from({ length: 300 }, (_, i) => i * 1e30);
    expect(await flag(finite)).toBe(0);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const values = [...finite];
      values[290] = bad;
      expect(await flag(values), String(bad)).toBe(1);
      expect(await flag(values, 4), `${bad} after another flag`).toBe(4);
    }
  });
});
