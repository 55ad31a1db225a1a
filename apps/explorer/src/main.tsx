import 'katex/dist/katex.min.css';
import '@glassbox/views/views.css';
import './app.css';
import { lazy, StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { installDebugHooks } from './debug';
import { Shell } from './lab/Shell';

// Presentation mode (?lecture=…) is its own screen, loaded only when asked for.
const Present = lazy(() => import('./present/Present').then((m) => ({ default: m.Present })));
const presenting = new URLSearchParams(window.location.search).has('lecture');

installDebugHooks(window.location.search);
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    {presenting ? (
      <Suspense fallback={null}>
        <Present />
      </Suspense>
    ) : (
      <Shell />
    )}
  </StrictMode>,
);
