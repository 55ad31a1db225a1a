import { fail } from '../../errors';
import type { FloatArray } from '../../tensor';
import { type ArenaSpace, createArenaSpace, MAX_WASM_PAGES } from './wasm';
import { MR, NR } from './wasmKernel';

/**
 * Resident arenas: WebAssembly memory that holds tensors (a model's weights) where gemm's kernels can read them in
 * place, so multiplying by them costs no copy. Each arena is an instance of the gemm module of its own whose memory is
 * sized once, when the arena is created, for its tensors plus a fixed scratch region, and never grows afterwards —
 * growing a WebAssembly memory would detach its ArrayBuffer and with it every Float32Array view — so the views
 * `place` hands out stay valid as long as anything holds them. gemm recognises an operand whose `.buffer` is an
 * arena's memory and runs that call on the arena's instance, copying only the other operands (activations) into the
 * scratch; a call that does not fit the scratch, or that the kernels cannot read in place, takes the ordinary copying
 * path (see wasm.ts), with the same results bit for bit.
 *
 * An arena is found through a WeakMap keyed by its memory's buffer, so it lives exactly as long as some view of it
 * does (or someone holds the arena): nothing global keeps it. WebAssembly memory cannot shrink; dropping every view
 * is the only way to free it.
 */

/** Floats each tensor's start is aligned to (64 bytes, a cache line). */
const ALIGN = 16;
/** Floats of slack after each tensor: the kernels read up to a tile past an operand's last row or column. */
const SLACK = 16;
/** The largest memory an arena may have by default: all a 32-bit WebAssembly memory can address (4 GiB). */
export const MAX_ARENA_BYTES = MAX_WASM_PAGES * 65536;

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;
const padLd = (n: number) => (n % 256 === 0 ? n + 16 : n);

/** Floats of the resident region that tensors of these lengths take, placed in order. */
export function residentFloats(lengths: readonly number[]): number {
  let n = 0;
  for (const len of lengths) n = roundUp(n, ALIGN) + len + SLACK;
  return n;
}

/**
 * Floats of scratch that lets every gemm with a resident B, A of at most `rows` rows and K, N ≤ `width` (e.g. a
 * linear layer of a forward pass over `rows` positions) run in place in one column chunk: A as the kernels want it,
 * [rows + MR, width] padded, and a C chunk [rows, width] padded. Wider outputs (a vocabulary of logits) run in
 * several chunks of the same scratch.
 */
export function gemmScratchFloats(rows: number, width: number): number {
  const a = (rows + MR) * padLd(roundUp(width, 4)) + 4;
  const c = roundUp(rows, MR) * (padLd(roundUp(width, NR)) + 16 + NR) + 64;
  return a + c;
}

export interface ResidentArenaOptions {
  /** The most memory (bytes, tensors and scratch) the arena may have; default and ceiling 4 GiB. */
  maxBytes?: number;
}

const byBuffer = new WeakMap<ArrayBufferLike, ResidentArena>();

export class ResidentArena {
  private next = 0;

  private constructor(
    private readonly space: ArenaSpace,
    /** Floats reserved for tensors (the sizes given at creation, placed in order). */
    readonly capacity: number,
  ) {}

  /**
   * An arena for tensors of `lengths` floats (placed in this order by `place`) and `scratchFloats` of scratch. Null
   * where WebAssembly SIMD is unavailable (gemm then runs in JS and has nothing to gain). A GlassboxError
   * ('device-limit') when the memory would exceed `maxBytes` or the runtime cannot provide it.
   */
  static create(
    lengths: readonly number[],
    scratchFloats: number,
    options: ResidentArenaOptions = {},
  ): ResidentArena | null {
    const capacity = residentFloats(lengths);
    const space = createArenaSpace(capacity, scratchFloats, options.maxBytes ?? MAX_ARENA_BYTES);
    if (space === null) return null;
    const arena = new ResidentArena(space, capacity);
    byBuffer.set(space.heap.buffer, arena);
    return arena;
  }

  /** The arena `x` lies in, if it is a view of one's memory. */
  static of(x: FloatArray): ResidentArena | undefined {
    return byBuffer.get(x.buffer);
  }

  /** Bytes of WebAssembly memory the arena holds (tensors, slack and scratch). */
  get bytes(): number {
    return this.space.heap.byteLength;
  }

  /** Whether `x` is a view of this arena's tensor region. */
  holds(x: FloatArray): boolean {
    return x.buffer === this.space.heap.buffer && x.byteOffset / 4 + x.length <= this.space.residentEnd;
  }

  /** Copies `values` into the next free place of the tensor region and returns the view of it there. */
  place(values: ArrayLike<number>): Float32Array {
    const at = roundUp(this.next, ALIGN);
    if (at + values.length + SLACK > this.capacity) {
      fail('bad-shape', `resident arena: no room for ${values.length} more floats (capacity ${this.capacity})`);
    }
    const view = this.space.heap.subarray(at, at + values.length);
    view.set(values);
    this.next = at + values.length + SLACK;
    return view;
  }
}
