import { createRng } from '@glassbox/compute';
import { describe, expect, it } from 'vitest';
import { findToken, neighboursOf, pca2, vectorArithmetic } from './trainingEmbedding';

/** Rows x = a·u + b·w + small noise, with var(a) ≫ var(b): PCA must find u then w. */
function planted(rows: number, d: number, seed = 1) {
  const rng = createRng(seed);
  const u = new Float64Array(d);
  const w = new Float64Array(d);
  u[0] = 0.6;
  u[1] = 0.8;
  w[2] = 1;
  const data = new Float32Array(rows * d);
  for (let r = 0; r < rows; r++) {
    const a = (rng.next() - 0.5) * 10;
    const b = (rng.next() - 0.5) * 3;
    for (let c = 0; c < d; c++) data[r * d + c] = a * u[c] + b * w[c] + (rng.next() - 0.5) * 0.01 + 5;
  }
  return { data, u, w };
}

describe('embedding display math', () => {
  it('PCA finds the planted directions, orthonormal, with the variance they explain', () => {
    const { data, u, w } = planted(400, 6);
    const p = pca2({ rows: 400, cols: 6, data });
    const [c1, c2] = p.components;
    const dot = (x: Float64Array, y: Float64Array) => x.reduce((s, v, i) => s + v * y[i], 0);
    // (Not exactly 1: in a finite sample a and b are slightly correlated, which tilts the principal axes.)
    expect(Math.abs(dot(c1, u))).toBeGreaterThan(0.999);
    expect(Math.abs(dot(c2, w))).toBeGreaterThan(0.999);
    expect(Math.abs(dot(c1, c2))).toBeLessThan(1e-9);
    expect(dot(c1, c1)).toBeCloseTo(1, 12);
    expect(p.explained[0]).toBeGreaterThan(0.85);
    expect(p.explained[0] + p.explained[1]).toBeGreaterThan(0.999);
    // Coordinates are centred projections.
    let mean = 0;
    for (let r = 0; r < 400; r++) mean += p.points[r * 2];
    expect(Math.abs(mean / 400)).toBeLessThan(1e-4);
  });

  it('keeps the orientation of the previous frame, so the picture does not flip while training', () => {
    const { data } = planted(200, 5, 7);
    const first = pca2({ rows: 200, cols: 5, data });
    const flipped = {
      ...first,
      components: [first.components[0].map((x) => -x), first.components[1].map((x) => -x)] as [
        Float64Array,
        Float64Array,
      ],
    };
    const next = pca2({ rows: 200, cols: 5, data }, flipped);
    expect(next.points[0]).toBeCloseTo(-first.points[0], 4);
    expect(next.points[1]).toBeCloseTo(-first.points[1], 4);
  });

  it('handles degenerate matrices (all rows equal) without NaN', () => {
    const p = pca2({ rows: 3, cols: 4, data: new Float32Array(12).fill(2) });
    expect(Array.from(p.points).every(Number.isFinite)).toBe(true);
    expect(p.explained).toEqual([0, 0]);
  });

  it('finds cosine neighbours and solves a planted analogy', () => {
    // king = royal + male, queen = royal + female, man = male, woman = female, apple far away.
    const vocab = ['king', 'queen', 'man', 'woman', 'apple'];
    const rows = [
      [1, 1, 0, 0],
      [1, 0, 1, 0],
      [0, 1, 0, 0.1],
      [0, 0, 1, 0.1],
      [0, 0, 0, 1],
    ];
    const m = { rows: 5, cols: 4, data: new Float32Array(rows.flat()) };
    const n = neighboursOf(m, 0, 2);
    expect(n.map((x) => vocab[x.id])).toEqual(['man', 'queen']);
    expect(n[0].cosine).toBeCloseTo(1 / Math.sqrt(2 * 1.01), 6);
    expect(n[1].cosine).toBeCloseTo(0.5, 6);
    const { nearest } = vectorArithmetic(m, 0, 2, 3, 1); // king − man + woman
    expect(vocab[nearest[0].id]).toBe('queen');
  });

  it('finds tokens as a student types them', () => {
    const vocab = ['cat', ' cat', 'Ġdog', 'END'];
    expect(findToken(vocab, 'cat')).toBe(0);
    expect(findToken(vocab, '·cat')).toBe(1);
    expect(findToken(vocab, 'dog')).toBe(2);
    expect(findToken(vocab, 'end')).toBe(3);
    expect(findToken(vocab, 'zebra')).toBe(null);
  });
});
