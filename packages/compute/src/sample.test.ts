import { describe, expect, it } from 'vitest';
import { createRng } from './rng';
import type { SamplingSettings } from './sample';
import { rankByProb, sampleStep, softmaxWithTemperature, summarizeStep, validateSampling } from './sample';
import { expectGlassboxError } from './testing';

const f32 = (xs: number[]) => Float32Array.from(xs);
const sum = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0);
const ids = (mask: Uint8Array) => Array.from(mask.keys()).filter((i) => mask[i]);

function expectBadSampling(fn: () => unknown, mentions: RegExp): void {
  expectGlassboxError(fn, 'bad-sampling', mentions);
}

describe('softmaxWithTemperature', () => {
  it('at temperature 1 is the plain softmax and scaledLogits are the logits', () => {
    const { scaledLogits, probs } = softmaxWithTemperature(f32([1, 2, 3]), 1);
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const z = sum(e);
    e.forEach((x, i) => {
      expect(probs[i]).toBeCloseTo(x / z, 12);
    });
    expect(Array.from(scaledLogits)).toEqual([1, 2, 3]);
  });

  it('divides the logits by the temperature', () => {
    const { scaledLogits, probs } = softmaxWithTemperature(f32([0, 1]), 0.5);
    expect(Array.from(scaledLogits)).toEqual([0, 2]);
    expect(probs[1]).toBeCloseTo(Math.exp(2) / (1 + Math.exp(2)), 12);
  });

  it('temperature 0 is one-hot on the argmax, ties to the lowest id, logits unchanged', () => {
    const logits = f32([1, 5, 2, 5]);
    const { scaledLogits, probs } = softmaxWithTemperature(logits, 0);
    expect(Array.from(probs)).toEqual([0, 1, 0, 0]);
    expect(Array.from(scaledLogits)).toEqual([1, 5, 2, 5]);
  });

  it('a large temperature flattens the distribution toward uniform', () => {
    const logits = f32([-3, 0, 1, 4, 7]);
    const spread = (t: number) => {
      const p = softmaxWithTemperature(logits, t).probs;
      return Math.max(...p) - Math.min(...p);
    };
    expect(spread(10)).toBeLessThan(spread(1));
    expect(spread(100)).toBeLessThan(spread(10));
    const p = softmaxWithTemperature(logits, 1e6).probs;
    for (const x of p) expect(x).toBeCloseTo(0.2, 4);
  });

  it('a tiny positive temperature stays finite (no ∞ − ∞) and concentrates on the maximum', () => {
    const { probs } = softmaxWithTemperature(f32([1, 3, 2]), 1e-300);
    expect(Array.from(probs)).toEqual([0, 1, 0]);
  });

  it('−∞ logits get probability 0; NaN, +∞ and all −∞ are rejected by index', () => {
    const { probs } = softmaxWithTemperature(f32([0, Number.NEGATIVE_INFINITY, 0]), 1);
    expect(Array.from(probs)).toEqual([0.5, 0, 0.5]);
    expectBadSampling(() => softmaxWithTemperature(f32([0, Number.NaN]), 1), /logits\[1\] is NaN/);
    expectBadSampling(() => softmaxWithTemperature(f32([Number.POSITIVE_INFINITY]), 1), /logits\[0\] is Infinity/);
    expectBadSampling(() => softmaxWithTemperature(f32([Number.NEGATIVE_INFINITY]), 1), /-Infinity/);
    expectBadSampling(() => softmaxWithTemperature(f32([]), 1), /empty/);
  });
});

describe('validateSampling', () => {
  const bad: [SamplingSettings, RegExp][] = [
    [{ temperature: Number.NaN }, /temperature.*NaN/],
    [{ temperature: -0.5 }, /temperature.*-0\.5/],
    [{ temperature: Number.POSITIVE_INFINITY }, /temperature.*Infinity/],
    [{ temperature: 1, topK: 0 }, /topK.*0/],
    [{ temperature: 1, topK: 1.5 }, /topK.*1\.5/],
    [{ temperature: 1, topK: Number.NaN }, /topK.*NaN/],
    [{ temperature: 1, topK: Number.POSITIVE_INFINITY }, /topK.*Infinity/],
    [{ temperature: 1, topP: 0 }, /topP.*0/],
    [{ temperature: 1, topP: 1.5 }, /topP.*1\.5/],
    [{ temperature: 1, topP: -0.1 }, /topP.*-0\.1/],
    [{ temperature: 1, topP: Number.NaN }, /topP.*NaN/],
    [{ temperature: 1, seed: Number.NaN }, /seed.*NaN/],
    [{ temperature: 1, seed: 0.5 }, /seed.*0\.5/],
    [{ temperature: '1' as unknown as number }, /temperature.*"1"/],
  ];
  for (const [s, msg] of bad) {
    it(`rejects ${JSON.stringify(s, (_k, v) => (typeof v === 'number' ? String(v) : v))} naming the parameter`, () => {
      expectBadSampling(() => validateSampling(s), msg);
      // sampleStep checks the settings too, so a view cannot bypass validation.
      expectBadSampling(() => sampleStep(f32([0, 1]), s, createRng(0)), msg);
    });
  }

  it('accepts the edges: temperature 0, topK 1, topK > V, topP 1, a tiny topP', () => {
    for (const s of [
      { temperature: 0 },
      { temperature: 1, topK: 1 },
      { temperature: 1, topK: 1_000_000 },
      { temperature: 1, topP: 1 },
      { temperature: 1, topP: 1e-9, seed: -7 },
    ]) {
      expect(validateSampling(s)).toBe(s);
    }
  });
});

