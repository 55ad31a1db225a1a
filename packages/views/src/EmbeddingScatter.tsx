import { axisBottom, axisLeft } from 'd3-axis';
import { scaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import type { KeyboardEvent, MouseEvent } from 'react';
import { useEffect, useId, useMemo, useRef } from 'react';
import { formatValue } from './matrix';
import { visibleToken } from './TokenStrip';

export type ScatterMark = 'neighbour' | 'result' | 'operand';

export interface EmbeddingScatterProps {
  title: string;
  /** [n, 2] coordinates, row-major (e.g. a PCA of the token embedding). */
  points: ArrayLike<number>;
  /** One label per point (the tokens). Drawn on the canvas as text. */
  labels: readonly string[];
  /** Axis names, e.g. "PC 1 (62% of variance)". */
  xLabel?: string;
  yLabel?: string;
  selected?: number | null;
  /** Points to emphasise, each with why. */
  marks?: readonly { id: number; mark: ScatterMark }[];
  onSelect?: (id: number) => void;
  /** Every point is labelled when there are at most this many; otherwise only the marked and selected ones. */
  maxLabels?: number;
  width?: number;
  height?: number;
  testId?: string;
}

/** Okabe–Ito colours, and a different shape per role so colour is not the only cue. */
export const SCATTER_COLORS = { point: '#555555', neighbour: '#E69F00', result: '#0072B2', operand: '#009E73' };

const M = { top: 10, right: 16, bottom: 40, left: 50 };

/**
 * Tokens as points in two dimensions. The points are drawn on a canvas (a 50,257-token vocabulary stays fast); the
 * axes are d3's. Click a point, or use ← / → to move to the previous / next token, to select it.
 */
export function EmbeddingScatter({
  title,
  points,
  labels,
  xLabel = 'component 1',
  yLabel = 'component 2',
  selected = null,
  marks = [],
  onSelect,
  maxLabels = 40,
  width = 480,
  height = 380,
  testId,
}: EmbeddingScatterProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const xAxisRef = useRef<SVGGElement>(null);
  const yAxisRef = useRef<SVGGElement>(null);
  const descId = useId();
  const n = Math.floor(points.length / 2);
  const innerW = width - M.left - M.right;
  const innerH = height - M.top - M.bottom;

  const { x, y } = useMemo(() => {
    let mx = 1e-9;
    let my = 1e-9;
    for (let i = 0; i < n; i++) {
      const a = Math.abs(points[i * 2]);
      const b = Math.abs(points[i * 2 + 1]);
      if (Number.isFinite(a) && a > mx) mx = a;
      if (Number.isFinite(b) && b > my) my = b;
    }
    // Symmetric domains: the origin (the mean embedding) stays in the middle as the model trains.
    return {
      x: scaleLinear()
        .domain([-mx * 1.08, mx * 1.08])
        .range([0, innerW]),
      y: scaleLinear()
        .domain([-my * 1.08, my * 1.08])
        .range([innerH, 0]),
    };
  }, [points, n, innerW, innerH]);

  const markOf = useMemo(() => new Map(marks.map((m) => [m.id, m.mark])), [marks]);

  useEffect(() => {
    if (xAxisRef.current)
      select(xAxisRef.current).call(
        axisBottom(x)
          .ticks(5)
          .tickFormat((v) => formatValue(Number(v))),
      );
    if (yAxisRef.current)
      select(yAxisRef.current).call(
        axisLeft(y)
          .ticks(5)
          .tickFormat((v) => formatValue(Number(v))),
      );
  }, [x, y]);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const dpr = globalThis.devicePixelRatio || 1;
    canvas.width = Math.round(innerW * dpr);
    canvas.height = Math.round(innerH * dpr);
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.scale(dpr, dpr);
    ctx.clearRect(0, 0, innerW, innerH);
    ctx.strokeStyle = '#ddd';
    ctx.beginPath();
    ctx.moveTo(x(0), 0);
    ctx.lineTo(x(0), innerH);
    ctx.moveTo(0, y(0));
    ctx.lineTo(innerW, y(0));
    ctx.stroke();
    const r = n > 2000 ? 1.2 : n > 200 ? 2 : 3.5;
    ctx.fillStyle = SCATTER_COLORS.point;
    ctx.globalAlpha = n > 2000 ? 0.5 : 0.8;
    for (let i = 0; i < n; i++) {
      if (markOf.has(i) || i === selected) continue;
      ctx.beginPath();
      ctx.arc(x(points[i * 2]), y(points[i * 2 + 1]), r, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.globalAlpha = 1;
    const labelAll = n <= maxLabels;
    ctx.font = '12px ui-monospace, SFMono-Regular, Menlo, monospace';
    ctx.textBaseline = 'middle';
    const label = (i: number, bold: boolean) => {
      const px = x(points[i * 2]);
      const py = y(points[i * 2 + 1]);
      const text = visibleToken(labels[i] ?? `#${i}`);
      ctx.font = `${bold ? '700 ' : ''}12px ui-monospace, SFMono-Regular, Menlo, monospace`;
      const w = ctx.measureText(text).width;
      const left = px + 7 + w > innerW;
      ctx.fillStyle = 'rgba(255,255,255,0.8)';
      ctx.fillRect(left ? px - 9 - w : px + 6, py - 7, w + 3, 14);
      ctx.fillStyle = '#111';
      ctx.fillText(text, left ? px - 8 - w : px + 7, py);
    };
    if (labelAll) {
      for (let i = 0; i < n; i++) if (!markOf.has(i) && i !== selected) label(i, false);
    }
    for (const [i, mark] of markOf) {
      if (i >= n || i === selected) continue;
      const px = x(points[i * 2]);
      const py = y(points[i * 2 + 1]);
      ctx.fillStyle = SCATTER_COLORS[mark];
      ctx.strokeStyle = '#111';
      ctx.beginPath();
      if (mark === 'neighbour') ctx.arc(px, py, 5, 0, 2 * Math.PI);
      else if (mark === 'result') ctx.rect(px - 5, py - 5, 10, 10);
      else {
        ctx.moveTo(px, py - 6);
        ctx.lineTo(px + 6, py + 5);
        ctx.lineTo(px - 6, py + 5);
        ctx.closePath();
      }
      ctx.fill();
      ctx.stroke();
      label(i, false);
    }
    if (selected !== null && selected < n) {
      const px = x(points[selected * 2]);
      const py = y(points[selected * 2 + 1]);
      ctx.fillStyle = '#111';
      ctx.beginPath();
      ctx.arc(px, py, 5, 0, 2 * Math.PI);
      ctx.fill();
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(px, py, 9, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.lineWidth = 1;
      label(selected, true);
    }
  }, [points, labels, n, x, y, markOf, selected, maxLabels, innerW, innerH]);

  const onClick = (e: MouseEvent<HTMLCanvasElement>) => {
    if (!onSelect) return;
    const rect = e.currentTarget.getBoundingClientRect();
    const cx = e.clientX - rect.left;
    const cy = e.clientY - rect.top;
    let best = -1;
    let bestD = 14 * 14;
    for (let i = 0; i < n; i++) {
      const d = (x(points[i * 2]) - cx) ** 2 + (y(points[i * 2 + 1]) - cy) ** 2;
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    }
    if (best >= 0) onSelect(best);
  };

  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (!onSelect || n === 0) return;
    const cur = selected ?? -1;
    if (e.key === 'ArrowRight' || e.key === 'ArrowDown') onSelect((cur + 1) % n);
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') onSelect((cur - 1 + n) % n);
    else if (e.key === 'Home') onSelect(0);
    else if (e.key === 'End') onSelect(n - 1);
    else return;
    e.preventDefault();
    e.stopPropagation();
  };

  const describe = (i: number) =>
    `${visibleToken(labels[i] ?? `#${i}`)} at (${formatValue(points[i * 2])}, ${formatValue(points[i * 2 + 1])})`;

  return (
    <figure className="gb-scatter" data-testid={testId} data-points={n}>
      <figcaption>{title}</figcaption>
      <div
        className="gb-scatter-plot"
        role="application"
        aria-roledescription="scatter plot"
        aria-label={`${title}. ${onSelect ? 'Left and right arrow keys select the previous or next token.' : ''}`}
        aria-describedby={descId}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: the plot takes arrow keys to move the selection
        tabIndex={0}
        onKeyDown={onKey}
        style={{ width, height, position: 'relative' }}
      >
        <svg width={width} height={height} role="presentation" style={{ position: 'absolute', left: 0, top: 0 }}>
          <g transform={`translate(${M.left},${M.top})`}>
            <g ref={yAxisRef} className="gb-axis" />
            <g ref={xAxisRef} className="gb-axis" transform={`translate(0,${innerH})`} />
            <text className="gb-axis-label" x={innerW / 2} y={innerH + 34} textAnchor="middle">
              {xLabel}
            </text>
            <text className="gb-axis-label" transform={`translate(-38,${innerH / 2}) rotate(-90)`} textAnchor="middle">
              {yLabel}
            </text>
          </g>
        </svg>
        <canvas
          ref={canvasRef}
          onClick={onClick}
          style={{ position: 'absolute', left: M.left, top: M.top, width: innerW, height: innerH, cursor: 'pointer' }}
        />
      </div>
      <p className="gb-scatter-key">
        <span className="gb-marker gb-marker-selected" /> selected{' '}
        <span className="gb-marker gb-marker-neighbour" style={{ background: SCATTER_COLORS.neighbour }} /> nearest
        neighbours <span className="gb-marker gb-marker-result" style={{ background: SCATTER_COLORS.result }} />{' '}
        arithmetic result{' '}
        <span className="gb-marker gb-marker-operand" style={{ borderBottomColor: SCATTER_COLORS.operand }} /> a, b, c
      </p>
      <div id={descId} className="gb-sr-only">
        {n} tokens.{selected !== null && selected < n ? ` Selected: ${describe(selected)}.` : ''}
        {marks.length > 0 && ` Marked: ${marks.map((m) => `${describe(m.id)} (${m.mark})`).join('; ')}.`}
      </div>
    </figure>
  );
}
