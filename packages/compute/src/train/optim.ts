import type { GPTConfig } from '../config';
import { fail } from '../errors';
import type { GPTParams, ParamKind } from '../params';
import { flattenParams, paramSpecs } from '../params';
import type { FloatArray, Tensor } from '../tensor';
import { clone, zerosLike } from '../tensor';
import type { ParamGrads } from './grads';
import type { ResolvedOptimizerConfig } from './optimConfig';
import { validateOptimizer } from './optimConfig';

/**
 * Optimizers, written out per element so a student can read the update rule.
 *
 * Weight decay is applied to matrices only (ParamKind 'matrix': W_Q, W_K, W_V, W_O, W_in, W_out), never to biases,
 * LayerNorm gains and biases, the token embedding or the position table. Decay pulls weights towards 0: right for
 * the big projection matrices (a mild prior against large weights), wrong for a LayerNorm gain (whose natural value
 * is 1) and for biases; the tied token embedding and the position table are lookup tables whose rows mostly receive
 * no gradient on a given step, so decay would only shrink rare tokens' rows. (nanoGPT decays the embedding too; we
 * follow the GPT-2/minGPT convention here and say so.)
 */
export type OptimizerConfig =
  | {
      kind: 'sgd';
      /** μ in buf ← μ·buf + g (0: plain SGD). */
      momentum?: number;
      /** Coupled L2 decay on matrices: g ← g + λ·θ (default 0). */
      weightDecay?: number;
    }
  | {
      kind: 'adamw';
      beta1?: number;
      beta2?: number;
      eps?: number;
      /** Decoupled decay on matrices: θ ← θ − lr·λ·θ (default 0.01). */
      weightDecay?: number;
    };

/** What one update did to one parameter, for a view that shows "before → update → after". Copies, not live tensors. */
export interface ParamUpdate {
  name: string;
  kind: ParamKind;
  /** Whether weight decay applied to it (matrices only, and only with weightDecay > 0). */
  decayed: boolean;
  before: Tensor;
  /** The (clipped) gradient the optimizer used. */
  grad: Tensor;
  /** after − before. */
  update: Tensor;
  after: Tensor;
  /** AdamW's first and second moment estimates after this step (before bias correction); SGD's momentum buffer is m. */
  m?: Tensor;
  v?: Tensor;
}

/** Which parameters' updates to report: none, all (expensive for big models), or a list of names. */
export type InspectSpec = 'all' | readonly string[];

interface Slot {
  name: string;
  kind: ParamKind;
  m: FloatArray;
  v?: FloatArray;
}

export class Optimizer {
  readonly config: ResolvedOptimizerConfig;
  /** Number of updates applied so far (AdamW's bias correction uses it). */
  t = 0;
  private readonly slots: Slot[];

  constructor(model: GPTConfig, params: GPTParams, config: OptimizerConfig = { kind: 'adamw' }) {
    this.config = validateOptimizer(config);
    const kinds = paramSpecs(model);
    this.slots = flattenParams(params).map(([name, p], i) => ({
      name,
      kind: kinds[i].kind,
      m: zerosLike(p).data,
      v: this.config.kind === 'adamw' ? zerosLike(p).data : undefined,
    }));
  }

