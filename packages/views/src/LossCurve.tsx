import { axisBottom, axisLeft } from 'd3-axis';
import { scaleLinear, scaleLog } from 'd3-scale';
import { select } from 'd3-selection';
import type { KeyboardEvent, PointerEvent } from 'react';
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { formatValue } from './matrix';

export interface LossPoint {
  step: number;
  loss: number;
}

export interface LossCurveProps {
  title: string;
  /** Training loss of every step (the loss of the batch the step trained on). */
  train: readonly LossPoint[];
  /** Validation loss, measured now and then. */
  val?: readonly LossPoint[];
  /** Steps that were undone (a diverged run): drawn grey and dotted. */
  undone?: readonly LossPoint[];
  valLabel?: string;
  /** Log scale on the loss axis (falls back to linear when a value is ≤ 0). */
  log?: boolean;
  width?: number;
  height?: number;
  testId?: string;
}

/** Okabe–Ito colours (distinguishable with every common colour-vision deficiency), plus dash patterns. */
export const LOSS_COLORS = { train: '#0072B2', val: '#D55E00', undone: '#999999' } as const;

const M = { top: 10, right: 16, bottom: 36, left: 58 };

/** At most ~2 points per pixel column: bucket means (the last point is kept exactly). */
export function thinPoints(points: readonly LossPoint[], buckets: number): LossPoint[] {
  const finite = points.filter((p) => Number.isFinite(p.loss));
  if (finite.length <= buckets * 2) return finite;
  const out: LossPoint[] = [];
  const per = finite.length / buckets;
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor(b * per);
    const to = Math.min(finite.length, Math.floor((b + 1) * per));
    if (to <= from) continue;
    let s = 0;
    for (let i = from; i < to; i++) s += finite[i].loss;
    out.push({ step: finite[Math.floor((from + to - 1) / 2)].step, loss: s / (to - from) });
  }
  out.push(finite[finite.length - 1]);
  return out;
}

function pathOf(points: readonly LossPoint[], x: (v: number) => number, y: (v: number) => number): string {
  let d = '';
  for (const [i, p] of points.entries()) d += `${i === 0 ? 'M' : 'L'}${x(p.step).toFixed(1)},${y(p.loss).toFixed(1)}`;
  return d;
}

/** Nearest point by step (binary search over points sorted by step). */
function nearest(points: readonly LossPoint[], step: number): LossPoint | undefined {
  if (points.length === 0) return undefined;
  let lo = 0;
  let hi = points.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid].step < step) lo = mid + 1;
    else hi = mid;
  }
  const a = points[Math.max(0, lo - 1)];
  const b = points[lo];
  return Math.abs(a.step - step) <= Math.abs(b.step - step) ? a : b;
}

/**
 * The loss as training runs: the training loss of every step (a line), the validation loss (dashed, with dots),
 * and any steps undone after a divergence (grey, dotted). Arrow keys move a cursor through the steps and read the
 * values out; the summary and the last values are also given as text.
 */
