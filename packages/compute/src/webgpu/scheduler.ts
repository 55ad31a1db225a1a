import { fail } from '../errors';
import type { Tensor } from '../tensor';
import type { GpuContext, GpuTensor, PipelineSpec } from './context';
import { byteSize } from './context';
import type { GpuLimits } from './device';
import { BufferUsage, deviceLimitError, MapMode } from './device';

/**
 * Records a pass (kernel dispatches, buffer copies, uploads, readbacks) and submits it as ONE command encoder.
 *
 * Recording is deferred: `dispatch` only notes what to do, and `flush` builds the pipelines, bind groups, one uniform
 * buffer for every dispatch's parameters, one staging buffer for every readback, encodes everything in order and
 * maps the staging buffer once. Deferring is what lets all captured tensors share a single staging buffer whose
 * size is only known at the end of the pass, and lets an activation buffer be handed back to the pool (and reused
 * by a later kernel of the same pass) right after the copy that captures it has been recorded.
 */

export interface DispatchSpec extends PipelineSpec {
  /** Storage bindings 0 … n−1, in the order the WGSL declares them. Written ones are `read_write` there. */
  buffers: readonly GpuTensor[];
  /** u32 words of the uniform struct at binding n (floats via `f32Bits`). Empty: the shader has no uniform. */
  uniforms: readonly number[];
  /** Invocations per workgroup, for the limit check. */
  workgroupSize: number;
  /** Bytes of var<workgroup> memory, for the limit check. */
  workgroupStorageBytes?: number;
  /** Workgroup grid; every kernel computes it in its one record function. */
  workgroups: readonly [number, number, number];
}

type Op =
  | { kind: 'dispatch'; spec: DispatchSpec }
  | { kind: 'copy'; src: GPUBuffer; srcOffset: number; dst: GPUBuffer; dstOffset: number; bytes: number }
  | { kind: 'upload'; dst: GPUBuffer; data: Float32Array | Uint32Array; dstOffset: number }
  | { kind: 'clear'; dst: GPUBuffer; bytes: number }
  | { kind: 'read'; src: GPUBuffer; bytes: number; handle: Readback };

