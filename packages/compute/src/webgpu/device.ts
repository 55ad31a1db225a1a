import { GlassboxError } from '../errors';

/**
 * Getting a WebGPU device, and the limits the kernels and the engine check before they touch the driver.
 *
 * Browser code passes nothing and gets `navigator.gpu`; Node (tests, the CLI) passes the GPU object from
 * `./nodeDevice` (Dawn's binding), which this module never imports, so it stays safe to bundle for browsers.
 */

/** GPUBufferUsage / GPUMapMode values (fixed by the spec) so no code depends on the browser's globals existing. */
export const BufferUsage = {
  MAP_READ: 0x1,
  MAP_WRITE: 0x2,
  COPY_SRC: 0x4,
  COPY_DST: 0x8,
  UNIFORM: 0x40,
  STORAGE: 0x80,
} as const;
export const MapMode = { READ: 0x1, WRITE: 0x2 } as const;

/** The limits Glassbox depends on. Each is requested at the adapter's maximum, since the defaults are small. */
export const USED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxStorageBuffersPerShaderStage',
] as const;
export type UsedLimit = (typeof USED_LIMITS)[number];

export interface GpuLimits extends Record<UsedLimit, number> {
  minUniformBufferOffsetAlignment: number;
}

export interface GpuAdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
}

export type DeviceAcquisition =
  | { ok: true; device: GPUDevice; limits: GpuLimits; adapter: GpuAdapterDescription }
  | { ok: false; reason: string };

export interface AcquireOptions {
  /** The GPU entry point; defaults to `navigator.gpu`. Node passes `nodeGpu()` from `./nodeDevice`. */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
}

function browserGpu(): GPU | undefined {
  return (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
}

function describeAdapter(adapter: GPUAdapter): GpuAdapterDescription {
  const info = adapter.info as Partial<GPUAdapterInfo> | undefined;
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    isFallbackAdapter: info?.isFallbackAdapter ?? false,
  };
}

/**
 * True for adapters that run shaders on the CPU (SwiftShader, Mesa's llvmpipe/lavapipe, Windows' WARP). There a
 * workgroup barrier is expensive (each invocation of the group is a CPU fiber to switch) while caches are large, so
 * kernels pick barrier-free variants; on a GPU the choice follows the shape (see the matmul and row kernels).
 */
export function isCpuEmulated(a: GpuAdapterDescription | null): boolean {
  if (!a) return false;
  return (
    a.isFallbackAdapter ||
    /swiftshader|llvmpipe|lavapipe|\bwarp\b|basic render/i.test(
      `${a.vendor} ${a.architecture} ${a.device} ${a.description}`,
    )
  );
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * An adapter and device, or the reason there is none (shown to the user when the app falls back to the CPU).
 * Never throws: "no WebGPU here" is an expected answer, not an error.
 */
export async function acquireGpuDevice(options: AcquireOptions = {}): Promise<DeviceAcquisition> {
  const gpu = options.gpu ?? browserGpu();
  if (!gpu) return { ok: false, reason: 'WebGPU is not available here (navigator.gpu is undefined)' };
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  } catch (e) {
    return { ok: false, reason: `requesting a WebGPU adapter failed: ${message(e)}` };
  }
  if (!adapter)
    return { ok: false, reason: 'WebGPU is present but no adapter is available (GPU blocklisted or absent)' };
  const requiredLimits: Record<string, number> = {};
  for (const name of USED_LIMITS) requiredLimits[name] = adapter.limits[name];
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits, label: 'glassbox' });
  } catch (e) {
    return { ok: false, reason: `requesting a WebGPU device failed: ${message(e)}` };
  }
  return { ok: true, device, limits: readLimits(device), adapter: describeAdapter(adapter) };
}

export function readLimits(device: GPUDevice): GpuLimits {
  const limits = { minUniformBufferOffsetAlignment: device.limits.minUniformBufferOffsetAlignment } as GpuLimits;
  for (const name of USED_LIMITS) limits[name] = device.limits[name];
  return limits;
}

/** The error every limit check raises: it names the limit, the value needed and the device's value. */
export function deviceLimitError(limit: string, needed: number, available: number, what: string): GlassboxError {
  return new GlassboxError(
    'device-limit',
    `${what} needs ${limit} ≥ ${needed}, but this WebGPU device allows ${available}. ` +
      'Use a smaller model or a shorter sequence, or the CPU engine.',
  );
}