describe('sampleStep', () => {
  // Probabilities 0.4, 0.3, 0.2, 0.1 at temperature 1 (logits are their logs).
  const p4 = [0.1, 0.4, 0.2, 0.3];
  const logits4 = Float64Array.from(p4.map(Math.log));

  it('temperature 0 picks the argmax without touching the Rng', () => {
    const rng = createRng(5);
    const before = rng.state();
    const s = sampleStep(f32([0.3, -1, 2.5, 2.4]), { temperature: 0, topK: 3, topP: 0.5 }, rng);
    expect(s.token).toBe(2);
    expect(s.greedy).toBe(true);
    expect(s.u).toBeNull();
    expect(s.tokenProb).toBe(1);
    expect(s.keptIds).toEqual([2]);
    expect(rng.state()).toEqual(before);
  });

  it('with no filters keeps every token and filteredProbs equals probs', () => {
    const s = sampleStep(logits4, { temperature: 1 }, createRng(0));
    expect(ids(s.kept)).toEqual([0, 1, 2, 3]);
    expect(s.topKCutoff).toBeNull();
    expect(s.topPCutoff).toBeNull();
    s.filteredProbs.forEach((x, i) => {
      expect(x).toBeCloseTo(p4[i], 12);
    });
  });

  it('top-k keeps exactly k tokens, the most probable, and reports the k-th probability', () => {
    const s = sampleStep(logits4, { temperature: 1, topK: 2 }, createRng(0));
    expect(s.keptIds).toEqual([1, 3]);
    expect(ids(s.kept)).toEqual([1, 3]);
    expect(s.topKCutoff).toBeCloseTo(0.3, 12);
    expect(s.filteredProbs[1]).toBeCloseTo(0.4 / 0.7, 12);
    expect(s.filteredProbs[3]).toBeCloseTo(0.3 / 0.7, 12);
    expect(sum(s.filteredProbs)).toBeCloseTo(1, 12);
  });

  it('top-k breaks ties towards the lowest id, keeping exactly k even when more are tied', () => {
    const s = sampleStep(f32([1, 2, 2, 2, 0]), { temperature: 1, topK: 2 }, createRng(0));
    expect(s.keptIds).toEqual([1, 2]);
    expect(rankByProb([0.2, 0.3, 0.3, 0.2])).toEqual(Uint32Array.from([1, 2, 0, 3]));
  });

  it('top-k larger than V keeps the whole vocabulary (clamped), k-th cutoff is the smallest prob', () => {
    const s = sampleStep(logits4, { temperature: 1, topK: 99 }, createRng(0));
    expect(s.keptIds.length).toBe(4);
    expect(s.topKCutoff).toBeCloseTo(0.1, 12);
  });

  it('top-p keeps the smallest most-probable set reaching p, despite float rounding', () => {
    const s = sampleStep(logits4, { temperature: 1, topP: 0.7 }, createRng(0));
    expect(s.keptIds).toEqual([1, 3]);
    expect(s.topPCutoff).toBeCloseTo(0.3, 12);
    // 0.5 + 0.3 reaches 0.8, but the float64 softmax sums land a hair short; without slack a third token is kept.
    const p3 = Float64Array.from([0.2, 0.3, 0.5].map(Math.log));
    expect(sampleStep(p3, { temperature: 1, topP: 0.8 }, createRng(0)).keptIds).toEqual([2, 1]);
    const t = sampleStep(logits4, { temperature: 1, topP: 0.71 }, createRng(0));
    expect(t.keptIds).toEqual([1, 3, 2]);
    expect(t.topPCutoff).toBeCloseTo(0.2, 12);
    expect(sum(t.filteredProbs)).toBeCloseTo(1, 12);
  });

  it('top-p = 1 keeps every token with nonzero probability, and only those', () => {
    const logits = Float64Array.from([0, Number.NEGATIVE_INFINITY, -700, 1]);
    const s = sampleStep(logits, { temperature: 1, topP: 1 }, createRng(0));
    expect(ids(s.kept)).toEqual([0, 2, 3]);
    expect(s.probs[2]).toBeGreaterThan(0);
  });

  it('a tiny top-p keeps only the argmax (always at least one token)', () => {
    const s = sampleStep(logits4, { temperature: 1, topP: 1e-9 }, createRng(3));
    expect(s.keptIds).toEqual([1]);
    expect(s.token).toBe(1);
    expect(s.tokenProb).toBe(1);
  });

  it('top-p measures mass over the top-k survivors, renormalised (Hugging Face order: top-k then top-p)', () => {
    // After top-k 2: {0.4, 0.3} → renormalised {0.571, 0.429}. top-p 0.5 then keeps only id 1;
    // over the original distribution 0.4 < 0.5 would have kept two.
    const s = sampleStep(logits4, { temperature: 1, topK: 2, topP: 0.5 }, createRng(0));
    expect(ids(s.keptAfterTopK)).toEqual([1, 3]);
    expect(s.keptIds).toEqual([1]);
    expect(s.topKCutoff).toBeCloseTo(0.3, 12);
    expect(s.topPCutoff).toBeCloseTo(0.4, 12);
  });

  it('filtered probabilities sum to 1 for every combination of filters', () => {
    const rng = createRng(11);
    const V = 257;
    const logits = new Float32Array(V);
    for (let i = 0; i < V; i++) logits[i] = 3 * rng.normal();
    for (const temperature of [0, 0.3, 1, 4])
      for (const topK of [undefined, 1, 7, 300])
        for (const topP of [undefined, 0.05, 0.5, 0.95, 1]) {
          const s = sampleStep(logits, { temperature, topK, topP }, rng);
          expect(sum(s.filteredProbs)).toBeCloseTo(1, 10);
          expect(s.kept[s.token]).toBe(1);
          expect(s.filteredProbs[s.token]).toBeGreaterThan(0);
          for (let i = 0; i < V; i++) if (!s.kept[i]) expect(s.filteredProbs[i]).toBe(0);
          if (topK !== undefined) expect(s.keptIds.length).toBeLessThanOrEqual(topK);
        }
  });

  it('the same seed draws the same sequence; a different seed a different one (flat distribution)', () => {
    const flat = new Float32Array(16);
    const draw = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 40 }, () => sampleStep(flat, { temperature: 1 }, rng).token);
    };
    const a = draw(1);
    expect(draw(1)).toEqual(a);
    expect(draw(2)).not.toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(8); // actually random, not a constant
  });

  it('empirical frequencies over 20k draws match filteredProbs', () => {
    const logits = f32([0.5, 2, -1, 1.2, 0.9, -3]);
    const settings = { temperature: 0.8, topK: 5, topP: 0.9 };
    const rng = createRng(2024);
    const first = sampleStep(logits, settings, rng);
    const counts = new Float64Array(logits.length);
    const N = 20_000;
    counts[first.token]++;
    for (let n = 1; n < N; n++) counts[sampleStep(logits, settings, rng).token]++;
    // Binomial standard deviation at p = 0.5 over 20k draws is 0.0035; 0.015 is over 4 sigma.
    for (let i = 0; i < logits.length; i++)
      expect(Math.abs(counts[i] / N - first.filteredProbs[i])).toBeLessThan(0.015);
    for (let i = 0; i < logits.length; i++) if (!first.kept[i]) expect(counts[i]).toBe(0);
    expect(first.keptIds.length).toBeGreaterThan(1);
  });

  it('the draw is the inverse CDF in id order at u', () => {
    // Uniform over 4: u in [0.25, 0.5) must give id 1.
    const rng = { next: () => 0.3, normal: () => 0, state: () => [0, 0, 0, 0] as [number, number, number, number] };
    const s = sampleStep(new Float32Array(4), { temperature: 1 }, rng);
    expect(s.u).toBe(0.3);
    expect(s.token).toBe(1);
    const edge = { ...rng, next: () => 0.9999999999 };
    expect(sampleStep(new Float32Array(4), { temperature: 1, topK: 2 }, edge).token).toBe(1);
  });

  it('summarizeStep keeps the few numbers a history needs, top candidates first', () => {
    const s = sampleStep(logits4, { temperature: 1, topK: 3 }, createRng(0));
    const sum1 = summarizeStep(s, 2);
    expect(sum1.top.map((t) => t.id)).toEqual([1, 3]);
    expect(sum1.keptCount).toBe(3);
    expect(sum1.rawProb).toBeCloseTo(p4[s.token], 12);
    expect(summarizeStep(s, 10).top.map((t) => t.id)).toEqual([1, 3, 2, 0]);
  });
});
