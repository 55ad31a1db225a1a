/**
 * GPU buffers reused between runs. Creating a buffer costs a driver call and (on a real GPU) an allocation, so the
 * engine asks the pool for activations, uniforms and staging buffers and gives them back when done.
 *
 * Sizes are rounded up to a size class (powers of two up to 4 KiB, then eighths of the next power of two), so a
 * decode step whose key length grew by one still fits the buffers of the previous step, while wasting at most 12.5%.
 * Buffers handed back while GPU work that uses them is still queued are safe to reuse: WebGPU executes a queue's
 * commands in order, so a later writer cannot overtake an earlier reader.
 */
export interface PoolStats {
  /** Buffers created since the pool was made. */
  created: number;
  /** Acquisitions served by a buffer handed back earlier. */
  reused: number;
  /** Bytes held by the pool (free and in use). */
  bytes: number;
}

function sizeClass(bytes: number): number {
  const n = Math.max(256, Math.ceil(bytes / 4) * 4);
  if (n <= 4096) return 2 ** Math.ceil(Math.log2(n));
  const step = 2 ** Math.ceil(Math.log2(n)) / 8;
  return Math.ceil(n / step) * step;
}

export class BufferPool {
  private readonly device: GPUDevice;
  private readonly free = new Map<string, GPUBuffer[]>();
  private readonly owned = new Set<GPUBuffer>();
  private readonly stats_: PoolStats = { created: 0, reused: 0, bytes: 0 };

  constructor(device: GPUDevice) {
    this.device = device;
  }

  /** A buffer of at least `bytes` with exactly `usage`. Bind it with an explicit size: it may be larger. */
  acquire(bytes: number, usage: number, label?: string): GPUBuffer {
    const size = sizeClass(bytes);
    const list = this.free.get(key(size, usage));
    const reused = list?.pop();
    if (reused) {
      this.stats_.reused++;
      return reused;
    }
    const buffer = this.device.createBuffer({ size, usage, label });
    this.owned.add(buffer);
    this.stats_.created++;
    this.stats_.bytes += size;
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    if (!this.owned.has(buffer)) throw new Error(`buffer ${buffer.label} was not made by this pool`);
    const k = key(buffer.size, buffer.usage);
    let list = this.free.get(k);
    if (!list) {
      list = [];
      this.free.set(k, list);
    }
    if (list.includes(buffer)) throw new Error(`buffer ${buffer.label} released twice`);
    list.push(buffer);
  }

  stats(): PoolStats {
    return { ...this.stats_ };
  }

  /** Destroy every buffer the pool made (free or not): the engine calls this when it is disposed. */
  destroy(): void {
    for (const b of this.owned) b.destroy();
    this.owned.clear();
    this.free.clear();
    this.stats_.bytes = 0;
  }
}

function key(size: number, usage: number): string {
  return `${usage}:${size}`;
}