export function LossCurve({
  title,
  train,
  val = [],
  undone = [],
  valLabel = 'validation',
  log = true,
  width = 560,
  height = 260,
  testId,
}: LossCurveProps) {
  const xAxisRef = useRef<SVGGElement>(null);
  const yAxisRef = useRef<SVGGElement>(null);
  const [cursor, setCursor] = useState<number | null>(null);
  const descId = useId();
  const innerW = width - M.left - M.right;
  const innerH = height - M.top - M.bottom;

  const model = useMemo(() => {
    const all = [...train, ...val, ...undone].filter((p) => Number.isFinite(p.loss));
    const maxStep = Math.max(1, ...all.map((p) => p.step));
    const minStep = Math.min(0, ...all.map((p) => p.step));
    let lo = Math.min(...all.map((p) => p.loss));
    let hi = Math.max(...all.map((p) => p.loss));
    if (!Number.isFinite(lo)) [lo, hi] = [0.01, 10];
    const useLog = log && lo > 0;
    const y = useLog
      ? scaleLog()
          .domain([lo / 1.2, hi * 1.2])
          .range([innerH, 0])
          .clamp(true)
      : scaleLinear()
          .domain([Math.min(0, lo), hi === lo ? hi + 1 : hi * 1.05])
          .range([innerH, 0])
          .nice();
    const x = scaleLinear().domain([minStep, maxStep]).range([0, innerW]);
    const buckets = Math.max(50, Math.floor(innerW));
    return {
      x,
      y,
      useLog,
      train: thinPoints(train, buckets),
      val: thinPoints(val, buckets),
      undone: thinPoints(undone, buckets),
    };
  }, [train, val, undone, log, innerW, innerH]);

  useEffect(() => {
    if (xAxisRef.current) {
      // Steps are whole numbers: no tick at step 0.5.
      const ticks = model.x.ticks(Math.max(2, Math.floor(innerW / 80))).filter((t) => Number.isInteger(t));
      select(xAxisRef.current).call(
        axisBottom(model.x)
          .tickValues(ticks)
          .tickFormat((v) => String(v)),
      );
    }
    if (yAxisRef.current) {
      const axis = axisLeft(model.y).ticks(5, model.useLog ? '~g' : undefined);
      if (!model.useLog) axis.tickFormat((v) => formatValue(Number(v)));
      select(yAxisRef.current).call(axis);
    }
  }, [model, innerW]);

  const x = (s: number) => model.x(s);
  const y = (l: number) => model.y(l);
  const firstTrain = train.find((p) => Number.isFinite(p.loss));
  const lastTrain = [...train].reverse().find((p) => Number.isFinite(p.loss));
  const lastVal = val[val.length - 1];
  const cursorTrain = cursor !== null ? nearest(train, cursor) : undefined;
  const cursorVal = cursor !== null ? nearest(val, cursor) : undefined;
  const readout =
    cursor === null
      ? 'Hover the chart, or focus it and use ← → (Home, End), to read the loss at a step.'
      : `step ${cursorTrain?.step ?? cursor}: training loss ${cursorTrain ? formatValue(cursorTrain.loss) : '—'}` +
        (cursorVal ? `; ${valLabel} loss ${formatValue(cursorVal.loss)} (after step ${cursorVal.step})` : '');

  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (train.length === 0) return;
    const steps = train.map((p) => p.step);
    const i = cursor === null ? steps.length - 1 : Math.max(0, steps.indexOf(nearest(train, cursor)?.step ?? 0));
    const jump = Math.max(1, Math.round(steps.length / 20));
    let next: number;
    if (e.key === 'ArrowLeft') next = Math.max(0, i - 1);
    else if (e.key === 'ArrowRight') next = Math.min(steps.length - 1, i + 1);
    else if (e.key === 'PageDown') next = Math.min(steps.length - 1, i + jump);
    else if (e.key === 'PageUp') next = Math.max(0, i - jump);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = steps.length - 1;
    else return;
    e.preventDefault();
    e.stopPropagation();
    setCursor(steps[next]);
  };

  const onPointer = (e: PointerEvent<SVGRectElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    setCursor(Math.round(model.x.invert(e.clientX - rect.left)));
  };

  const summary =
    firstTrain && lastTrain
      ? `Training loss ${formatValue(firstTrain.loss)} at step ${firstTrain.step}, ${formatValue(lastTrain.loss)} at step ${lastTrain.step}` +
        (lastVal ? `; ${valLabel} loss ${formatValue(lastVal.loss)} after step ${lastVal.step}` : '') +
        (undone.length > 0 ? `; ${undone.length} diverged steps were undone` : '') +
        '.'
      : 'No steps yet.';

  return (
    <figure
      className="gb-loss-curve"
      data-testid={testId}
      data-points={train.length}
      data-first-loss={firstTrain?.loss}
      data-last-loss={lastTrain?.loss}
      data-last-val={lastVal?.loss}
    >
      <figcaption>{title}</figcaption>
      <div
        className="gb-loss-plot"
        role="application"
        aria-roledescription="line chart"
        aria-label={`${title}. Use the left and right arrow keys to read the loss at each step.`}
        aria-describedby={descId}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: the chart takes arrow keys to move its cursor
        tabIndex={0}
        onKeyDown={onKey}
      >
        <svg width={width} height={height} role="presentation">
          <g transform={`translate(${M.left},${M.top})`}>
            <g ref={yAxisRef} className="gb-axis" />
            <g ref={xAxisRef} className="gb-axis" transform={`translate(0,${innerH})`} />
            <text className="gb-axis-label" x={innerW / 2} y={innerH + 30} textAnchor="middle">
              step
            </text>
            <text
              className="gb-axis-label"
              transform={`translate(${-44},${innerH / 2}) rotate(-90)`}
              textAnchor="middle"
            >
              loss{model.useLog ? ' (log scale)' : ''}
            </text>
            {model.undone.length > 0 && (
              <path
                d={pathOf(model.undone, x, y)}
                fill="none"
                stroke={LOSS_COLORS.undone}
                strokeWidth={1.5}
                strokeDasharray="2 3"
              />
            )}
            {model.undone.length <= 50 &&
              model.undone.map((p) => (
                <path
                  key={p.step}
                  d={`M${x(p.step) - 3},${y(p.loss) - 3}l6,6m0,-6l-6,6`}
                  stroke={LOSS_COLORS.undone}
                  strokeWidth={1.5}
                />
              ))}
            <path d={pathOf(model.train, x, y)} fill="none" stroke={LOSS_COLORS.train} strokeWidth={1.5} />
            {model.val.length > 0 && (
              <path
                d={pathOf(model.val, x, y)}
                fill="none"
                stroke={LOSS_COLORS.val}
                strokeWidth={1.5}
                strokeDasharray="6 3"
              />
            )}
            {model.val.length <= 80 &&
              model.val.map((p) => (
                <circle key={p.step} cx={x(p.step)} cy={y(p.loss)} r={2.5} fill={LOSS_COLORS.val} />
              ))}
            {cursor !== null && (
              <g className="gb-loss-cursor">
                <line x1={x(cursor)} x2={x(cursor)} y1={0} y2={innerH} stroke="#111" strokeDasharray="2 2" />
                {cursorTrain && Number.isFinite(cursorTrain.loss) && (
                  <circle cx={x(cursorTrain.step)} cy={y(cursorTrain.loss)} r={4} fill="none" stroke="#111" />
                )}
              </g>
            )}
            <rect
              width={innerW}
              height={innerH}
              fill="transparent"
              onPointerMove={onPointer}
              onPointerLeave={() => setCursor(null)}
            />
          </g>
        </svg>
      </div>
      <p className="gb-loss-key">
        <span className="gb-line-swatch" style={{ borderTopColor: LOSS_COLORS.train }} /> training loss (per step){' '}
        {val.length > 0 && (
          <>
            <span className="gb-line-swatch gb-dashed" style={{ borderTopColor: LOSS_COLORS.val }} /> {valLabel} loss{' '}
          </>
        )}
        {undone.length > 0 && (
          <>
            <span className="gb-line-swatch gb-dotted" style={{ borderTopColor: LOSS_COLORS.undone }} /> undone
            (diverged)
          </>
        )}
      </p>
      <output className="gb-readout" aria-live="polite" data-testid={testId ? `${testId}-readout` : undefined}>
        {readout}
      </output>
      <p id={descId} className="gb-sr-only">
        {summary}
      </p>
    </figure>
  );
}
