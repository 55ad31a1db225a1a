import { scaleDiverging, scaleSequential } from 'd3-scale';
import { interpolateRdBu, interpolateViridis } from 'd3-scale-chromatic';
import type { MatrixStats } from './matrix';

/**
 * Colour scales for tensors, from d3-scale-chromatic's colour-blind-safe schemes:
 *   diverging   signed activations (embeddings, residual stream, q/k/v, scores): RdBu reversed, blue < 0 < red,
 *               symmetric around 0 so white always means zero
 *   sequential  non-negative or ordered values (norms, LayerNorm scale): viridis
 *   probability attention patterns and probabilities, fixed to [0, 1] so heads and layers compare: viridis
 * −∞ (masked attention scores) is drawn in a neutral grey outside every scheme, with its own legend entry.
 */
export type ScaleKind = 'diverging' | 'sequential' | 'probability';

export const MASKED_COLOR = '#9a9a9a';

export interface ColorScale {
  kind: ScaleKind;
  /** [min, max] of the scale (diverging: [−m, m]). */
  domain: [number, number];
  /** CSS colour of a value. */
  color(v: number): string;
  /** Colour of the fraction t in [0, 1] along the legend. */
  at(t: number): string;
  /** 256 RGB triples (768 bytes) for filling canvas pixels quickly. */
  lut: Uint8ClampedArray;
  /** Index into lut for a value (−1 for −∞ / NaN). */
  index(v: number): number;
}

const reversedRdBu = (t: number) => interpolateRdBu(1 - t);

export function makeColorScale(kind: ScaleKind, stats: MatrixStats, domain?: [number, number]): ColorScale {
  let lo: number;
  let hi: number;
  if (domain) [lo, hi] = domain;
  else if (kind === 'probability') [lo, hi] = [0, 1];
  else if (kind === 'diverging') {
    const m = stats.absMax > 0 ? stats.absMax : 1;
    [lo, hi] = [-m, m];
  } else {
    [lo, hi] = stats.max > stats.min ? [stats.min, stats.max] : [stats.min - 1, stats.max + 1];
  }
  const interpolator = kind === 'diverging' ? reversedRdBu : interpolateViridis;
  const scale =
    kind === 'diverging'
      ? scaleDiverging(interpolator)
          .domain([lo, (lo + hi) / 2, hi])
          .clamp(true)
      : scaleSequential(interpolator).domain([lo, hi]).clamp(true);
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) lut.set(parseColor(interpolator(i / 255)), i * 3);
  const span = hi - lo || 1;
  return {
    kind,
    domain: [lo, hi],
    color: (v) => (Number.isFinite(v) ? scale(v) : MASKED_COLOR),
    at: (t) => interpolator(Math.min(1, Math.max(0, t))),
    lut,
    index(v) {
      if (!Number.isFinite(v)) return v === Number.POSITIVE_INFINITY ? 255 : -1;
      const t = (v - lo) / span;
      return t <= 0 ? 0 : t >= 1 ? 255 : Math.round(t * 255);
    },
  };
}

/** '#rrggbb' or 'rgb(r, g, b)' (the two forms d3-scale-chromatic returns) → [r, g, b]. */
export function parseColor(c: string): [number, number, number] {
  if (c.startsWith('#') && c.length === 7) {
    return [Number.parseInt(c.slice(1, 3), 16), Number.parseInt(c.slice(3, 5), 16), Number.parseInt(c.slice(5, 7), 16)];
  }
  const m = /rgb\((\d+),\s*(\d+),\s*(\d+)\)/.exec(c);
  if (!m) throw new Error(`unexpected colour ${c}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

export const MASKED_RGB = parseColor(MASKED_COLOR);
