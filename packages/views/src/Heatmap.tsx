import type { KeyboardEvent, PointerEvent } from 'react';
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { ScaleKind } from './color';
import { makeColorScale } from './color';
import { Legend } from './Legend';
import type { GridLayout, Matrix } from './matrix';
import { cellAt, fitCells, formatValue, matrixStats, valueAt } from './matrix';
import { paintMatrix } from './paint';

export interface HeatmapProps {
  matrix: Matrix;
  /** Caption and accessible name, e.g. "hook_embed [T, d]". */
  title: string;
  scale?: ScaleKind;
  /** Fixed colour domain; by default from the data (symmetric for diverging). */
  domain?: [number, number];
  /** What the colour encodes, for the legend. */
  valueLabel?: string;
  /** One label per row (the tokens). */
  rowLabels?: readonly string[];
  rowName?: string;
  colName?: string;
  /** Extra text for a column (e.g. the vocabulary token of a logit column). */
  colLabel?: (col: number) => string | undefined;
  selectedRow?: number | null;
  onSelectRow?: (row: number) => void;
  /** Columns [from, to) to outline, e.g. the selected head's slice of the concatenated heads. */
  highlightCols?: [number, number] | null;
  /** A row to mark as new (the newest position of the KV cache): dashed outline, "new" after its label. */
  highlightRow?: number | null;
  maxWidth?: number;
  maxHeight?: number;
  /** Wider tensors (a [T, V] logits matrix) are shown this many columns at a time. */
  pageSize?: number;
  /** Largest cell side in px: small matrices (a toy model's [4, 4]) get big cells with their values written in. */
  maxCell?: number;
  /** data-testid of the root, for end-to-end tests. */
  testId?: string;
}

interface Cursor {
  row: number;
  col: number;
}

const LABEL_MIN_HEIGHT = 10;
const VALUE_MIN_WIDTH = 38;
const VALUE_MIN_HEIGHT = 18;
const COL_LABEL_MIN_WIDTH = 12;

/**
 * A matrix as a canvas of coloured cells (one pixel per cell, scaled up without smoothing, so even a [T, 50257]
 * page draws in a few milliseconds), with a legend, a value read-out for the hovered or keyboard-focused cell, and
 * a text alternative. Arrow keys move the cursor, PageUp/PageDown page through wide tensors, Enter selects the row.
 */
