import { fail } from '../errors';
import { flattenParams } from '../params';
import type { ParamGrads } from './grads';
import { globalGradNorm } from './grads';

export interface ClipResult {
  /** The global norm √(Σ over every parameter of Σ g²) before clipping: what a view should plot. */
  norm: number;
  /** The factor every gradient was multiplied by (1 when the norm was already within maxNorm). */
  scale: number;
  clipped: boolean;
}

/**
 * Gradient clipping by global norm: if ‖g‖ > maxNorm, scale every gradient by maxNorm / ‖g‖ (in place). The direction
 * of the step is kept and only its length is capped, so one unlucky batch cannot throw the weights far away.
 * maxNorm = Infinity measures the norm without clipping.
 */
export function clipGradNorm(grads: ParamGrads, maxNorm: number): ClipResult {
  if (!(maxNorm > 0)) fail('bad-config', `clip norm must be > 0 (or Infinity for no clipping), got ${maxNorm}`);
  const norm = globalGradNorm(grads);
  if (!(norm > maxNorm)) return { norm, scale: 1, clipped: false };
  const scale = maxNorm / norm;
  for (const [, g] of flattenParams(grads)) for (let i = 0; i < g.data.length; i++) g.data[i] *= scale;
  return { norm, scale, clipped: true };
}
