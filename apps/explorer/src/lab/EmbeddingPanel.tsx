import type { Pca2, StoreApi, TrainingState } from '@glassbox/store';
import { findToken, neighboursOf, pca2, vectorArithmetic } from '@glassbox/store';
import type { ScatterMark } from '@glassbox/views';
import { EmbeddingScatter, visibleToken } from '@glassbox/views';
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { useStore } from 'zustand';
import { fmt } from './tensors';

type Embedding = NonNullable<TrainingState['embedding']>;

/** The latest value, but at most once per `ms` (PCA of a big vocabulary is not free; the class needs ~2 frames/s). */
function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    const wait = last.current + ms - performance.now();
    if (wait <= 0) {
      last.current = performance.now();
      setShown(value);
      return;
    }
    const timer = setTimeout(() => {
      last.current = performance.now();
      setShown(value);
    }, wait);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return shown;
}

function TokenInput({
  label,
  value,
  onChange,
  listId,
  testId,
  error,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  listId: string;
  testId: string;
  error: boolean;
}) {
  return (
    <label className="lab-token-input">
      {label}{' '}
      <input
        value={value}
        onChange={(e) => onChange(e.target.value)}
        list={listId}
        size={10}
        aria-invalid={error}
        data-testid={testId}
        spellCheck={false}
      />
    </label>
  );
}

/**
 * The token embedding W_E as training changes it: a 2-D PCA (recomputed as snapshots arrive, oriented like the last
 * frame), the nearest neighbours of a chosen token by cosine similarity, and a − b + c.
 */
export function EmbeddingPanel({ store }: { store: StoreApi<TrainingState> }) {
  const raw = useStore(store, (s) => s.embedding);
  const step = useStore(store, (s) => s.embeddingStep);
  const info = useStore(store, (s) => s.info);
  const vocab = info?.vocab ?? [];
  const big = (raw?.rows ?? 0) * (raw?.cols ?? 0) > 100_000;
  const embedding = useThrottled<Embedding | null>(raw, big ? 1000 : 150);
  const previous = useRef<Pca2 | null>(null);
  const pca = useMemo(() => {
    if (!embedding) return null;
    const p = pca2(embedding, previous.current?.components[0].length === embedding.cols ? previous.current : null);
    previous.current = p;
    return p;
  }, [embedding]);
  const listId = useId();
  const defaults = vocab.includes('cat')
    ? ['cat', 'happy', 'sad', 'dog']
    : [vocab[0] ?? '', vocab[1] ?? '', vocab[2] ?? '', vocab[3] ?? ''];
  const [chosen, setChosen] = useState<string | null>(null);
  const [a, setA] = useState<string | null>(null);
  const [b, setB] = useState<string | null>(null);
  const [c, setC] = useState<string | null>(null);
  const chosenText = chosen ?? defaults[0];
  const [aText, bText, cText] = [a ?? defaults[1], b ?? defaults[2], c ?? defaults[3]];
  if (!embedding || !pca || !info) return null;
  const selected = findToken(vocab, chosenText);
  const ia = findToken(vocab, aText);
  const ib = findToken(vocab, bText);
  const ic = findToken(vocab, cText);
  const neighbours = selected !== null ? neighboursOf(embedding, selected, 5) : [];
  const arithmetic = ia !== null && ib !== null && ic !== null ? vectorArithmetic(embedding, ia, ib, ic, 5) : null;
  const marks: { id: number; mark: ScatterMark }[] = [
    ...neighbours.map((n) => ({ id: n.id, mark: 'neighbour' as const })),
    ...(arithmetic ? arithmetic.nearest.slice(0, 1).map((n) => ({ id: n.id, mark: 'result' as const })) : []),
    ...[ia, ib, ic].filter((x): x is number => x !== null).map((id) => ({ id, mark: 'operand' as const })),
  ];
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  return (
    <section className="panel lab-embedding" aria-labelledby="lab-embedding-title" data-testid="lab-embedding">
      <h2 id="lab-embedding-title">Embedding space</h2>
      <p className="hint">
        Every row of the token embedding W_E [{embedding.rows}, {embedding.cols}] projected on its two principal
        components (PCA: the two directions in which the rows vary most), after step {step}. Updated as training runs.
      </p>
      <datalist id={listId}>
        {vocab.length <= 5000 && [...new Set(vocab)].map((v) => <option key={v} value={v} />)}
      </datalist>
      <EmbeddingScatter
        title={`W_E after step ${step}`}
        points={pca.points}
        labels={vocab}
        xLabel={`PC 1 (${pct(pca.explained[0])} of variance)`}
        yLabel={`PC 2 (${pct(pca.explained[1])})`}
        selected={selected}
        marks={marks}
        onSelect={(id) => setChosen(vocab[id])}
        testId="lab-scatter"
      />
      <div className="lab-neighbours">
        <TokenInput
          label="Nearest neighbours of"
          value={chosenText}
          onChange={setChosen}
          listId={listId}
          testId="lab-neighbour-token"
          error={selected === null}
        />
        {selected === null ? (
          <p role="status">“{chosenText}” is not a token of this vocabulary.</p>
        ) : (
          <ol data-testid="lab-neighbours" aria-label={`Nearest neighbours of ${chosenText} by cosine similarity`}>
            {neighbours.map((n) => (
              <li key={n.id} data-token={vocab[n.id]} data-cosine={n.cosine}>
                <code>{visibleToken(vocab[n.id])}</code> cosine {fmt(n.cosine, 3)}
              </li>
            ))}
          </ol>
        )}
      </div>
      <fieldset className="lab-arith" data-testid="lab-arith">
        <legend>Vector arithmetic: a − b + c → nearest tokens (cosine; a, b, c left out)</legend>
        <TokenInput label="a" value={aText} onChange={setA} listId={listId} testId="lab-arith-a" error={ia === null} />
        <span aria-hidden="true">−</span>
        <TokenInput label="b" value={bText} onChange={setB} listId={listId} testId="lab-arith-b" error={ib === null} />
        <span aria-hidden="true">+</span>
        <TokenInput label="c" value={cText} onChange={setC} listId={listId} testId="lab-arith-c" error={ic === null} />
        {arithmetic ? (
          <ol data-testid="lab-arith-result" aria-label="Nearest tokens to a − b + c">
            {arithmetic.nearest.map((n) => (
              <li key={n.id} data-token={vocab[n.id]}>
                <code>{visibleToken(vocab[n.id])}</code> cosine {fmt(n.cosine, 3)}
              </li>
            ))}
          </ol>
        ) : (
          <p role="status">Type three tokens of the vocabulary.</p>
        )}
      </fieldset>
    </section>
  );
}