  /**
   * Apply one update in place with learning rate lr and return the requested parameters' before / update / after.
   * The gradients must already be clipped.
   */
  step(params: GPTParams, grads: ParamGrads, lr: number, inspect: InspectSpec = []): ParamUpdate[] {
    if (!(Number.isFinite(lr) && lr >= 0)) fail('bad-config', `learning rate must be a finite number >= 0, got ${lr}`);
    this.t += 1;
    const ps = flattenParams(params);
    const gs = flattenParams(grads);
    const wanted = inspect === 'all' ? null : new Set(inspect);
    if (wanted)
      for (const n of wanted)
        if (!this.slots.some((s) => s.name === n)) fail('bad-hook', `inspect: no parameter named "${n}"`);
    const report: ParamUpdate[] = [];
    this.slots.forEach((slot, i) => {
      const p = ps[i][1];
      const g = gs[i][1];
      const look = wanted === null || wanted.has(slot.name);
      const before = look ? clone(p) : undefined;
      const decayed = slot.kind === 'matrix' && this.config.weightDecay > 0;
      if (this.config.kind === 'adamw') this.adamw(p.data, g.data, slot, lr, decayed);
      else this.sgd(p.data, g.data, slot, lr, decayed);
      if (before) {
        const update = zerosLike(p);
        for (let j = 0; j < p.data.length; j++) update.data[j] = p.data[j] - before.data[j];
        const m = { shape: [...p.shape], data: slot.m.slice() };
        const v = slot.v ? { shape: [...p.shape], data: slot.v.slice() } : undefined;
        report.push({
          name: slot.name,
          kind: slot.kind,
          decayed,
          before,
          grad: clone(g),
          update,
          after: clone(p),
          m,
          v,
        });
      }
    });
    return report;
  }

  /**
   * AdamW (Loshchilov & Hutter), per element:
   *   m ← β1·m + (1 − β1)·g          v ← β2·v + (1 − β2)·g²
   *   m̂ = m / (1 − β1ᵗ)              v̂ = v / (1 − β2ᵗ)          (bias correction: m, v start at 0)
   *   θ ← θ − lr·(m̂ / (√v̂ + ε) + λ·θ)   with λ = 0 unless the parameter is a matrix
   */
  private adamw(p: FloatArray, g: FloatArray, slot: Slot, lr: number, decayed: boolean): void {
    const { beta1, beta2, eps, weightDecay } = this.config as Required<Extract<OptimizerConfig, { kind: 'adamw' }>>;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    const lambda = decayed ? weightDecay : 0;
    const m = slot.m;
    const v = slot.v as FloatArray;
    for (let j = 0; j < p.length; j++) {
      m[j] = beta1 * m[j] + (1 - beta1) * g[j];
      v[j] = beta2 * v[j] + (1 - beta2) * g[j] * g[j];
      const mHat = m[j] / c1;
      const vHat = v[j] / c2;
      p[j] -= lr * (mHat / (Math.sqrt(vHat) + eps) + lambda * p[j]);
    }
  }

  /**
   * SGD with momentum (the PyTorch form), per element:
   *   g' = g + λ·θ      buf ← μ·buf + g'      θ ← θ − lr·buf
   */
  private sgd(p: FloatArray, g: FloatArray, slot: Slot, lr: number, decayed: boolean): void {
    const { momentum, weightDecay } = this.config as Required<Extract<OptimizerConfig, { kind: 'sgd' }>>;
    const lambda = decayed ? weightDecay : 0;
    const buf = slot.m;
    for (let j = 0; j < p.length; j++) {
      buf[j] = momentum * buf[j] + g[j] + lambda * p[j];
      p[j] -= lr * buf[j];
    }
  }

  /** A copy of the whole state, so a diverged step can be undone exactly. */
  snapshot(): OptimizerSnapshot {
    return { t: this.t, m: this.slots.map((s) => s.m.slice()), v: this.slots.map((s) => s.v?.slice()) };
  }

  /** The state of an optimizer that has taken no step: t = 0 and every moment zero. */
  fresh(): OptimizerSnapshot {
    return {
      t: 0,
      m: this.slots.map((s) => new Float64Array(s.m.length)),
      v: this.slots.map((s) => (s.v ? new Float64Array(s.v.length) : undefined)),
    };
  }

  restore(s: OptimizerSnapshot): void {
    this.t = s.t;
    this.slots.forEach((slot, i) => {
      slot.m.set(s.m[i]);
      const v = s.v[i];
      if (slot.v && v) slot.v.set(v);
    });
  }
}

export interface OptimizerSnapshot {
  t: number;
  m: FloatArray[];
  v: (FloatArray | undefined)[];
}
