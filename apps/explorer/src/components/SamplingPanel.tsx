import type { SamplingField } from '@glassbox/store';
import { parseSamplingInput, TEMPERATURE_MAX } from '@glassbox/store';
import { TemperatureSlider as SliderView } from '@glassbox/views';
import { useEffect, useId, useState } from 'react';
import { sampling, useStore } from '../stores';

/** The temperature slider: it re-renders the distribution live (sampling is recomputed from the logits, no rerun). */
export function TemperatureSlider() {
  const temperature = useStore(sampling, (s) => s.temperature);
  return (
    <SliderView
      className="temperature"
      value={temperature}
      max={TEMPERATURE_MAX}
      onChange={(t) => sampling.getState().set('temperature', t)}
    />
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
