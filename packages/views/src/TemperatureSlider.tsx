import { useId } from 'react';

export interface TemperatureSliderProps {
  value: number;
  /** The highest temperature offered (the store's TEMPERATURE_MAX); 0 is greedy. */
  max: number;
  onChange: (temperature: number) => void;
  className?: string;
}

/**
 * The temperature slider, with its value and "(greedy)" at 0. The explorer drives it from its sampling store, the
 * next-token widget from local state; the test ids are the ones both end-to-end suites read.
 */
export function TemperatureSlider({ value, max, onChange, className }: TemperatureSliderProps) {
  const id = useId();
  return (
    <div className={className}>
      <label htmlFor={id}>
        Temperature <output data-testid="temperature-value">{value.toFixed(2)}</output>
        {value === 0 ? ' (greedy)' : ''}
      </label>
      <input
        id={id}
        type="range"
        min={0}
        max={max}
        step={0.05}
        value={value}
        onChange={(e) => onChange(Number(e.target.value))}
        data-testid="temperature"
      />
    </div>
  );
}
