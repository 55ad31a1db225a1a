import { fail, GlassboxError } from '../errors';
import type { Tensor } from '../tensor';
import { formatShape, numel } from '../tensor';
import { BufferPool } from './bufferPool';
import type { AcquireOptions, GpuAdapterDescription, GpuLimits } from './device';
import { acquireGpuDevice, BufferUsage, deviceLimitError, isCpuEmulated, readLimits } from './device';

/**
 * A tensor living in a GPU buffer: float32 (or u32 for ids), row-major, starting at byte 0. The buffer may be larger
 * than the tensor (pool size classes), so kernels take their sizes from uniforms, never from arrayLength().
 */
export interface GpuTensor {
  readonly buffer: GPUBuffer;
  readonly shape: readonly number[];
}

export function byteSize(t: GpuTensor): number {
  return numel(t.shape) * 4;
}

/** Activations: read and written by kernels, copied to staging for capture, written by uploads and cache copies. */
const TENSOR_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;

/** What the scheduler needs to build a pipeline the first time a kernel variant is used. */
export interface PipelineSpec {
  /** Cache key: kernel name plus every option baked into the WGSL. */
  key: string;
  /** WGSL source, entry point `main`; only called on a cache miss. */
  code: () => string;
}

const pipelineCaches = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

/**
 * The device plus everything shared by the passes run on it: limits, the buffer pool, the pipeline cache, and the
 * lost state. One per engine; `destroy()` releases the device.
 */
export class GpuContext {
  readonly device: GPUDevice;
  readonly limits: GpuLimits;
  readonly adapter: GpuAdapterDescription | null;
  /**
   * The adapter runs shaders on the CPU (isCpuEmulated): kernels pick barrier-free variants. Only speed depends on
   * it; tests set it to false to run the GPU variants on SwiftShader too.
   */
  emulated: boolean;
  readonly pool: BufferPool;
  /** Shared by every context on the same device (compiling a pipeline is the slow part of a first run). */
  private readonly pipelines: Map<string, GPUComputePipeline>;
  /** Pipelines built since the last `takeNewPipelines`: dropped again if their pass reports a validation error. */
  private fresh: string[] = [];
  /** Command buffers submitted and staging buffers mapped, for tests and the benchmark. */
  readonly counters = { submits: 0, readbacks: 0 };
  /**
   * When set, every dispatch is submitted on its own and waited for, and its wall time is added here under its
   * pipeline key and grid (scripts/profile-webgpu.ts). Slow by design: for finding the expensive kernel, never for timing a pass.
   */
  profile: Map<string, { ms: number; count: number }> | null = null;
  private lostMessage: string | null = null;
  private disposed = false;

  constructor(device: GPUDevice, adapter: GpuAdapterDescription | null = null, limits = readLimits(device)) {
    this.device = device;
    this.limits = limits;
    this.adapter = adapter;
    this.emulated = isCpuEmulated(adapter);
    this.pool = new BufferPool(device);
    let cache = pipelineCaches.get(device);
    if (!cache) {
      cache = new Map();
      pipelineCaches.set(device, cache);
    }
    this.pipelines = cache;
    device.lost.then((info) => {
      this.lostMessage = `${info.reason}${info.message ? `: ${info.message}` : ''}`;
    });
  }

  /** A context on a fresh device, or a GlassboxError('unsupported') carrying the reason there is none. */
  static async create(options: AcquireOptions = {}): Promise<GpuContext> {
    const got = await acquireGpuDevice(options);
    if (!got.ok) throw new GlassboxError('unsupported', got.reason);
    return new GpuContext(got.device, got.adapter, got.limits);
  }

  get lost(): boolean {
    return this.lostMessage !== null || this.disposed;
  }

