import type { Trace } from '@glassbox/compute';
import type { Sampling } from '@glassbox/store';
import { rowOf, samplePrediction } from '@glassbox/store';
import { visibleToken } from '@glassbox/views';
import { useMemo } from 'react';
import { selection, session, useStore } from '../stores';

/** Row labels for heatmaps: each token's display string, whitespace made visible. */
export function useTokenLabels(): string[] {
  const tokens = useStore(session, (s) => s.tokens);
  return useMemo(() => tokens.map((t) => visibleToken(t.text)), [tokens]);
}

/** Display string of a vocabulary id (for logits and distributions). */
export function useVocabLabel(): (id: number) => string {
  const model = useStore(session, (s) => s.model);
  return useMemo(() => {
    const cache = new Map<number, string>();
    return (id: number) => {
      let s = cache.get(id);
      if (s === undefined) {
        try {
          s = model ? model.tokenizer.idToToken(id) : String(id);
        } catch {
          s = `#${id}`;
        }
        cache.set(id, s);
      }
      return s;
    };
  }, [model]);
}

/** The selected position, or the last one. */
export function useSelectedPosition(): number {
  const token = useStore(selection, (s) => s.token);
  const T = useStore(session, (s) => s.tokens.length);
  return token ?? Math.max(0, T - 1);
}

export function selectRow(row: number): void {
  selection.getState().setToken(row);
}

/** The sampling step on the real logits at `position` (the prediction for the token after it), under `settings`. */
export function usePrediction(trace: Trace, position: number, settings: Sampling) {
  const { temperature, topK, topP, seed } = settings;
  return useMemo(
    () => samplePrediction(rowOf(trace.hook_logits, position), { temperature, topK, topP, seed }, position + 1),
    [trace, position, temperature, topK, topP, seed],
  );
}
