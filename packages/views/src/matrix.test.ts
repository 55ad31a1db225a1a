import { describe, expect, it } from 'vitest';
import { asMatrix, cellAt, fitCells, formatValue, headColumns, headPlane, matrixStats } from './matrix';

describe('matrix helpers', () => {
  it('slice one head out of [T, H, dh] and [H, T, S] tensors', () => {
    // q: [T=2, H=2, dh=3], value = 100·t + 10·h + i
    const q = { shape: [2, 2, 3], data: new Float32Array([0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112]) };
    expect(Array.from(headColumns(q, 1).data)).toEqual([10, 11, 12, 110, 111, 112]);
    const p = { shape: [2, 2, 2], data: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]) };
    expect(Array.from(headPlane(p, 1).data)).toEqual([5, 6, 7, 8]);
    expect(asMatrix(q)).toMatchObject({ rows: 2, cols: 6 });
  });

  it('compute statistics over finite values and note −∞', () => {
    const s = matrixStats({ rows: 1, cols: 4, data: [-2, Number.NEGATIVE_INFINITY, 1, 3] });
    expect(s).toEqual({ min: -2, max: 3, absMax: 3, mean: 2 / 3, hasNegInf: true });
  });

  it('format values for reading', () => {
    expect(formatValue(Number.NEGATIVE_INFINITY)).toBe('−∞');
    expect(formatValue(0.123456)).toBe('0.1235');
    expect(formatValue(-2)).toBe('−2');
    expect(formatValue(1.5e-7)).toBe('1.500e−7');
  });

  it('map a pointer position to the cell under it, including the column page', () => {
    const g = { colStart: 512, visibleCols: 100, rows: 4, cellWidth: 5, cellHeight: 10 };
    expect(cellAt(12, 35, g)).toEqual({ row: 3, col: 514 });
    expect(cellAt(500, 5, g)).toBeNull();
    expect(cellAt(5, 41, g)).toBeNull();
  });

  it('fit cells into the available width', () => {
    expect(fitCells(64, 8, 640, 360)).toEqual({ cellWidth: 10, cellHeight: 10 });
    expect(fitCells(2048, 8, 640, 360).cellWidth).toBe(1);
    expect(fitCells(8, 200, 640, 360).cellHeight).toBe(3);
  });
});
