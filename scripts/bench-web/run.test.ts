// The browser half of `npm run bench` is not run by the test command (it takes minutes), so this keeps it from
// breaking unnoticed: the page builds, loads in headless Chromium, and every engine and ORT backend gives a figure.
import { describe, expect, it } from 'vitest';
import { runWebBench } from './run';

describe('the browser benchmark page', () => {
  it('runs the CPU and WebGPU engines and ORT wasm and WebGPU on the toy world', async () => {
    const [r] = await runWebBench(
      [{ model: 'toy-world', prompt: 16, decodeTokens: 2, reps: 1, warmupMs: 0, gpuReps: 1, gpuWarmupMs: 0 }],
      () => {},
    );
    expect(r.model).toBe('toy-world');
    expect(r.adapter).not.toBeNull();
    for (const row of [r.cpu, r.webgpu]) {
      for (const f of [row.forward, row.forwardAll, row.decode]) expect('ms' in f && f.ms > 0).toBe(true);
    }
    for (const row of [r.ortWasm, r.ortWebgpu]) {
      for (const f of [row.forward, row.decode]) expect('ms' in f && f.ms > 0).toBe(true);
    }
  }, 300_000);
});
