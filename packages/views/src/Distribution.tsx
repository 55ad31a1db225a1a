import { topIndices } from '@glassbox/compute';
import { scaleLinear } from 'd3-scale';
import { visibleToken } from './TokenStrip';

export interface DistributionProps {
  title: string;
  /** [V] next-token probabilities (after temperature, before top-k/top-p). */
  probs: ArrayLike<number>;
  /** Display string of a token id. */
  label: (id: number) => string;
  /** Number of bars. */
  n?: number;
  /** [V] 1 where the token survived top-k (compute's SampleStep.keptAfterTopK); omitted: no top-k. */
  keptAfterTopK?: ArrayLike<number> | null;
  /** [V] 1 where the token survived every filter (SampleStep.kept). */
  kept?: ArrayLike<number> | null;
  topK?: number | null;
  topP?: number | null;
  sampled?: number | null;
  /** A second distribution drawn beside the first (e.g. after zeroing a head). */
  compare?: { probs: ArrayLike<number>; label: string } | null;
  baseLabel?: string;
  /** Total width in px (bars shrink to fit, e.g. in a side panel). */
  width?: number;
  testId?: string;
}

export interface DistributionRow {
  id: number;
  prob: number;
  compareProb: number | null;
  /** Survived top-k / every filter (true when there is no filter). */
  keptAfterTopK: boolean;
  kept: boolean;
}

export interface DistributionModel {
  rows: DistributionRow[];
  /** Number of shown rows above the top-k line (null: no line among the shown bars). */
  topKLine: number | null;
  topPLine: number | null;
  /** Tokens kept by every filter, and their total probability (before renormalising). */
  keptCount: number;
  keptMass: number;
}

/**
 * The bars to draw: the n most probable tokens, largest first. Because top-k and top-p keep a prefix of this
 * ranking (ties towards the lower id, as compute ranks them), each cut-off is a line between two bars.
 */
export function distributionModel(
  probs: ArrayLike<number>,
  n: number,
  keptAfterTopK?: ArrayLike<number> | null,
  kept?: ArrayLike<number> | null,
  compare?: ArrayLike<number> | null,
): DistributionModel {
  const ids = topIndices(probs, n);
  const rows = ids.map((id) => ({
    id,
    prob: probs[id],
    compareProb: compare ? compare[id] : null,
    keptAfterTopK: keptAfterTopK ? keptAfterTopK[id] === 1 : true,
    kept: kept ? kept[id] === 1 : true,
  }));
  const line = (flags: boolean[]) => {
    const count = flags.filter(Boolean).length;
    return count < rows.length ? count : null;
  };
  let keptCount = 0;
  let keptMass = 0;
  if (kept) {
    for (let i = 0; i < probs.length; i++) {
      if (kept[i] === 1) {
        keptCount++;
        keptMass += probs[i];
      }
    }
  } else {
    keptCount = probs.length;
    keptMass = 1;
  }
  return {
    rows,
    topKLine: keptAfterTopK ? line(rows.map((r) => r.keptAfterTopK)) : null,
    topPLine: kept ? line(rows.map((r) => r.kept)) : null,
    keptCount,
    keptMass,
  };
}

const ROW = 22;
const CUT_LABEL = 150;

function pct(p: number): string {
  if (p === 0) return '0%';
  if (p < 0.0001) return `${(p * 100).toExponential(1)}%`;
  return `${(p * 100).toFixed(p < 0.01 ? 3 : 1)}%`;
}

