import type { ColorScale } from './color';
import { MASKED_RGB } from './color';
import type { Matrix } from './matrix';

/**
 * Paint columns [colStart, colStart + visibleCols) of a matrix onto a canvas of width × height CSS pixels: one
 * ImageData pixel per cell, then scaled up without smoothing, so cells stay crisp and a 512-column page costs one
 * pass over the values.
 */
export function paintMatrix(
  canvas: HTMLCanvasElement,
  m: Matrix,
  scale: ColorScale,
  colStart: number,
  visibleCols: number,
  width: number,
  height: number,
  /** Write each value in its cell (only when cells are large enough to read it). */
  values = false,
): void {
  const dpr = globalThis.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  if (visibleCols <= 0 || m.rows <= 0) return;
  const img = new ImageData(visibleCols, m.rows);
  const px = img.data;
  const { lut } = scale;
  for (let r = 0; r < m.rows; r++) {
    for (let c = 0; c < visibleCols; c++) {
      const i = scale.index(m.data[r * m.cols + colStart + c]);
      const o = (r * visibleCols + c) * 4;
      if (i < 0) {
        px[o] = MASKED_RGB[0];
        px[o + 1] = MASKED_RGB[1];
        px[o + 2] = MASKED_RGB[2];
      } else {
        px[o] = lut[i * 3];
        px[o + 1] = lut[i * 3 + 1];
        px[o + 2] = lut[i * 3 + 2];
      }
      px[o + 3] = 255;
    }
  }
  const off = document.createElement('canvas');
  off.width = visibleCols;
  off.height = m.rows;
  off.getContext('2d')?.putImageData(img, 0, 0);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
  if (values)
    paintValues(ctx, m, scale, colStart, visibleCols, (width * dpr) / visibleCols, (height * dpr) / m.rows, dpr);
}

/** Short form for a cell: 3 significant digits, −∞ spelled out. */
export function shortValue(v: number): string {
  if (v === Number.NEGATIVE_INFINITY) return '−∞';
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  const s = a >= 100 ? v.toFixed(0) : a >= 0.01 || a === 0 ? Number(v.toPrecision(2)).toString() : v.toExponential(0);
  return s.replace('-', '−');
}

function paintValues(
  ctx: CanvasRenderingContext2D,
  m: Matrix,
  scale: ColorScale,
  colStart: number,
  visibleCols: number,
  cw: number,
  ch: number,
  dpr: number,
): void {
  ctx.font = `${Math.round(10 * dpr)}px ui-monospace, SFMono-Regular, Menlo, monospace`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (let r = 0; r < m.rows; r++) {
    for (let c = 0; c < visibleCols; c++) {
      const v = m.data[r * m.cols + colStart + c];
      const i = scale.index(v);
      const [R, G, B] = i < 0 ? MASKED_RGB : [scale.lut[i * 3], scale.lut[i * 3 + 1], scale.lut[i * 3 + 2]];
      // Relative luminance decides black or white text, so every value stays readable on its colour.
      ctx.fillStyle = 0.2126 * R + 0.7152 * G + 0.0722 * B > 140 ? '#000' : '#fff';
      ctx.fillText(shortValue(v), (c + 0.5) * cw, (r + 0.5) * ch);
    }
  }
}