/** A tensor being read back; `tensor` is there once the recorder that made it has been flushed. */
export class Readback {
  readonly shape: readonly number[];
  private value: Tensor | null = null;
  constructor(shape: readonly number[]) {
    this.shape = shape;
  }
  get tensor(): Tensor {
    if (!this.value) throw new Error('readback used before its pass was flushed');
    return this.value;
  }
  /** @internal */
  fill(data: Float32Array): void {
    this.value = { shape: [...this.shape], data };
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** The bit pattern of a float32, for a float field of a uniform struct. */
export function f32Bits(x: number): number {
  f32[0] = x;
  return u32[0];
}

/** The largest uniform struct any kernel uses (words); each dispatch gets a slot of this size, aligned. */
const MAX_UNIFORM_WORDS = 16;

export class Recorder {
  private readonly ctx: GpuContext;
  private ops: Op[] = [];

  constructor(ctx: GpuContext) {
    this.ctx = ctx;
  }

  get limits(): GpuLimits {
    return this.ctx.limits;
  }

  /** The device runs shaders on the CPU (SwiftShader): kernels that can, avoid workgroup barriers. */
  get emulated(): boolean {
    return this.ctx.emulated;
  }

  /** A 4-byte buffer to bind where a kernel's optional input is absent (its flag says not to read it). */
  get dummy(): GpuTensor {
    return this.ctx.dummy;
  }

  get pending(): number {
    return this.ops.length;
  }

  dispatch(spec: DispatchSpec): void {
    const l = this.ctx.limits;
    for (const n of spec.workgroups) {
      if (n > l.maxComputeWorkgroupsPerDimension) {
        throw deviceLimitError('maxComputeWorkgroupsPerDimension', n, l.maxComputeWorkgroupsPerDimension, spec.key);
      }
    }
    if (spec.workgroupSize > l.maxComputeInvocationsPerWorkgroup) {
      throw deviceLimitError(
        'maxComputeInvocationsPerWorkgroup',
        spec.workgroupSize,
        l.maxComputeInvocationsPerWorkgroup,
        spec.key,
      );
    }
    const wgBytes = spec.workgroupStorageBytes ?? 0;
    if (wgBytes > l.maxComputeWorkgroupStorageSize) {
      throw deviceLimitError('maxComputeWorkgroupStorageSize', wgBytes, l.maxComputeWorkgroupStorageSize, spec.key);
    }
    if (spec.buffers.length > l.maxStorageBuffersPerShaderStage) {
      throw deviceLimitError(
        'maxStorageBuffersPerShaderStage',
        spec.buffers.length,
        l.maxStorageBuffersPerShaderStage,
        spec.key,
      );
    }
    if (spec.uniforms.length > MAX_UNIFORM_WORDS) throw new Error(`${spec.key}: uniform struct too large`);
    if (spec.workgroups.some((n) => n === 0)) return; // nothing to compute (an empty tensor)
    this.ops.push({ kind: 'dispatch', spec });
  }

  /** Copy bytes between buffers, in order with the dispatches around it. Offsets and size: multiples of 4. */
  copy(src: GpuTensor, srcOffset: number, dst: GpuTensor, dstOffset: number, bytes: number): void {
    if (bytes === 0) return;
    this.ops.push({ kind: 'copy', src: src.buffer, srcOffset, dst: dst.buffer, dstOffset, bytes });
  }

  /** Write CPU data into `dst` at this point of the pass (after everything recorded before it). */
  upload(dst: GpuTensor, data: Float32Array | Uint32Array, dstOffsetBytes = 0): void {
    if (data.length === 0) return;
    if (dstOffsetBytes + data.byteLength > byteSize(dst)) fail('bad-shape', 'upload larger than its tensor');
    this.ops.push({ kind: 'upload', dst: dst.buffer, data, dstOffset: dstOffsetBytes });
  }

  /** Zero a tensor at this point of the pass (gradient buffers before a step). */
  clear(t: GpuTensor): void {
    const bytes = byteSize(t);
    if (bytes > 0) this.ops.push({ kind: 'clear', dst: t.buffer, bytes });
  }

  /** Read `t` back as it is at this point of the pass; available after `flush`. */
  read(t: GpuTensor): Readback {
    const handle = new Readback(t.shape);
    this.ops.push({ kind: 'read', src: t.buffer, bytes: byteSize(t), handle });
    return handle;
  }

  /** Encode and submit everything recorded, then (if anything is read back) map the one staging buffer. */
  async flush(): Promise<void> {
    const ops = this.ops;
    this.ops = [];
    const ctx = this.ctx;
    ctx.checkAlive();
    if (ops.length === 0) return;
    const { device, pool } = ctx;

    const align = ctx.limits.minUniformBufferOffsetAlignment;
    const slot = Math.ceil((MAX_UNIFORM_WORDS * 4) / align) * align;
    const dispatches = ops.filter((o) => o.kind === 'dispatch' && o.spec.uniforms.length > 0).length;
    const readBytes = ops.reduce((n, o) => n + (o.kind === 'read' ? o.bytes : 0), 0);

    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    ctx.takeNewPipelines();
    const uniformBuf =
      dispatches > 0 ? pool.acquire(dispatches * slot, BufferUsage.UNIFORM | BufferUsage.COPY_DST) : null;
    const staging = readBytes > 0 ? pool.acquire(readBytes, BufferUsage.MAP_READ | BufferUsage.COPY_DST) : null;
    const temporaries: GPUBuffer[] = [];
    const reads: { handle: Readback; offset: number; bytes: number }[] = [];

    if (uniformBuf) {
      const arena = new Uint32Array((dispatches * slot) / 4);
      let k = 0;
      for (const op of ops) {
        if (op.kind !== 'dispatch' || op.spec.uniforms.length === 0) continue;
        arena.set(op.spec.uniforms, (k++ * slot) / 4);
      }
      device.queue.writeBuffer(uniformBuf, 0, arena);
    }

    let encoder = device.createCommandEncoder({ label: 'glassbox pass' });
    let pass: GPUComputePassEncoder | null = null;
    const endPass = () => {
      pass?.end();
      pass = null;
    };
    let uniformSlot = 0;
    let readOffset = 0;
    let started = false; // uploads before any recorded command can go straight through the queue
    for (const op of ops) {
      if (op.kind === 'dispatch') {
        started = true;
        const { spec } = op;
        const pipeline = ctx.pipeline(spec);
        const entries: GPUBindGroupEntry[] = spec.buffers.map((t, i) => ({
          binding: i,
          resource: { buffer: t.buffer, size: Math.max(4, byteSize(t)) },
        }));
        if (uniformBuf && spec.uniforms.length > 0) {
          entries.push({
            binding: spec.buffers.length,
            resource: { buffer: uniformBuf, offset: uniformSlot++ * slot, size: spec.uniforms.length * 4 },
          });
        }
        const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
        pass ??= encoder.beginComputePass();
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup);
        pass.dispatchWorkgroups(spec.workgroups[0], spec.workgroups[1], spec.workgroups[2]);
        if (ctx.profile) {
          endPass();
          const t0 = performance.now();
          device.queue.submit([encoder.finish()]);
          await device.queue.onSubmittedWorkDone();
          const key = `${spec.key} [${spec.workgroups.join('×')}]`;
          const entry = ctx.profile.get(key) ?? { ms: 0, count: 0 };
          entry.ms += performance.now() - t0;
          entry.count++;
          ctx.profile.set(key, entry);
          encoder = device.createCommandEncoder({ label: 'glassbox pass (profiled)' });
        }
      } else if (op.kind === 'copy') {
        started = true;
        endPass();
        encoder.copyBufferToBuffer(op.src, op.srcOffset, op.dst, op.dstOffset, op.bytes);
      } else if (op.kind === 'clear') {
        started = true;
        endPass();
        encoder.clearBuffer(op.dst, 0, op.bytes);
      } else if (op.kind === 'upload') {
        if (!started) {
          device.queue.writeBuffer(op.dst, op.dstOffset, op.data);
          continue;
        }
        endPass();
        const tmp = device.createBuffer({
          size: op.data.byteLength,
          usage: BufferUsage.COPY_SRC,
          mappedAtCreation: true,
        });
        new Uint8Array(tmp.getMappedRange()).set(
          new Uint8Array(op.data.buffer, op.data.byteOffset, op.data.byteLength),
        );
        tmp.unmap();
        temporaries.push(tmp);
        encoder.copyBufferToBuffer(tmp, 0, op.dst, op.dstOffset, op.data.byteLength);
      } else {
        started = true;
        endPass();
        encoder.copyBufferToBuffer(op.src, 0, staging as GPUBuffer, readOffset, op.bytes);
        reads.push({ handle: op.handle, offset: readOffset, bytes: op.bytes });
        readOffset += op.bytes;
      }
    }
    endPass();
    device.queue.submit([encoder.finish()]);
    ctx.counters.submits++;
    if (staging) ctx.counters.readbacks++;
    const validation = device.popErrorScope();
    const oom = device.popErrorScope();
    const built = ctx.takeNewPipelines();
    for (const t of temporaries) t.destroy(); // freed once the submitted copies have run
    if (uniformBuf) pool.release(uniformBuf);

    try {
      const [vErr, oomErr] = await Promise.all([validation, oom]);
      if (oomErr) fail('device-limit', `the WebGPU device ran out of memory: ${oomErr.message}`);
      if (vErr) {
        ctx.dropPipelines(built);
        throw new Error(`WebGPU validation error (a Glassbox bug): ${vErr.message}`);
      }
      if (staging) {
        await staging.mapAsync(MapMode.READ, 0, readBytes);
        const mapped = staging.getMappedRange(0, readBytes);
        for (const r of reads) r.handle.fill(new Float32Array(mapped.slice(r.offset, r.offset + r.bytes)));
        staging.unmap();
      }
    } catch (e) {
      await ctx.explainFailure(e);
    } finally {
      if (staging && staging.mapState === 'unmapped') pool.release(staging);
    }
  }
}
