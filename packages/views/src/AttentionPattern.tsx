import type { Tensor } from '@glassbox/compute';
import { useEffect, useMemo, useRef } from 'react';
import type { ColorScale } from './color';
import { makeColorScale } from './color';
import { Heatmap } from './Heatmap';
import { headPlane, matrixStats } from './matrix';
import { paintMatrix } from './paint';

export interface AttentionPatternProps {
  /** [H, T, S] attention pattern (or scores) of one layer. */
  pattern: Tensor;
  head: number;
  onSelectHead?: (head: number) => void;
  /** Token strings for the query rows (and, with no cache, the key columns). */
  tokens: readonly string[];
  selectedRow?: number | null;
  onSelectRow?: (row: number) => void;
  layer: number;
  /** 'pattern' (weights in [0, 1]) or 'scores' (signed, −∞ where masked). */
  kind?: 'pattern' | 'scores';
  testId?: string;
}

const THUMB = 88;

/** Every head of a layer at a glance (small multiples, each a button), and the selected head large. */
export function AttentionPattern({
  pattern,
  head,
  onSelectHead,
  tokens,
  selectedRow = null,
  onSelectRow,
  layer,
  kind = 'pattern',
  testId,
}: AttentionPatternProps) {
  const H = pattern.shape[0];
  const planes = useMemo(() => Array.from({ length: H }, (_, h) => headPlane(pattern, h)), [pattern, H]);
  // One colour scale for all heads, so their thumbnails compare.
  const scale = useMemo(() => {
    if (kind === 'pattern') return makeColorScale('probability', matrixStats(planes[0]));
    const stats = matrixStats({ rows: 1, cols: pattern.data.length, data: pattern.data });
    return makeColorScale('diverging', stats);
  }, [kind, planes, pattern]);
  const what = kind === 'pattern' ? 'attention pattern' : 'attention scores';
  return (
    <div className="gb-attention" data-testid={testId}>
      <fieldset className="gb-heads">
        <legend className="gb-sr-only">Heads of layer {layer}: choose one</legend>
        {planes.map((m, h) => (
          <button
            // biome-ignore lint/suspicious/noArrayIndexKey: heads are indices
            key={h}
            type="button"
            className="gb-head-thumb"
            aria-pressed={h === head}
            aria-label={`Head ${h}`}
            onClick={() => onSelectHead?.(h)}
          >
            <Thumb matrix={m} scale={scale} />
            <span>head {h}</span>
          </button>
        ))}
      </fieldset>
      <Heatmap
        matrix={planes[Math.min(head, H - 1)]}
        title={`Layer ${layer}, head ${head}: ${what} [query token × key token]`}
        scale={kind === 'pattern' ? 'probability' : 'diverging'}
        domain={scale.domain}
        valueLabel={kind === 'pattern' ? 'attention weight' : 'score'}
        rowLabels={tokens}
        rowName="query"
        colName="key"
        colLabel={(c) => tokens[c]}
        selectedRow={selectedRow}
        onSelectRow={onSelectRow}
        maxWidth={520}
        maxHeight={420}
        testId={testId ? `${testId}-large` : undefined}
      />
    </div>
  );
}

function Thumb({
  matrix,
  scale,
}: {
  matrix: { rows: number; cols: number; data: ArrayLike<number> };
  scale: ColorScale;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  const cell = Math.max(1, Math.floor(THUMB / Math.max(matrix.rows, matrix.cols)));
  const w = cell * matrix.cols;
  const h = cell * matrix.rows;
  useEffect(() => {
    if (ref.current) paintMatrix(ref.current, matrix, scale, 0, matrix.cols, w, h);
  }, [matrix, scale, w, h]);
  return <canvas ref={ref} style={{ width: w, height: h }} />;
}
