import type { Matrix, ScaleKind } from '@glassbox/views';
import { formatValue, Heatmap, makeColorScale, matrixStats, parseColor, valueAt } from '@glassbox/views';
import { useMemo } from 'react';

export interface BigMatrixProps {
  matrix: Matrix;
  /** Short caption in large type, e.g. "Q (head 0)". */
  title: string;
  /** The hook it shows, in small type under the caption, e.g. "blocks.0.attn.hook_q[:, 0, :]". */
  source?: string;
  rowLabels?: readonly string[];
  colLabels?: readonly string[];
  scale?: ScaleKind;
  domain?: [number, number];
  valueLabel?: string;
  /** Row to outline (the selected token). */
  selectedRow?: number | null;
  /** Column to outline (the target token). */
  highlightCol?: number | null;
  /** The only matrix on its slide: larger cells when it is small. */
  alone?: boolean;
  testId?: string;
}

/** Matrices up to this size are drawn as tables with every value written in; larger ones as a heatmap. */
const MAX_TABLE_COLS = 20;
const MAX_TABLE_ROWS = 16;

/** Black or white text, whichever contrasts more with the cell's colour (WCAG relative luminance). */
function textOn(color: string): string {
  const [r, g, b] = parseColor(color).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  const L = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return (L + 0.05) / 0.05 > 1.05 / (L + 0.05) ? '#000' : '#fff';
}

/** A short value for a cell: 2 decimals, −∞ spelled out. */
function cellText(v: number): string {
  if (v === Number.NEGATIVE_INFINITY) return '−∞';
  if (!Number.isFinite(v)) return formatValue(v);
  const a = Math.abs(v);
  // Two decimals, except very small numbers (gradients, updates), which keep two significant digits.
  const s =
    a === 0
      ? '0'
      : a < 0.001
        ? v.toExponential(1)
        : a < 0.01
          ? String(Number(v.toPrecision(2)))
          : a >= 100
            ? v.toFixed(0)
            : v.toFixed(2);
  return s.replace('-', '−').replace('e+', 'e');
}

/**
 * A small matrix for a lecture hall: a table of coloured cells with every value written large, row labels (the
 * tokens) and column labels, and the exact value in data-value for tests. A matrix too large to read (GPT-2's
 * [T, 768]) falls back to the explorer's heatmap, sized for the screen.
 */
export function BigMatrix({
  matrix,
  title,
  source,
  rowLabels,
  colLabels,
  scale = 'diverging',
  domain,
  valueLabel = 'value',
  selectedRow = null,
  highlightCol = null,
  alone = false,
  testId,
}: BigMatrixProps) {
  const stats = useMemo(() => matrixStats(matrix), [matrix]);
  const color = useMemo(() => makeColorScale(scale, stats, domain), [scale, stats, domain]);
  if (matrix.cols > MAX_TABLE_COLS || matrix.rows > MAX_TABLE_ROWS) {
    return (
      <div className="pr-matrix pr-matrix-heatmap" data-testid={testId}>
        <Heatmap
          matrix={matrix}
          title={source ? `${title} — ${source}` : title}
          scale={scale}
          domain={domain}
          valueLabel={valueLabel}
          rowLabels={rowLabels}
          rowName="token"
          colLabel={colLabels ? (c) => colLabels[c] : undefined}
          selectedRow={selectedRow}
          maxWidth={1100}
          maxHeight={420}
          maxCell={64}
          testId={testId ? `${testId}-heatmap` : undefined}
        />
      </div>
    );
  }
  const size =
    alone && matrix.cols <= 8 && matrix.rows <= 8
      ? 'pr-cells-xl'
      : matrix.cols <= 5 && matrix.rows <= 6
        ? 'pr-cells-l'
        : matrix.cols <= 10
          ? 'pr-cells-m'
          : 'pr-cells-s';
  const cols = Array.from({ length: matrix.cols }, (_, c) => c);
  return (
    <figure className={`pr-matrix ${size}`} data-testid={testId} data-rows={matrix.rows} data-cols={matrix.cols}>
      {(title || source) && (
        <figcaption>
          <span className="pr-matrix-title">{title}</span>
          {source && <code className="pr-matrix-source">{source}</code>}
        </figcaption>
      )}
      <table>
        {colLabels && (
          <thead>
            <tr>
              {rowLabels && <td />}
              {cols.map((c) => (
                <th key={c} scope="col" className={c === highlightCol ? 'pr-hl' : undefined}>
                  {colLabels[c]}
                </th>
              ))}
            </tr>
          </thead>
        )}
        <tbody>
          {Array.from({ length: matrix.rows }, (_, r) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows are positions
            <tr key={r} className={r === selectedRow ? 'pr-selected' : undefined}>
              {rowLabels && <th scope="row">{rowLabels[r]}</th>}
              {cols.map((c) => {
                const v = valueAt(matrix, r, c);
                const bg = color.color(v);
                return (
                  <td
                    key={c}
                    className={c === highlightCol ? 'pr-hl' : undefined}
                    style={{ background: bg, color: textOn(bg) }}
                    data-value={String(v)}
                  >
                    {cellText(v)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

/** "+", "=", "→" between matrices. */
export function Op({ children }: { children: string }) {
  return (
    <span className="pr-op" aria-hidden="true">
      {children}
    </span>
  );
}

/** A symmetric colour domain shared by several matrices, so equal numbers get equal colours. */
export function sharedDomain(...ms: Matrix[]): [number, number] {
  let m = 0;
  for (const x of ms) m = Math.max(m, matrixStats(x).absMax);
  return [-(m || 1), m || 1];
}
