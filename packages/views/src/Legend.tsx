import { axisBottom } from 'd3-axis';
import { scaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import { useEffect, useId, useRef } from 'react';
import type { ColorScale } from './color';
import { MASKED_COLOR } from './color';
import { formatValue } from './matrix';

export interface LegendProps {
  scale: ColorScale;
  /** What the colour encodes, e.g. "activation" or "attention weight". */
  label: string;
  width?: number;
  /** Show the grey swatch for masked (−∞) entries. */
  masked?: boolean;
}

/** A colour bar with a d3 axis, so every heatmap says what its colours mean. */
export function Legend({ scale, label, width = 220, masked = false }: LegendProps) {
  const axisRef = useRef<SVGGElement>(null);
  const gradientId = `gb-grad-${useId().replace(/[^a-zA-Z0-9_-]/g, '')}`;
  const [lo, hi] = scale.domain;
  const barHeight = 10;

  useEffect(() => {
    if (!axisRef.current) return;
    const x = scaleLinear().domain([lo, hi]).range([0, width]);
    const axis = axisBottom(x)
      .ticks(Math.max(2, Math.floor(width / 55)))
      .tickSize(4)
      .tickFormat((v) => formatValue(Number(v)));
    select(axisRef.current).call(axis);
  }, [lo, hi, width]);

  const stops = Array.from({ length: 17 }, (_, i) => i / 16);
  return (
    <figure className="gb-legend" aria-label={`Colour legend for ${label}: ${formatValue(lo)} to ${formatValue(hi)}`}>
      <figcaption>{label}</figcaption>
      <svg width={width + 24} height={barHeight + 22} role="presentation">
        <defs>
          <linearGradient id={gradientId}>
            {stops.map((t) => (
              <stop key={t} offset={`${t * 100}%`} stopColor={scale.at(t)} />
            ))}
          </linearGradient>
        </defs>
        <g transform="translate(12,0)">
          <rect width={width} height={barHeight} fill={`url(#${gradientId})`} />
          <g ref={axisRef} transform={`translate(0,${barHeight})`} />
        </g>
      </svg>
      {masked && (
        <span className="gb-legend-masked">
          <span className="gb-swatch" style={{ background: MASKED_COLOR }} /> masked (−∞)
        </span>
      )}
    </figure>
  );
}
