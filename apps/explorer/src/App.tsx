import { useEffect, useState } from 'react';
import { ModelBar } from './components/ModelBar';
import { NormsOverview } from './components/NormsOverview';
import { Notices } from './components/Notices';
import { OnnxCheck } from './components/OnnxCheck';
import { PromptBox } from './components/PromptBox';
import { SamplingPanel } from './components/SamplingPanel';
import { go, Stepper } from './components/Stepper';
import { StepView } from './components/StepView';
import { WhatIf } from './components/WhatIf';
import { session, stepper, useStore } from './stores';
import { startUrlSync } from './url';

/** Arrow keys step through the pass unless focus is in a control that uses them itself. */
function isTypingTarget(el: EventTarget | null): boolean {
  if (!(el instanceof HTMLElement)) return false;
  return el.closest('input, textarea, select, [contenteditable], [role="application"][tabindex]') !== null;
}

export function App() {
  const [ready, setReady] = useState(false);
  const model = useStore(session, (s) => s.model);
  const status = useStore(session, (s) => s.status);

  useEffect(() => {
    let cancelled = false;
    let stop = () => {};
    startUrlSync().then((s) => {
      if (cancelled) s();
      else {
        stop = s;
        setReady(true);
      }
    });
    return () => {
      cancelled = true;
      stop();
    };
  }, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey || e.ctrlKey || e.metaKey || isTypingTarget(e.target)) return;
      if (e.key === 'ArrowRight') go(() => stepper.getState().next());
      else if (e.key === 'ArrowLeft') go(() => stepper.getState().prev());
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <div className="app" data-ready={ready && status !== 'running' && status !== 'loading'} data-testid="app">
      <header className="app-header">
        <h1>
          Glassbox <span className="subtitle">watch every number inside a GPT</span>
        </h1>
        <ModelBar onModelChanged={() => {}} />
        {model && <p className="model-description">{model.description}</p>}
      </header>
      <Notices />
      <PromptBox />
      <Stepper />
      <main className="layout">
        <div className="main-column">{model && <StepView />}</div>
        <aside className="side-column" aria-label="Settings and overviews">
          <SamplingPanel />
          <CopyLink />
          <NormsOverview />
          <WhatIf />
          <OnnxCheck />
        </aside>
      </main>
      <footer className="app-footer">
        Keyboard: ← / → step through the pass; in a heatmap, arrow keys move the cursor and Enter selects the token.{' '}
        <a href="?lecture=forward-pass" data-testid="present-link">
          Presentation mode
        </a>{' '}
        (a lecture for a projector).
      </footer>
    </div>
  );
}

function CopyLink() {
  const [copied, setCopied] = useState(false);
  return (
    <section className="panel">
      <button
        type="button"
        data-testid="copy-link"
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(window.location.href);
            setCopied(true);
          } catch {
            setCopied(false);
          }
        }}
      >
        Copy link to this view
      </button>{' '}
      {copied && <span role="status">copied</span>}
    </section>
  );
}
