import { fail } from '../errors';

/**
 * Learning rate per step: linear warmup to `lr`, then (when `decaySteps` is set) cosine decay to `minLr`.
 *   step < warmup:           lr · (step + 1) / warmup
 *   warmup ≤ step < end:     minLr + ½ (lr − minLr) (1 + cos(π · (step − warmup) / (end − warmup)))
 *   step ≥ end:              minLr
 * where end = decaySteps. Warmup keeps AdamW's first, badly estimated second moments from taking huge steps; the
 * cosine tail lets the weights settle. Steps count from 0.
 */
export interface LrSchedule {
  /** Peak learning rate. */
  lr: number;
  /** Steps of linear warmup (0: start at lr). */
  warmupSteps?: number;
  /** The step at which the cosine reaches minLr; leave out for a constant lr after warmup. */
  decaySteps?: number;
  /** Floor of the cosine (default 0). */
  minLr?: number;
}

export function validateSchedule(s: LrSchedule): Required<Omit<LrSchedule, 'decaySteps'>> & { decaySteps?: number } {
  const { lr, warmupSteps = 0, decaySteps, minLr = 0 } = s;
  if (!(typeof lr === 'number' && Number.isFinite(lr) && lr >= 0))
    fail('bad-config', `lr must be a finite number >= 0, got ${lr}`);
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) {
    fail('bad-config', `warmupSteps must be an integer >= 0, got ${warmupSteps}`);
  }
  if (decaySteps !== undefined && (!Number.isInteger(decaySteps) || decaySteps <= warmupSteps)) {
    fail('bad-config', `decaySteps must be an integer greater than warmupSteps (${warmupSteps}), got ${decaySteps}`);
  }
  if (!(Number.isFinite(minLr) && minLr >= 0 && minLr <= lr)) {
    fail('bad-config', `minLr must be between 0 and lr (${lr}), got ${minLr}`);
  }
  return { lr, warmupSteps, decaySteps, minLr };
}

export function learningRate(step: number, schedule: LrSchedule): number {
  const { lr, warmupSteps, decaySteps, minLr } = validateSchedule(schedule);
  if (step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
  if (decaySteps === undefined) return lr;
  if (step >= decaySteps) return minLr;
  const progress = (step - warmupSteps) / (decaySteps - warmupSteps);
  return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * progress));
}