export function Heatmap({
  matrix,
  title,
  scale: kind = 'diverging',
  domain,
  valueLabel = 'value',
  rowLabels,
  rowName = 'row',
  colName = 'column',
  colLabel,
  selectedRow = null,
  onSelectRow,
  highlightCols = null,
  highlightRow = null,
  maxWidth = 640,
  maxHeight = 360,
  pageSize = 512,
  maxCell = 44,
  testId,
}: HeatmapProps) {
  const { rows, cols } = matrix;
  const stats = useMemo(() => matrixStats(matrix), [matrix]);
  const domainKey = domain ? `${domain[0]},${domain[1]}` : '';
  // biome-ignore lint/correctness/useExhaustiveDependencies: domainKey stands for domain's value
  const colorScale = useMemo(() => makeColorScale(kind, stats, domain), [kind, stats, domainKey]);
  const [page, setPage] = useState(0);
  const [cursor, setCursor] = useState<Cursor | null>(null);
  const [pointer, setPointer] = useState<{ x: number; y: number } | null>(null);
  const baseRef = useRef<HTMLCanvasElement>(null);
  const overlayRef = useRef<HTMLCanvasElement>(null);
  const descId = useId();
  const readoutId = useId();

  const pages = Math.max(1, Math.ceil(cols / pageSize));
  const currentPage = Math.min(page, pages - 1);
  const colStart = currentPage * pageSize;
  const visibleCols = Math.min(pageSize, cols - colStart);
  const labelWidth = rowLabels ? 72 : 0;
  const { cellWidth, cellHeight } = fitCells(visibleCols, rows, maxWidth - labelWidth, maxHeight, maxCell);
  const showValues = cellWidth >= VALUE_MIN_WIDTH && cellHeight >= VALUE_MIN_HEIGHT;
  const showColLabels = cellWidth >= COL_LABEL_MIN_WIDTH && visibleCols <= 64;
  let longestColLabel = 1;
  if (showColLabels) {
    for (let c = colStart; c < colStart + visibleCols; c++) {
      longestColLabel = Math.max(longestColLabel, Math.min(8, (colLabel?.(c) ?? String(c)).length));
    }
  }
  // Labels that do not fit across a cell (about 6.5 px per character) are written vertically.
  const verticalColLabels = cellWidth < longestColLabel * 6.5 + 4;
  const layout: GridLayout = { colStart, visibleCols, rows, cellWidth, cellHeight };
  const width = visibleCols * cellWidth;
  const height = rows * cellHeight;

  // Reset the cursor when the matrix changes shape (another step, another prompt).
  // biome-ignore lint/correctness/useExhaustiveDependencies: only the shape matters
  useEffect(() => {
    setCursor((c) => (c && c.row < rows && c.col < cols ? c : null));
    if (colStart >= cols) setPage(0);
  }, [rows, cols]);

  useEffect(() => {
    if (baseRef.current) {
      paintMatrix(baseRef.current, matrix, colorScale, colStart, visibleCols, width, height, showValues);
    }
  }, [matrix, colorScale, colStart, visibleCols, width, height, showValues]);

  useEffect(() => {
    const canvas = overlayRef.current;
    if (!canvas) return;
    const dpr = globalThis.devicePixelRatio || 1;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.scale(dpr, dpr);
    ctx.clearRect(0, 0, width, height);
    ctx.lineWidth = 2;
    if (highlightCols) {
      const from = Math.max(highlightCols[0], colStart) - colStart;
      const to = Math.min(highlightCols[1], colStart + visibleCols) - colStart;
      if (to > from) {
        ctx.strokeStyle = '#111';
        ctx.setLineDash([4, 3]);
        ctx.strokeRect(from * cellWidth + 1, 1, (to - from) * cellWidth - 2, height - 2);
        ctx.setLineDash([]);
      }
    }
    if (highlightRow !== null && highlightRow < rows) {
      const y = highlightRow * cellHeight;
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 4;
      ctx.strokeRect(2, y + 2, width - 4, cellHeight - 4);
      ctx.strokeStyle = '#000';
      ctx.lineWidth = 2;
      ctx.setLineDash([6, 3]);
      ctx.strokeRect(2, y + 2, width - 4, cellHeight - 4);
      ctx.setLineDash([]);
    }
    if (selectedRow !== null && selectedRow < rows) {
      ctx.strokeStyle = '#000';
      ctx.strokeRect(1, selectedRow * cellHeight + 1, width - 2, cellHeight - 2);
    }
    if (cursor && cursor.col >= colStart && cursor.col < colStart + visibleCols) {
      const x = (cursor.col - colStart) * cellWidth;
      const y = cursor.row * cellHeight;
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 3;
      ctx.strokeRect(x - 1, y - 1, cellWidth + 2, cellHeight + 2);
      ctx.strokeStyle = '#000';
      ctx.lineWidth = 1.5;
      ctx.strokeRect(x - 1, y - 1, cellWidth + 2, cellHeight + 2);
    }
  }, [
    cursor,
    selectedRow,
    highlightCols,
    highlightRow,
    colStart,
    visibleCols,
    rows,
    width,
    height,
    cellWidth,
    cellHeight,
  ]);

  const describeCell = (c: Cursor) => {
    const v = valueAt(matrix, c.row, c.col);
    const rowText = rowLabels?.[c.row] !== undefined ? ` “${rowLabels[c.row]}”` : '';
    const extra = colLabel?.(c.col);
    const colText = extra !== undefined ? ` “${extra}”` : '';
    return { v, text: `${rowName} ${c.row}${rowText} · ${colName} ${c.col}${colText} = ${formatValue(v)}` };
  };

  const onPointerMove = (e: PointerEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    const cell = cellAt(x, y, layout);
    setCursor(cell);
    setPointer(cell ? { x, y } : null);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const c = cursor ?? { row: 0, col: colStart };
    let { row, col } = c;
    switch (e.key) {
      case 'ArrowUp':
        row = Math.max(0, row - 1);
        break;
      case 'ArrowDown':
        row = Math.min(rows - 1, row + 1);
        break;
      case 'ArrowLeft':
        col = Math.max(0, col - 1);
        break;
      case 'ArrowRight':
        col = Math.min(cols - 1, col + 1);
        break;
      case 'Home':
        col = colStart;
        break;
      case 'End':
        col = colStart + visibleCols - 1;
        break;
      case 'PageDown':
        col = Math.min(cols - 1, col + pageSize);
        break;
      case 'PageUp':
        col = Math.max(0, col - pageSize);
        break;
      case 'Enter':
      case ' ':
        if (onSelectRow && cursor) onSelectRow(cursor.row);
        e.preventDefault();
        e.stopPropagation();
        return;
      default:
        return;
    }
    e.preventDefault();
    e.stopPropagation(); // arrow keys inside a heatmap move its cursor, not the stepper
    setPointer(null);
    setCursor({ row, col });
    const p = Math.floor(col / pageSize);
    if (p !== currentPage) setPage(p);
  };

  const readout = cursor ? describeCell(cursor) : null;
  const showLabels = rowLabels !== undefined && cellHeight >= LABEL_MIN_HEIGHT;
  const summary =
    `${rows} ${rowName}s × ${cols} ${colName}s; min ${formatValue(stats.min)}, max ${formatValue(stats.max)}, ` +
    `mean ${formatValue(stats.mean)}${stats.hasNegInf ? '; masked entries are −∞' : ''}.`;

  return (
    <figure className="gb-heatmap" data-testid={testId} data-rows={rows} data-cols={cols}>
      <figcaption className="gb-heatmap-title">{title}</figcaption>
      {showColLabels && (
        <div className="gb-heatmap-collabels" style={{ marginLeft: showLabels ? labelWidth : 0 }} aria-hidden="true">
          {Array.from({ length: visibleCols }, (_, i) => {
            const c = colStart + i;
            const text = colLabel?.(c) ?? String(c);
            return (
              <span
                key={c}
                className={verticalColLabels ? 'gb-collabel gb-vertical' : 'gb-collabel'}
                style={{ width: cellWidth }}
                title={`${colName} ${c}`}
              >
                {text.length > 8 ? `${text.slice(0, 7)}…` : text}
              </span>
            );
          })}
        </div>
      )}
      <div className="gb-heatmap-body">
        {showLabels && (
          <div className="gb-heatmap-rowlabels" style={{ width: labelWidth }} aria-hidden="true">
            {rowLabels.slice(0, rows).map((label, r) => (
              // biome-ignore lint/a11y/noStaticElementInteractions: rows are also selectable from the keyboard (Enter)
              // biome-ignore lint/a11y/useKeyWithClickEvents: see above
              <div
                // biome-ignore lint/suspicious/noArrayIndexKey: rows are positions
                key={r}
                className={`gb-rowlabel${r === selectedRow ? ' gb-selected' : ''}${r === highlightRow ? ' gb-new-row' : ''}`}
                style={{ height: cellHeight, lineHeight: `${cellHeight}px` }}
                title={`${rowName} ${r}${r === highlightRow ? ' (new)' : ''}`}
                onClick={onSelectRow ? () => onSelectRow(r) : undefined}
              >
                {label}
              </div>
            ))}
          </div>
        )}
        <div
          className="gb-heatmap-grid"
          role="application"
          aria-roledescription="heatmap"
          aria-label={`${title}. Arrow keys move through the cells${onSelectRow ? ', Enter selects the row' : ''}.`}
          aria-describedby={`${descId} ${readoutId}`}
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a canvas has no cells to focus; this element takes the arrow keys and announces the cell through the live read-out
          tabIndex={0}
          onKeyDown={onKeyDown}
          onBlur={() => setPointer(null)}
          style={{ width, height }}
        >
          <canvas ref={baseRef} style={{ width, height }} />
          <canvas
            ref={overlayRef}
            className="gb-heatmap-overlay"
            style={{ width, height }}
            onPointerMove={onPointerMove}
            onPointerLeave={() => setPointer(null)}
            onClick={() => {
              if (onSelectRow && cursor) onSelectRow(cursor.row);
            }}
          />
          {pointer && readout && (
            <div
              className="gb-tooltip"
              aria-hidden="true"
              style={{ left: Math.min(pointer.x + 14, width - 40), top: pointer.y + 14 }}
            >
              {readout.text}
            </div>
          )}
        </div>
      </div>
      <div className="gb-heatmap-footer" style={{ marginLeft: showLabels ? labelWidth : 0 }}>
        {pages > 1 && (
          <div className="gb-pager">
            <button type="button" disabled={currentPage === 0} onClick={() => setPage(currentPage - 1)}>
              ◀ {colName}s
            </button>
            <span>
              {colName}s {colStart}–{colStart + visibleCols - 1} of {cols}
            </span>
            <button type="button" disabled={currentPage >= pages - 1} onClick={() => setPage(currentPage + 1)}>
              {colName}s ▶
            </button>
          </div>
        )}
        <output
          id={readoutId}
          className="gb-readout"
          aria-live="polite"
          data-testid={testId ? `${testId}-readout` : undefined}
          data-row={readout ? cursor?.row : undefined}
          data-col={readout ? cursor?.col : undefined}
          data-value={readout ? String(readout.v) : undefined}
        >
          {readout ? readout.text : 'Hover a cell, or focus the map and use the arrow keys, to read a value.'}
        </output>
        <Legend scale={colorScale} label={valueLabel} masked={stats.hasNegInf} />
        <p id={descId} className="gb-sr-only">
          {summary}
        </p>
        <details className="gb-values">
          <summary>Values as text</summary>
          <ValuesTable matrix={matrix} around={cursor} rowLabels={rowLabels} rowName={rowName} colName={colName} />
        </details>
      </div>
    </figure>
  );
}

