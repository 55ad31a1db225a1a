import type { Tensor } from '@glassbox/compute';

/**
 * A 2-D window on tensor data, the shape every heatmap draws. Display-side reshaping only: picking one head out of a
 * [T, H, dh] or [H, T, S] tensor is slicing, not model math.
 */
export interface Matrix {
  rows: number;
  cols: number;
  /** Row-major, rows·cols values. */
  data: ArrayLike<number>;
}

/** [A, B] as it is, [A, 1] as one column, [A, B, C] flattened to [A, B·C] (e.g. all heads of q side by side). */
export function asMatrix(t: Tensor): Matrix {
  if (t.shape.length === 1) return { rows: 1, cols: t.shape[0], data: t.data };
  const rows = t.shape[0];
  return { rows, cols: rows === 0 ? 0 : t.data.length / rows, data: t.data };
}

/** One head of a [T, H, dh] tensor (q, k, v, z): a [T, dh] copy. */
export function headColumns(t: Tensor, head: number): Matrix {
  const [T, H, dh] = t.shape;
  const out = new Float32Array(T * dh);
  for (let r = 0; r < T; r++) out.set(t.data.subarray((r * H + head) * dh, (r * H + head + 1) * dh), r * dh);
  return { rows: T, cols: dh, data: out };
}

/** One head of an [H, T, S] tensor (scores, pattern): a [T, S] view. */
export function headPlane(t: Tensor, head: number): Matrix {
  const [, T, S] = t.shape;
  return { rows: T, cols: S, data: t.data.subarray(head * T * S, (head + 1) * T * S) };
}

export function valueAt(m: Matrix, row: number, col: number): number {
  return m.data[row * m.cols + col];
}

export interface MatrixStats {
  min: number;
  max: number;
  /** Largest |x| over finite values (the half-width of a symmetric diverging scale). */
  absMax: number;
  mean: number;
  /** Masked attention scores are −∞; they get their own colour and a legend entry. */
  hasNegInf: boolean;
}

/** Statistics over the finite values (−∞ entries are counted in hasNegInf only). */
export function matrixStats(m: Matrix): MatrixStats {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  let n = 0;
  let hasNegInf = false;
  const d = m.data;
  for (let i = 0; i < m.rows * m.cols; i++) {
    const x = d[i];
    if (x === Number.NEGATIVE_INFINITY) {
      hasNegInf = true;
      continue;
    }
    if (!Number.isFinite(x)) continue;
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
    n++;
  }
  if (n === 0) return { min: 0, max: 0, absMax: 0, mean: 0, hasNegInf };
  return { min, max, absMax: Math.max(Math.abs(min), Math.abs(max)), mean: sum / n, hasNegInf };
}

/** A value as a student reads it: 4 significant digits, −∞ spelled out, tiny numbers in exponent form. */
export function formatValue(v: number): string {
  if (v === Number.NEGATIVE_INFINITY) return '−∞';
  if (v === Number.POSITIVE_INFINITY) return '+∞';
  if (Number.isNaN(v)) return 'NaN';
  if (v === 0) return '0';
  const a = Math.abs(v);
  const s =
    a >= 1e-3 && a < 1e5
      ? v
          .toPrecision(4)
          .replace(/(\.\d*?)0+$/, '$1')
          .replace(/\.$/, '')
      : v.toExponential(3);
  return s.replace('-', '−');
}

export interface GridLayout {
  /** First column drawn (column paging for very wide tensors such as [T, V] logits). */
  colStart: number;
  visibleCols: number;
  rows: number;
  cellWidth: number;
  cellHeight: number;
}

/** The cell under a point given in CSS pixels relative to the canvas' top-left corner, or null outside it. */
export function cellAt(x: number, y: number, g: GridLayout): { row: number; col: number } | null {
  const c = Math.floor(x / g.cellWidth);
  const r = Math.floor(y / g.cellHeight);
  if (x < 0 || y < 0 || c >= g.visibleCols || r >= g.rows) return null;
  return { row: r, col: g.colStart + c };
}

/** Cell sizes that fit `cols` columns into maxWidth: at least 1 px wide, at most `maxCell`; rows at least 3 px tall. */
export function fitCells(
  cols: number,
  rows: number,
  maxWidth: number,
  maxHeight: number,
  maxCell = 24,
): { cellWidth: number; cellHeight: number } {
  const cellWidth = Math.max(1, Math.min(maxCell, Math.floor(maxWidth / Math.max(1, cols))));
  const byHeight = Math.floor(maxHeight / Math.max(1, rows));
  const cellHeight = Math.max(3, Math.min(maxCell, byHeight, Math.max(cellWidth, 10)));
  return { cellWidth, cellHeight };
}
