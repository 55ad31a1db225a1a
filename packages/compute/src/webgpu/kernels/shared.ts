import { fail } from '../../errors';
import { formatShape, sameShape } from '../../tensor';
import type { GpuLimits } from '../device';
import { deviceLimitError } from '../device';

/**
 * Workgroup grids for kernels that walk a flat range of `items` (elements, rows), `perGroup` at a time.
 *
 * A 1-D grid is capped at maxComputeWorkgroupsPerDimension (65,535 on most devices), which a [T, V] logits tensor
 * already exceeds at 256 per group. So the groups are laid out as x × y and the shader rebuilds the flat group
 * index with FLAT_GROUP below: group = wg.y · num_workgroups.x + wg.x. Groups past the end exit early.
 */
export function flatGrid(items: number, perGroup: number, limits: GpuLimits, what: string): [number, number, number] {
  const groups = Math.ceil(items / perGroup);
  const max = limits.maxComputeWorkgroupsPerDimension;
  if (groups <= max) return [groups, 1, 1];
  const y = Math.ceil(groups / max);
  if (y > max) throw deviceLimitError('maxComputeWorkgroupsPerDimension', y, max, what);
  return [Math.ceil(groups / y), y, 1];
}

/** WGSL: the flat workgroup index of a `flatGrid` dispatch (needs `wg` and `nwg` builtins in scope). */
export const FLAT_GROUP = '(wg.y * nwg.x + wg.x)';

/** WGSL builtins every flat-grid kernel declares in its entry point's parameters. */
export const FLAT_BUILTINS =
  '@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32';

/** Throws bad-shape unless `t` has exactly `shape`: kernels trust their uniforms, so shapes are checked here. */
export function expectShape(t: { shape: readonly number[] }, shape: readonly number[], what: string): void {
  if (!sameShape(t.shape, shape)) fail('bad-shape', `${what} has shape ${formatShape(t.shape)}, expected ${formatShape(shape)}`);
}
