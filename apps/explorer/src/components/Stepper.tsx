import { STEP_INFO, stepId } from '@glassbox/store';
import { navTiming, selection, session, stepper, useStore } from '../stores';

export function go(action: () => void): void {
  navTiming.start = performance.now();
  action();
}

/** Previous / next, a list of every step, and the layer and head pickers. Arrow keys are handled by the App. */
export function Stepper() {
  const steps = useStore(stepper, (s) => s.steps);
  const kind = useStore(stepper, (s) => s.kind);
  const layer = useStore(selection, (s) => s.layer);
  const head = useStore(selection, (s) => s.head);
  const model = useStore(session, (s) => s.model);
  const index = stepper.getState().index();
  const nLayer = model?.config.n_layer ?? 1;
  const nHead = model?.config.n_head ?? 1;
  void kind;

  return (
    <nav className="stepper" aria-label="Steps of the forward pass">
      <button
        type="button"
        onClick={() => go(() => stepper.getState().prev())}
        disabled={index === 0}
        data-testid="prev"
        aria-keyshortcuts="ArrowLeft"
      >
        ◀ Back
      </button>
      <label>
        <span className="sr-only">Step</span>
        <select
          value={index}
          onChange={(e) => go(() => stepper.getState().goTo(Number(e.target.value)))}
          data-testid="step-select"
        >
          {steps.map((s, i) => (
            <option key={stepId(s)} value={i} data-step-id={stepId(s)}>
              {i + 1}. {s.layer !== null ? `Layer ${s.layer}: ` : ''}
              {STEP_INFO[s.kind].title}
            </option>
          ))}
        </select>
      </label>
      <button
        type="button"
        onClick={() => go(() => stepper.getState().next())}
        disabled={index >= steps.length - 1}
        data-testid="next"
        aria-keyshortcuts="ArrowRight"
      >
        Next ▶
      </button>
      <span className="step-count" data-testid="step-count">
        step {index + 1} of {steps.length}
      </span>
      <label>
        Layer{' '}
        <select
          value={layer}
          onChange={(e) => go(() => selection.getState().setLayer(Number(e.target.value)))}
          data-testid="layer-select"
        >
          {Array.from({ length: nLayer }, (_, l) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: layers are indices
            <option key={l} value={l}>
              {l}
            </option>
          ))}
        </select>
      </label>
      <label>
        Head{' '}
        <select
          value={head}
          onChange={(e) => selection.getState().setHead(Number(e.target.value))}
          data-testid="head-select"
        >
          {Array.from({ length: nHead }, (_, h) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: heads are indices
            <option key={h} value={h}>
              {h}
            </option>
          ))}
        </select>
      </label>
    </nav>
  );
}
