import { scaleLinear } from 'd3-scale';
import { formatValue } from './matrix';

export interface RankedItem {
  key: string | number;
  label: string;
  value: number;
}

export interface RankedBarsProps {
  title: string;
  items: readonly RankedItem[];
  /** What the values are, e.g. "logit" or "activation". */
  valueName: string;
  testId?: string;
}

const ROW = 20;
const LABEL = 130;
const HALF = 150;

/** Signed values as bars from a zero line (e.g. the top logits, the most active neurons). */
export function RankedBars({ title, items, valueName, testId }: RankedBarsProps) {
  const m = Math.max(1e-9, ...items.map((i) => Math.abs(i.value)));
  const x = scaleLinear().domain([-m, m]).range([-HALF, HALF]);
  const width = LABEL + 2 * HALF + 70;
  return (
    <figure className="gb-ranked" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <svg width={width} height={items.length * ROW + 6} role="img" aria-label={`${title} (${valueName})`}>
        <line x1={LABEL + HALF} x2={LABEL + HALF} y1={0} y2={items.length * ROW + 6} className="gb-zero" />
        {items.map((it, i) => {
          const w = Math.abs(x(it.value));
          return (
            <g key={it.key} transform={`translate(0,${i * ROW + 3})`} data-value={it.value}>
              <text x={LABEL - 6} y={13} textAnchor="end" className="gb-bar-label">
                {it.label}
              </text>
              <rect
                x={it.value >= 0 ? LABEL + HALF : LABEL + HALF - w}
                y={2}
                width={Math.max(1, w)}
                height={ROW - 6}
                className={it.value >= 0 ? 'gb-bar-pos' : 'gb-bar-neg'}
              />
              <text x={LABEL + 2 * HALF + 6} y={13} className="gb-bar-value">
                {formatValue(it.value)}
              </text>
            </g>
          );
        })}
      </svg>
      <ol className="gb-sr-only">
        {items.map((it) => (
          <li key={it.key}>
            {it.label}: {valueName} {formatValue(it.value)}
          </li>
        ))}
      </ol>
    </figure>
  );
}
