import { Formula } from './Formula';

export interface HookShape {
  name: string;
  shape: readonly number[];
}

export interface StepExplanationProps {
  title: string;
  explanation: string;
  formula: string;
  /** "Layer 1" for per-layer steps. */
  where?: string;
  /** e.g. "Step 5 of 32". */
  position?: string;
  /** The hooks whose tensors the step shows, with their concrete shapes. */
  hooks?: readonly HookShape[];
}

/** The header of every step: what happens, the formula, and which named tensors hold the numbers shown. */
export function StepExplanation({ title, explanation, formula, where, position, hooks = [] }: StepExplanationProps) {
  return (
    <header className="gb-step-explanation">
      <p className="gb-step-position">
        {position}
        {where ? ` · ${where}` : ''}
      </p>
      <h2 data-testid="step-title">{title}</h2>
      <p className="gb-step-text">{explanation}</p>
      <Formula tex={formula} />
      {hooks.length > 0 && (
        <ul className="gb-hook-list" aria-label="Tensors shown">
          {hooks.map((h) => (
            <li key={h.name}>
              <code>{h.name}</code> [{h.shape.join(', ')}]
            </li>
          ))}
        </ul>
      )}
    </header>
  );
}
