import type { SamplingField } from '@glassbox/store';
import { parseSamplingInput, TEMPERATURE_MAX } from '@glassbox/store';
import { useEffect, useId, useState } from 'react';
import { sampling, useStore } from '../stores';

/** The temperature slider: it re-renders the distribution live (sampling is recomputed from the logits, no rerun). */
export function TemperatureSlider() {
  const temperature = useStore(sampling, (s) => s.temperature);
  const id = useId();
  return (
    <div className="temperature">
      <label htmlFor={id}>
        Temperature <output data-testid="temperature-value">{temperature.toFixed(2)}</output>
        {temperature === 0 ? ' (greedy)' : ''}
      </label>
      <input
        id={id}
        type="range"
        min={0}
        max={TEMPERATURE_MAX}
        step={0.05}
        value={temperature}
        onChange={(e) => sampling.getState().set('temperature', Number(e.target.value))}
        data-testid="temperature"
      />
    </div>
  );
}

function Field({ field, label, hint }: { field: SamplingField; label: string; hint: string }) {
  const value = useStore(sampling, (s) => s[field]);
  const error = useStore(sampling, (s) => s.errors[field]);
  const [text, setText] = useState(value === null ? '' : String(value));
  const id = useId();
  useEffect(() => setText(value === null ? '' : String(value)), [value]);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        value={text}
        inputMode="decimal"
        placeholder={hint}
        aria-invalid={error !== undefined}
        aria-describedby={error ? `${id}-err` : undefined}
        onChange={(e) => {
          setText(e.target.value);
          sampling.getState().set(field, parseSamplingInput(field, e.target.value));
        }}
        data-testid={`sampling-${field}`}
      />
      {error && (
        <span id={`${id}-err`} className="field-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

export function SamplingPanel() {
  return (
    <section className="panel" aria-labelledby="sampling-h">
      <h3 id="sampling-h">Sampling</h3>
      <TemperatureSlider />
      <Field field="topK" label="Top-k" hint="off" />
      <Field field="topP" label="Top-p" hint="off" />
      <Field field="seed" label="Seed" hint="0" />
    </section>
  );
}
