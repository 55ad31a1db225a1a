import 'katex/dist/katex.min.css';
import '@glassbox/views/views.css';
import './app.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { installDebugHooks } from './debug';
import { Shell } from './lab/Shell';

installDebugHooks(window.location.search);
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <Shell />
  </StrictMode>,
);
