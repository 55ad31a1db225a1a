/**
 * Test helpers for the WebGPU kernels and engine (Node only; not exported from the package).
 *
 * Tests compare the GPU's float32 result with the CPU op run in float64 on the same (float32-representable) inputs,
 * so the measured error is the GPU's own rounding, not the sum of two engines' rounding. The tolerance is
 * relative to the size of the values: |gpu − cpu| ≤ atol + rtol · max|cpu| (see docs/testing.md).
 */
import { expect } from 'vitest';
import type { Rng } from '../rng';
import type { Tensor } from '../tensor';
import { cast, formatShape, maxAbsDiff, numel, tensor } from '../tensor';
import type { GpuContext, GpuTensor } from './context';
import { isCpuEmulated } from './device';
import { createNodeContext } from './nodeDevice';
import { Recorder } from './scheduler';

let shared: Promise<GpuContext> | null = null;

/**
 * One device per test file (vitest runs files in separate workers). Fails, never skips, when there is no adapter.
 * `emulated` picks the kernel family (GpuContext.emulated) for the test that asks: without a GPU the tests run on
 * SwiftShader, which alone would only ever exercise the barrier-free variants.
 */
export async function testContext(options: { emulated?: boolean } = {}): Promise<GpuContext> {
  shared ??= createNodeContext().catch((e: unknown) => {
    throw new Error(`No WebGPU adapter for the WebGPU tests: ${e instanceof Error ? e.message : e}`);
  });
  const ctx = await shared;
  ctx.emulated = options.emulated ?? isCpuEmulated(ctx.adapter);
  return ctx;
}

/** Normal(0, std) values rounded to float32, as a float64 tensor (the CPU reference runs in float64). */
export function randn(rng: Rng, shape: readonly number[], std = 1): Tensor {
  const data = new Float64Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = Math.fround(rng.normal() * std);
  return tensor(shape, data);
}

export function toGpu(ctx: GpuContext, t: Tensor, label = 'test input'): GpuTensor {
  return ctx.upload(t, label);
}

/** Read tensors back in one flush. */
export async function readAll(ctx: GpuContext, ts: readonly GpuTensor[]): Promise<Tensor[]> {
  const rec = new Recorder(ctx);
  const handles = ts.map((t) => rec.read(t));
  await rec.flush();
  return handles.map((h) => h.tensor);
}

export async function run(ctx: GpuContext, record: (rec: Recorder) => void): Promise<void> {
  const rec = new Recorder(ctx);
  record(rec);
  await rec.flush();
}

export function maxAbs(t: Tensor): number {
  let m = 0;
  for (const x of t.data) if (Number.isFinite(x)) m = Math.max(m, Math.abs(x));
  return m;
}

export interface Tolerance {
  atol?: number;
  rtol?: number;
}

/**
 * Default tolerance of one kernel: 1e-5 relative to the largest value, plus 1e-6 absolute. Measured on SwiftShader:
 * forward kernels at most 3.2e-7 relative, backward/optimizer kernels up to 1.3e-6 (2026-11-23; set
 * GLASSBOX_LOG_ERRORS=1 to print each comparison), so this leaves room for other GPUs'
 * exp/fma without letting a wrong index (an O(1) error) through.
 */
export const F32: Required<Tolerance> = { atol: 1e-6, rtol: 1e-5 };

export function expectClose(actual: Tensor, expected: Tensor, what: string, tol: Tolerance = F32): number {
  const { atol, rtol } = { ...F32, ...tol };
  expect(actual.shape, `${what}: shape`).toEqual(expected.shape);
  const err = maxAbsDiff(cast(actual, 'float64'), cast(expected, 'float64'));
  const bound = atol + rtol * maxAbs(expected);
  if (process.env.GLASSBOX_LOG_ERRORS) {
    console.log(
      `${what}: max abs error ${err.toExponential(2)}, relative ${(err / (maxAbs(expected) || 1)).toExponential(2)}`,
    );
  }
  expect(err, `${what} ${formatShape(expected.shape)}: max |gpu − cpu| = ${err}, allowed ${bound}`).toBeLessThanOrEqual(
    bound,
  );
  return err;
}

/** Sequence b of a [B, …] tensor (a view), for comparing a batched kernel with the per-sequence CPU op. */
export function sequence(t: Tensor, b: number): Tensor {
  const n = t.data.length / t.shape[0];
  return tensor(t.shape.slice(1), t.data.subarray(b * n, (b + 1) * n));
}
