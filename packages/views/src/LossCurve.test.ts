import { describe, expect, it } from 'vitest';
import { logitGradientRows } from './LogitGradient';
import { thinPoints } from './LossCurve';

describe('training views', () => {
  it('thins a long loss history to bucket means, keeping the last point and dropping NaN', () => {
    const points = Array.from({ length: 1000 }, (_, step) => ({ step, loss: step === 500 ? Number.NaN : step }));
    const thin = thinPoints(points, 100);
    expect(thin.length).toBeLessThanOrEqual(101);
    expect(thin[thin.length - 1]).toEqual({ step: 999, loss: 999 });
    expect(thin.every((p) => Number.isFinite(p.loss))).toBe(true);
    expect(thin[0].loss).toBeCloseTo(4, 10); // 999 finite points in 100 buckets: the first holds 0 … 8
    // Short histories are drawn as they are.
    expect(thinPoints(points.slice(0, 50), 100)).toHaveLength(50);
  });

  it('shows the most probable tokens and always the target, with one-hot and gradient', () => {
    const probs = [0.5, 0.3, 0.15, 0.05];
    const grad = probs.map((p, i) => (p - (i === 3 ? 1 : 0)) / 2);
    const rows = logitGradientRows(probs, grad, 3, 2);
    expect(rows.map((r) => r.id)).toEqual([0, 1, 3]);
    expect(rows[2]).toEqual({ id: 3, prob: 0.05, onehot: 1, grad: -0.475 });
  });
});