/** Top-N next-token probabilities as bars, with the top-k and top-p cut-offs drawn as lines between bars. */
export function Distribution({
  title,
  probs,
  label,
  n = 15,
  keptAfterTopK = null,
  kept = null,
  topK = null,
  topP = null,
  sampled = null,
  compare = null,
  baseLabel = 'now',
  width = 580,
  testId,
}: DistributionProps) {
  const LABEL = Math.min(120, Math.round(width * 0.22));
  const VALUE = compare ? 130 : 120;
  const BAR = Math.max(60, width - LABEL - VALUE);
  const model = distributionModel(probs, n, keptAfterTopK, kept, compare?.probs);
  const max = Math.max(...model.rows.map((r) => Math.max(r.prob, r.compareProb ?? 0)), 1e-9);
  const x = scaleLinear().domain([0, max]).range([0, BAR]);
  const barH = compare ? 8 : 14;
  const height = model.rows.length * ROW + 8;
  // Cut-off labels get their own column on the right, clear of the bars' value texts.
  const hasCuts = model.topKLine !== null || model.topPLine !== null;
  const svgWidth = width + (hasCuts ? CUT_LABEL : 0);
  const cut = (at: number | null, text: string, cls: string) =>
    at === null ? null : (
      <g className={cls} transform={`translate(0,${at * ROW + 2})`}>
        <line x1={0} x2={svgWidth} y1={0} y2={0} />
        <text x={svgWidth - 4} y={-3} textAnchor="end">
          {text}
        </text>
      </g>
    );
  // When both cut at the same bar, draw one label for both.
  const sameCut = model.topKLine !== null && model.topKLine === model.topPLine;
  return (
    <figure className="gb-distribution" data-testid={testId}>
      <figcaption>{title}</figcaption>
      {compare && (
        <p className="gb-distribution-key">
          <span className="gb-swatch gb-bar-base" /> {baseLabel} <span className="gb-swatch gb-bar-compare" />{' '}
          {compare.label}
        </p>
      )}
      <svg
        width={svgWidth}
        height={height}
        role="img"
        aria-label={`${title}: bars of the ${model.rows.length} most probable tokens`}
      >
        {model.rows.map((r, i) => {
          const cls = r.kept ? 'gb-bar-kept' : r.keptAfterTopK ? 'gb-bar-cut-p' : 'gb-bar-cut-k';
          return (
            <g
              key={r.id}
              transform={`translate(0,${i * ROW + 4})`}
              data-token-id={r.id}
              data-prob={r.prob}
              className={r.id === sampled ? 'gb-bar-row gb-sampled' : 'gb-bar-row'}
            >
              <text x={LABEL - 6} y={barH - 2} textAnchor="end" className="gb-bar-label">
                {visibleToken(label(r.id))}
              </text>
              <rect
                x={LABEL}
                y={0}
                width={Math.max(1, x(r.prob))}
                height={barH}
                className={compare ? 'gb-bar-base' : cls}
              />
              {r.compareProb !== null && (
                <rect
                  x={LABEL}
                  y={barH + 1}
                  width={Math.max(1, x(r.compareProb))}
                  height={barH}
                  className="gb-bar-compare"
                />
              )}
              <text
                x={LABEL + Math.max(1, x(Math.max(r.prob, r.compareProb ?? 0))) + 4}
                y={barH - 2}
                className="gb-bar-value"
              >
                {pct(r.prob)}
                {r.compareProb !== null ? ` → ${pct(r.compareProb)}` : ''}
                {r.id === sampled ? '  ◀ sampled' : ''}
              </text>
            </g>
          );
        })}
        {sameCut
          ? cut(model.topKLine, `top-k = ${topK} · top-p = ${topP}`, 'gb-cut gb-cut-k')
          : [
              cut(model.topKLine, `top-k = ${topK}`, 'gb-cut gb-cut-k'),
              cut(model.topPLine, `top-p = ${topP}`, 'gb-cut gb-cut-p'),
            ]}
      </svg>
      {kept && (
        <p className="gb-distribution-note">
          {model.keptCount} token{model.keptCount === 1 ? '' : 's'} kept ({pct(model.keptMass)} of the probability),
          renormalised before the draw. Grey bars were cut by top-k, grey bars with a dashed outline by top-p.
        </p>
      )}
      <ol className="gb-sr-only">
        {model.rows.map((r) => (
          <li key={r.id}>
            {label(r.id)}: {pct(r.prob)}
            {r.compareProb !== null ? `, ${compare?.label} ${pct(r.compareProb)}` : ''}
            {r.kept ? '' : ' (cut)'}
          </li>
        ))}
      </ol>
    </figure>
  );
}
