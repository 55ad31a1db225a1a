import { dMlp, softmaxWithTemperature } from '@glassbox/compute';
import type { Intervention } from '@glassbox/store';
import { rowOf } from '@glassbox/store';
import { Distribution } from '@glassbox/views';
import { useId, useMemo, useState } from 'react';
import { selection, session, useStore } from '../stores';
import { useVocabLabel } from './common';

function describe(i: Intervention): string {
  return i.kind === 'head' ? `layer ${i.layer}, head ${i.head}` : `layer ${i.layer}, neuron ${i.neuron}`;
}

function same(a: Intervention | null, b: Intervention): boolean {
  return a !== null && JSON.stringify(a) === JSON.stringify(b);
}

/** "What if": zero one attention head or one MLP neuron through an intervention hook and compare the prediction. */
export function WhatIf() {
  const model = useStore(session, (s) => s.model);
  const trace = useStore(session, (s) => s.trace);
  const intervention = useStore(session, (s) => s.intervention);
  const result = useStore(session, (s) => s.interventionResult);
  const layer = useStore(selection, (s) => s.layer);
  const head = useStore(selection, (s) => s.head);
  const [neuronText, setNeuronText] = useState('0');
  const neuronId = useId();
  const label = useVocabLabel();

  const probs = useMemo(() => {
    if (!trace || !result) return null;
    return {
      before: softmaxWithTemperature(rowOf(trace.hook_logits, result.position), 1).probs,
      after: softmaxWithTemperature(result.logits, 1).probs,
    };
  }, [trace, result]);

  if (!model) return null;
  const m = dMlp(model.config);
  const neuron = Number(neuronText);
  const neuronOk = Number.isInteger(neuron) && neuron >= 0 && neuron < m && neuronText.trim() !== '';
  const headI: Intervention = { kind: 'head', layer, head };
  const neuronI: Intervention = { kind: 'neuron', layer, neuron: neuronOk ? neuron : 0 };
  const toggle = (i: Intervention) => session.getState().setIntervention(same(intervention, i) ? null : i);

  return (
    <section className="panel" aria-labelledby="whatif-h" data-testid="whatif">
      <h3 id="whatif-h">What if…</h3>
      <p className="hint">
        Zero one attention head’s output (<code>hook_z</code>) or one MLP neuron (<code>hook_post</code>) of the
        selected layer, run the model again, and compare its next-token prediction.
      </p>
      <div className="row">
        <button
          type="button"
          data-testid="zero-head"
          aria-pressed={same(intervention, headI)}
          onClick={() => toggle(headI)}
        >
          Zero head {head} of layer {layer}
        </button>
      </div>
      <div className="row neuron-row">
        <label htmlFor={neuronId}>Neuron (0–{m - 1})</label>
        <input
          id={neuronId}
          value={neuronText}
          size={5}
          inputMode="numeric"
          aria-invalid={!neuronOk}
          onChange={(e) => setNeuronText(e.target.value)}
        />
        <button
          type="button"
          data-testid="zero-neuron"
          disabled={!neuronOk}
          aria-pressed={same(intervention, neuronI)}
          onClick={() => toggle(neuronI)}
        >
          Zero it
        </button>
      </div>
      {!neuronOk && <p className="field-error">The neuron must be a whole number from 0 to {m - 1}.</p>}
      {intervention && (
        <p className="hint">
          Now zeroed: {describe(intervention)}.{' '}
          <button type="button" onClick={() => session.getState().setIntervention(null)}>
            Restore
          </button>
        </p>
      )}
      {intervention && probs && (
        <Distribution
          title={`Next-token prediction, normal and with ${describe(intervention)} zeroed (temperature 1)`}
          probs={probs.before}
          compare={{ probs: probs.after, label: 'zeroed' }}
          baseLabel="normal"
          label={label}
          n={8}
          width={330}
          testId="whatif-distribution"
        />
      )}
    </section>
  );
}
