import type { GPTConfig } from '../config';
import { dMlp } from '../config';
import { GlassboxError } from '../errors';
import type { GPTParams } from '../params';
import { flattenParams } from '../params';
import type { FloatArray } from '../tensor';
import { gemmScratchFloats, ResidentArena } from './gemm';

export interface ResidentWeightsOptions {
  /**
   * Keep float32 parameters in WebAssembly memory, where gemm reads them without copying (default true; it makes
   * decoding several times faster). Without WebAssembly SIMD, and for float64 parameters, there is nothing to do.
   */
  residentWeights?: boolean;
  /**
   * The most bytes the arena (weights and scratch) may take; default and ceiling 4 GiB (WebAssembly's). A model that
   * needs more keeps its ordinary arrays: slower (gemm copies each weight per call), never a failure.
   */
  maxResidentBytes?: number;
}

/**
 * Moves a float32 parameter tree into a ResidentArena (cpu/gemm/arena.ts) and returns the arena: each tensor's `data`
 * is replaced by a view of the same values in the arena, so the tree (the caller's, by identity) stays the live one
 * that trainers update in place and other engines may share. A tree already in one arena keeps it (no copy). Null
 * for float64 trees, without WebAssembly SIMD, or with `residentWeights: false`.
 *
 * The arena holds the tensors (aligned, with slack) and scratch for the products a forward pass makes: activations
 * of up to n_positions rows and up to max(d, d_mlp) columns times a resident weight. Larger calls (training batches)
 * copy as before.
 */
export function makeResident(
  config: GPTConfig,
  params: GPTParams,
  options: ResidentWeightsOptions = {},
): ResidentArena | null {
  if (options.residentWeights === false) return null;
  const tensors = flattenParams(params).map(([, t]) => t);
  if (!tensors.every((t) => t.data instanceof Float32Array)) return null;
  const current = ResidentArena.of(tensors[0].data);
  if (current !== undefined && tensors.every((t) => current.holds(t.data))) return current;

  // One place per distinct array, so tensors that shared storage still do.
  const distinct = [...new Set(tensors.map((t) => t.data))];
  const scratch = gemmScratchFloats(config.n_positions, Math.max(config.n_embd, dMlp(config)));
  let arena: ResidentArena | null;
  try {
    arena = ResidentArena.create(
      distinct.map((d) => d.length),
      scratch,
      { maxBytes: options.maxResidentBytes },
    );
  } catch (e) {
    // Too big for one WebAssembly memory (a hub model of a billion parameters): run from the arrays as they are.
    if (e instanceof GlassboxError && e.code === 'device-limit') return null;
    throw e;
  }
  if (arena === null) return null;
  const moved = new Map<FloatArray, Float32Array>(distinct.map((d) => [d, arena.place(d)]));
  for (const t of tensors) (t as { data: FloatArray }).data = moved.get(t.data) as Float32Array;
  return arena;
}
