import { formatValue, visibleToken } from '@glassbox/views';

export interface Bar {
  id: number;
  label: string;
  value: number;
  /** Marked as the sampled / target token. */
  mark?: string;
  /** Drawn faded (filtered out by top-k / top-p). */
  faded?: boolean;
}

export interface BigBarsProps {
  title: string;
  bars: readonly Bar[];
  /** 'prob': values in [0, 1] shown as percentages; 'signed': bars from a zero line (logits, gradients). */
  kind: 'prob' | 'signed';
  testId?: string;
}

function percent(p: number): string {
  if (p >= 0.995) return `${(p * 100).toFixed(1)}%`;
  if (p >= 0.0995) return `${Math.round(p * 100)}%`;
  if (p >= 0.001) return `${(p * 100).toFixed(1)}%`;
  return p === 0 ? '0%' : '<0.1%';
}

/** Bars in large type (HTML, so they scale with the font): next-token probabilities, logits, gradients. */
export function BigBars({ title, bars, kind, testId }: BigBarsProps) {
  const max = Math.max(1e-12, ...bars.map((b) => Math.abs(b.value)));
  return (
    <figure className={`pr-bars pr-bars-${kind}`} data-testid={testId}>
      <figcaption className="pr-matrix-title">{title}</figcaption>
      <ol>
        {bars.map((b) => {
          const w = (Math.abs(b.value) / max) * (kind === 'signed' ? 50 : 100);
          const style =
            kind === 'signed'
              ? { width: `${w}%`, marginLeft: b.value >= 0 ? '50%' : `${50 - w}%` }
              : { width: `${Math.max(0.4, w)}%` };
          return (
            <li
              key={b.id}
              className={`${b.mark ? 'pr-bar-marked' : ''} ${b.faded ? 'pr-bar-faded' : ''}`}
              data-token-id={b.id}
              data-value={String(b.value)}
            >
              <span className="pr-bar-label">{visibleToken(b.label)}</span>
              <span className="pr-bar-track">
                <span className={b.value < 0 ? 'pr-bar pr-bar-neg' : 'pr-bar'} style={style} />
              </span>
              <span className="pr-bar-value">
                {kind === 'prob' ? percent(b.value) : formatValue(b.value)}
                {b.mark ? ` ◀ ${b.mark}` : ''}
              </span>
            </li>
          );
        })}
      </ol>
    </figure>
  );
}
