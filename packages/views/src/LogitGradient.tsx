import { topIndices } from '@glassbox/compute';
import { scaleLinear } from 'd3-scale';
import { formatValue } from './matrix';
import { visibleToken } from './TokenStrip';

export interface LogitGradientProps {
  title: string;
  /** [V] softmax of one position's logits. */
  probs: ArrayLike<number>;
  /** The id the position should predict. */
  target: number;
  /** [V] ∂L/∂logits of that position: (softmax − onehot)/N. */
  grad: ArrayLike<number>;
  /** N, the positions the loss averages over. */
  N: number;
  label: (id: number) => string;
  /** Rows: the most probable tokens, plus the target. */
  n?: number;
  testId?: string;
}

export interface LogitGradientRow {
  id: number;
  prob: number;
  onehot: number;
  grad: number;
}

/** The rows to show: the n most probable tokens, with the target added (last) when it is not among them. */
export function logitGradientRows(
  probs: ArrayLike<number>,
  grad: ArrayLike<number>,
  target: number,
  n: number,
): LogitGradientRow[] {
  const ids = topIndices(probs, n);
  if (!ids.includes(target)) ids.push(target);
  return ids.map((id) => ({ id, prob: probs[id], onehot: id === target ? 1 : 0, grad: grad[id] }));
}

const ROW = 22;
const LABEL = 110;
const BAR = 150;
const GAP = 28;

/**
 * Where backpropagation starts, for one position: the softmax, the one-hot target, and their difference divided by
 * N — the gradient at the logits — side by side. Every other token is pushed down by its probability; the target
 * is pushed up by 1 − p. The bars of the gradient column sum to zero.
 */
export function LogitGradient({ title, probs, target, grad, N, label, n = 8, testId }: LogitGradientProps) {
  const rows = logitGradientRows(probs, grad, target, n);
  const p = scaleLinear().domain([0, 1]).range([0, BAR]);
  const gMax = Math.max(1e-12, ...rows.map((r) => Math.abs(r.grad)));
  const g = scaleLinear()
    .domain([-gMax, gMax])
    .range([-BAR / 2, BAR / 2]);
  const col = (i: number) => LABEL + i * (BAR + GAP);
  const width = col(3) + 40;
  const height = rows.length * ROW + 30;
  let sum = 0;
  for (let i = 0; i < grad.length; i++) sum += grad[i];
  return (
    <figure className="gb-logit-gradient" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <svg width={width} height={height} role="img" aria-label={`${title}: softmax, one-hot target and gradient`}>
        <g className="gb-col-heads">
          <text x={col(0)} y={14}>
            softmax p
          </text>
          <text x={col(1)} y={14}>
            one-hot y
          </text>
          <text x={col(2)} y={14}>
            (p − y) / N = ∂L/∂logit
          </text>
        </g>
        <line x1={col(2) + BAR / 2} x2={col(2) + BAR / 2} y1={20} y2={height} className="gb-zero" />
        {rows.map((r, i) => {
          const w = Math.abs(g(r.grad));
          return (
            <g
              key={r.id}
              transform={`translate(0,${24 + i * ROW})`}
              data-token-id={r.id}
              data-prob={r.prob}
              data-grad={r.grad}
              className={r.onehot ? 'gb-target-row' : undefined}
            >
              <text x={LABEL - 6} y={13} textAnchor="end" className="gb-bar-label">
                {visibleToken(label(r.id))}
              </text>
              <rect x={col(0)} y={3} width={Math.max(1, p(r.prob))} height={ROW - 8} className="gb-bar-kept" />
              <text x={col(0) + Math.max(1, p(r.prob)) + 3} y={13} className="gb-bar-value">
                {formatValue(r.prob)}
              </text>
              <rect x={col(1)} y={3} width={Math.max(1, p(r.onehot))} height={ROW - 8} className="gb-bar-onehot" />
              <text x={col(1) + Math.max(1, p(r.onehot)) + 3} y={13} className="gb-bar-value">
                {r.onehot}
              </text>
              <rect
                x={r.grad >= 0 ? col(2) + BAR / 2 : col(2) + BAR / 2 - w}
                y={3}
                width={Math.max(1, w)}
                height={ROW - 8}
                className={r.grad >= 0 ? 'gb-bar-pos' : 'gb-bar-neg'}
              />
              <text x={col(2) + BAR + 4} y={13} className="gb-bar-value" textAnchor="start">
                {formatValue(r.grad)}
              </text>
            </g>
          );
        })}
      </svg>
      <p className="gb-distribution-note">
        Red pushes a logit down (the gradient step subtracts it), blue pushes it up. The target gets (p − 1)/N; the
        whole row of {grad.length} gradients sums to {formatValue(sum)} (zero up to rounding). N = {N}.
      </p>
      <ol className="gb-sr-only">
        {rows.map((r) => (
          <li key={r.id}>
            {label(r.id)}: p {formatValue(r.prob)}, one-hot {r.onehot}, gradient {formatValue(r.grad)}
          </li>
        ))}
      </ol>
    </figure>
  );
}
