/**
 * WebGPU in Node (tests, the CLI, benchmarks) through Dawn's binding, the `webgpu` npm package.
 *
 * Node-only: it imports `node:fs` and the native binding, so it is reachable only from the `@glassbox/compute/node`
 * entry point, never from the browser bundle's `index.ts`.
 *
 * On a machine without a GPU, Dawn runs on SwiftShader, the CPU Vulkan driver that Debian's `chromium` package ships
 * (scripts/ensure-system-deps.sh installs it). The Vulkan loader uses the driver VK_ICD_FILENAMES names, or else every
 * system driver (here that is Mesa's lavapipe, which Dawn rejects). So when the variable is unset: with no GPU device
 * node (/dev/dri/renderD*, /dev/nvidia*) we point it at SwiftShader before creating the instance; with one we try the
 * system drivers first and fall back to SwiftShader only if they give no adapter. A real GPU keeps its own driver.
 */
import { existsSync, readdirSync } from 'node:fs';
import { GlassboxError } from '../errors';
import { GpuContext } from './context';
import type { AcquireOptions } from './device';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

function hasGpuDeviceNode(): boolean {
  const dri = existsSync('/dev/dri') && readdirSync('/dev/dri').some((f) => f.startsWith('renderD'));
  return dri || existsSync('/dev/nvidia0');
}

function useSwiftShader(): boolean {
  if (process.env.VK_ICD_FILENAMES || !existsSync(SWIFTSHADER_ICD)) return false;
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  return true;
}

let gpuPromise: Promise<GPU> | null = null;

/** Dawn's GPU entry point, with a Vulkan driver that gives an adapter (see above). One per process. */
export function nodeGpu(): Promise<GPU> {
  gpuPromise ??= (async () => {
    const { create } = await import('webgpu');
    if (!process.env.VK_ICD_FILENAMES && !hasGpuDeviceNode()) useSwiftShader();
    const gpu = create([]);
    if (process.env.VK_ICD_FILENAMES || (await gpu.requestAdapter())) return gpu;
    // The system drivers gave nothing; the loader reads VK_ICD_FILENAMES again for a new instance.
    return useSwiftShader() ? create([]) : gpu;
  })();
  return gpuPromise;
}

const HELP =
  'WebGPU in Node needs the `webgpu` npm package and a Vulkan driver: on a machine without a GPU, run ' +
  'scripts/ensure-system-deps.sh (Debian packages chromium, for SwiftShader, and libvulkan1).';

export async function createNodeContext(options: Omit<AcquireOptions, 'gpu'> = {}): Promise<GpuContext> {
  let gpu: GPU;
  try {
    gpu = await nodeGpu();
  } catch (e) {
    throw new GlassboxError('unsupported', `loading Dawn failed: ${e instanceof Error ? e.message : e}. ${HELP}`);
  }
  try {
    return await GpuContext.create({ ...options, gpu });
  } catch (e) {
    if (e instanceof GlassboxError) {
      throw new GlassboxError(e.code, `${e.message} (VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? ''}). ${HELP}`);
    }
    throw e;
  }
}