const TABLE_SPAN = 8;

/** The text alternative: an 8 × 8 window of values around the cursor (or the top-left corner). */
function ValuesTable({
  matrix,
  around,
  rowLabels,
  rowName,
  colName,
}: {
  matrix: Matrix;
  around: Cursor | null;
  rowLabels?: readonly string[];
  rowName: string;
  colName: string;
}) {
  const r0 = Math.max(0, Math.min((around?.row ?? 0) - TABLE_SPAN / 2, matrix.rows - TABLE_SPAN));
  const c0 = Math.max(0, Math.min((around?.col ?? 0) - TABLE_SPAN / 2, matrix.cols - TABLE_SPAN));
  const rowIdx = Array.from({ length: Math.min(TABLE_SPAN, matrix.rows) }, (_, i) => r0 + i);
  const colIdx = Array.from({ length: Math.min(TABLE_SPAN, matrix.cols) }, (_, i) => c0 + i);
  return (
    <table className="gb-values-table">
      <caption>
        {rowName}s {r0}–{r0 + rowIdx.length - 1}, {colName}s {c0}–{c0 + colIdx.length - 1} of {matrix.rows} ×{' '}
        {matrix.cols} (move the cursor to see other values)
      </caption>
      <thead>
        <tr>
          <th scope="col">{rowName}</th>
          {colIdx.map((c) => (
            <th key={c} scope="col">
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rowIdx.map((r) => (
          <tr key={r}>
            <th scope="row">
              {r}
              {rowLabels?.[r] !== undefined ? ` “${rowLabels[r]}”` : ''}
            </th>
            {colIdx.map((c) => (
              <td key={c}>{formatValue(valueAt(matrix, r, c))}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