  /** Throws GlassboxError('device-lost') once the device is gone (driver reset, tab in background, destroy()). */
  checkAlive(): void {
    if (this.disposed) fail('device-lost', 'this WebGPU engine was disposed; create a new one');
    if (this.lostMessage !== null) {
      fail('device-lost', `the WebGPU device was lost (${this.lostMessage}); create a new engine or use the CPU`);
    }
  }

  /** Turns an error from a GPU promise into 'device-lost' when that is what it was. */
  async explainFailure(e: unknown): Promise<never> {
    // device.lost resolves some time after the failing call rejects: a tick later in Dawn, longer in Chromium (a
    // mapAsync rejects with "Buffer was unmapped" first). Wait for it, but not forever: a real error has no loss.
    await Promise.race([this.device.lost, new Promise((r) => setTimeout(r, 1000))]);
    await new Promise((r) => setTimeout(r, 0)); // let the lost handler above record the message
    this.checkAlive();
    throw e;
  }

  pipeline(spec: PipelineSpec): GPUComputePipeline {
    let p = this.pipelines.get(spec.key);
    if (!p) {
      const module = this.device.createShaderModule({ code: spec.code(), label: spec.key });
      p = this.device.createComputePipeline({
        layout: 'auto',
        compute: { module, entryPoint: 'main' },
        label: spec.key,
      });
      this.pipelines.set(spec.key, p);
      this.fresh.push(spec.key);
    }
    return p;
  }

  /** Keys of pipelines built since the last call. */
  takeNewPipelines(): string[] {
    const keys = this.fresh;
    this.fresh = [];
    return keys;
  }

  /** Forget pipelines (an invalid one would otherwise poison every later pass). */
  dropPipelines(keys: readonly string[]): void {
    for (const k of keys) this.pipelines.delete(k);
  }

  private dummy_: GpuTensor | null = null;
  /** A 4-byte zero tensor, bound in place of absent optional inputs. */
  get dummy(): GpuTensor {
    this.dummy_ ??= this.createTensor([1], null, 'dummy');
    return this.dummy_;
  }

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  /** Checks a buffer of `bytes` can be created and bound as storage; `what` names it in the error. */
  checkBufferSize(bytes: number, what: string): void {
    if (bytes > this.limits.maxStorageBufferBindingSize) {
      throw deviceLimitError('maxStorageBufferBindingSize', bytes, this.limits.maxStorageBufferBindingSize, what);
    }
    if (bytes > this.limits.maxBufferSize) {
      throw deviceLimitError('maxBufferSize', bytes, this.limits.maxBufferSize, what);
    }
  }

  /** A pooled tensor buffer (contents undefined). Give it back with `free`. */
  alloc(shape: readonly number[], label: string): GpuTensor {
    const bytes = numel(shape) * 4;
    this.checkBufferSize(bytes, `${label} ${formatShape(shape)}`);
    return { buffer: this.pool.acquire(bytes, TENSOR_USAGE, label), shape: [...shape] };
  }

  free(t: GpuTensor): void {
    this.pool.release(t.buffer);
  }

  /**
   * A buffer of exactly the tensor's size, outside the pool, holding `data` (parameters, optimizer state).
   * float64 data is converted to float32: the GPU computes in float32 only.
   */
  createTensor(shape: readonly number[], data: ArrayLike<number> | null, label: string): GpuTensor {
    const bytes = Math.max(4, numel(shape) * 4);
    this.checkBufferSize(bytes, `${label} ${formatShape(shape)}`);
    const buffer = this.device.createBuffer({ size: bytes, usage: TENSOR_USAGE, label, mappedAtCreation: true });
    const mapped = new Float32Array(buffer.getMappedRange());
    if (data) mapped.set(data);
    buffer.unmap();
    return { buffer, shape: [...shape] };
  }

  /** Upload a CPU tensor into a fresh exact-size buffer. */
  upload(t: Tensor, label: string): GpuTensor {
    return this.createTensor(t.shape, t.data, label);
  }

  destroy(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pool.destroy();
    this.pipelines.clear();
    this.device.destroy();
  }
}
