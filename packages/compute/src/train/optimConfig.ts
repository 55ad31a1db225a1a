import { fail } from '../errors';
import type { OptimizerConfig } from './optim';

/**
 * An optimizer config with its defaults filled in and its ranges checked. Shared by the CPU Optimizer (optim.ts) and
 * the WebGPU trainer, so both accept the same configs and reject bad ones with the same message. Internal: not
 * re-exported from the package.
 */
export type ResolvedOptimizerConfig =
  | Required<Extract<OptimizerConfig, { kind: 'adamw' }>>
  | Required<Extract<OptimizerConfig, { kind: 'sgd' }>>;

export function validateOptimizer(c: OptimizerConfig): ResolvedOptimizerConfig {
  const check = (name: string, x: number, ok: boolean): number => {
    if (!(typeof x === 'number' && ok)) fail('bad-config', `optimizer ${name} is out of range: ${x}`);
    return x;
  };
  const unit = (x: number) => Number.isFinite(x) && x >= 0 && x < 1;
  if (c.kind === 'sgd') {
    const { momentum = 0, weightDecay = 0 } = c;
    return {
      kind: 'sgd',
      momentum: check('momentum (0 ≤ μ < 1)', momentum, unit(momentum)),
      weightDecay: check('weightDecay (≥ 0)', weightDecay, Number.isFinite(weightDecay) && weightDecay >= 0),
    };
  }
  if (c.kind === 'adamw') {
    const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.01 } = c;
    return {
      kind: 'adamw',
      beta1: check('beta1 (0 ≤ β1 < 1)', beta1, unit(beta1)),
      beta2: check('beta2 (0 ≤ β2 < 1)', beta2, unit(beta2)),
      eps: check('eps (> 0)', eps, Number.isFinite(eps) && eps > 0),
      weightDecay: check('weightDecay (≥ 0)', weightDecay, Number.isFinite(weightDecay) && weightDecay >= 0),
    };
  }
  return fail(
    'bad-config',
    `unknown optimizer kind ${JSON.stringify((c as { kind: unknown }).kind)} (use 'sgd' or 'adamw')`,
  );
}
