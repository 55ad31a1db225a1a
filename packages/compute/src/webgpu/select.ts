import type { GPTConfig } from '../config';
import { CpuEngine } from '../cpu/engine';
import type { Engine, EngineKind } from '../engine';
import { GlassboxError } from '../errors';
import type { GPTParams } from '../params';
import { GpuContext } from './context';
import type { GpuAdapterDescription } from './device';
import { acquireGpuDevice } from './device';
import { WebGpuEngine } from './engine';

export interface SelectEngineOptions {
  /** 'webgpu' (default): WebGPU when it works, else the CPU. 'cpu': the CPU engine, no questions asked. */
  prefer?: EngineKind;
  /** The GPU entry point; defaults to `navigator.gpu` (Node passes `nodeGpu()` from `@glassbox/compute/node`). */
  gpu?: GPU;
}

export interface EngineSelection {
  engine: Engine;
  kind: EngineKind;
  /** Why this is not the WebGPU engine (shown to the user as a notice); absent when it is. */
  reason?: string;
  /** The adapter the WebGPU engine runs on. */
  adapter?: GpuAdapterDescription;
}

/**
 * The engine the app should use: WebGPU when an adapter and device are available and the model fits the device's
 * limits; otherwise the CPU engine, with the reason. The CPU engine shares `params` (no copy), so the prompt and
 * trained weights survive the switch; after a lost device the app calls this again with the weights it holds.
 */
export async function selectEngine(
  config: GPTConfig,
  params: GPTParams,
  options: SelectEngineOptions = {},
): Promise<EngineSelection> {
  const cpu = (reason: string): EngineSelection => ({ engine: new CpuEngine(config, params), kind: 'cpu', reason });
  if (options.prefer === 'cpu') return cpu('the CPU engine was asked for');
  const got = await acquireGpuDevice({ gpu: options.gpu });
  if (!got.ok) return cpu(got.reason);
  const context = new GpuContext(got.device, got.adapter, got.limits);
  try {
    const engine = await WebGpuEngine.create(config, params, { context, ownsContext: true });
    return { engine, kind: 'webgpu', adapter: got.adapter };
  } catch (e) {
    context.destroy();
    if (
      e instanceof GlassboxError &&
      (e.code === 'device-limit' || e.code === 'device-lost' || e.code === 'unsupported')
    ) {
      return cpu(`WebGPU cannot run this model: ${e.message}`);
    }
    throw e;
  }
}
