import type { KeyboardEvent } from 'react';
import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import { App } from '../App';
import './lab.css';
// Read the address's ?engine / ?debug before the explorer rewrites it.
import './labOptions';

const Lab = lazy(() => import('./Lab').then((m) => ({ default: m.Lab })));

type Tab = 'explorer' | 'lab';
const TABS: { id: Tab; label: string }[] = [
  { id: 'explorer', label: 'Explorer' },
  { id: 'lab', label: 'Training lab' },
];

const tabFromHash = (): Tab => (window.location.hash === '#lab' ? 'lab' : 'explorer');

/**
 * "Explorer | Training lab". The explorer stays mounted when the lab is shown (and the lab, once opened, keeps
 * training while the explorer is shown), so switching loses nothing. The tab is in the address as #lab.
 */
export function Shell() {
  const [tab, setTab] = useState<Tab>(tabFromHash);
  const [labOpened, setLabOpened] = useState(tab === 'lab');
  const tabRef = useRef(tab);
  tabRef.current = tab;

  useEffect(() => {
    const onHash = () => setTab(tabFromHash());
    window.addEventListener('hashchange', onHash);
    // The explorer steps with ← / → on window; while the lab is shown those keys belong to the lab.
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (tabRef.current === 'lab' && (e.key === 'ArrowLeft' || e.key === 'ArrowRight')) e.stopPropagation();
    };
    document.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('hashchange', onHash);
      document.removeEventListener('keydown', onKey);
    };
  }, []);

  const choose = (t: Tab) => {
    setTab(t);
    if (t === 'lab') setLabOpened(true);
    const { pathname, search } = window.location;
    window.history.replaceState(null, '', `${pathname}${search}${t === 'lab' ? '#lab' : ''}`);
  };

  const onTabKey = (e: KeyboardEvent<HTMLButtonElement>) => {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    e.preventDefault();
    e.stopPropagation();
    const i = TABS.findIndex((t) => t.id === tab);
    const next = TABS[(i + (e.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length].id;
    choose(next);
    document.getElementById(`tab-${next}`)?.focus();
  };

  return (
    <>
      <div className="shell-tabs" role="tablist" aria-label="Glassbox">
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`panel-${t.id}`}
            tabIndex={tab === t.id ? 0 : -1}
            onClick={() => choose(t.id)}
            onKeyDown={onTabKey}
            data-testid={`tab-${t.id}`}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="panel-explorer" aria-labelledby="tab-explorer" hidden={tab !== 'explorer'}>
        <App />
      </div>
      {labOpened && (
        <div role="tabpanel" id="panel-lab" aria-labelledby="tab-lab" hidden={tab !== 'lab'}>
          <Suspense fallback={<p className="app">Loading the training lab…</p>}>
            <Lab onOpenInExplorer={() => choose('explorer')} />
          </Suspense>
        </div>
      )}
    </>
  );
}
