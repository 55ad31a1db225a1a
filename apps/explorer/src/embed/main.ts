// The iframe route's page script: one widget, its attributes from the URL, its height posted to the parent.
// Importing @glassbox/widgets defines the custom elements.
import { WIDGET_ATTRIBUTES } from '@glassbox/widgets';
import type { EmbedView } from './protocol';
import { EMBED_VIEWS, heightMessage, isEmbedView, parseEmbedUrl, readParentMessage, viewFromPath } from './protocol';

function start(): void {
  const host = document.getElementById('embed');
  if (!host) throw new Error('the embed page has no #embed element');
  const named = document.body.dataset.view ?? '';
  const view: EmbedView | null = isEmbedView(named) ? named : viewFromPath(window.location.pathname);
  if (!view) {
    const p = document.createElement('p');
    p.textContent = `Unknown embed view. Views: ${Object.keys(EMBED_VIEWS).join(', ')}.`;
    host.append(p);
    return;
  }
  const allowed = WIDGET_ATTRIBUTES[EMBED_VIEWS[view]] ?? [];
  const config = parseEmbedUrl(view, window.location.search, allowed);
  if (config.ignored.length > 0) console.warn(`Glassbox embed ignored: ${config.ignored.join('; ')}`);

  const widget = document.createElement(config.tag);
  for (const [name, value] of config.attributes) widget.setAttribute(name, value);
  host.append(widget);

  const targets = config.parents.length > 0 ? config.parents : ['*'];
  let posted = -1;
  const postHeight = (force = false) => {
    if (window.parent === window) return;
    const msg = heightMessage(host.getBoundingClientRect().height);
    if (!force && msg.height === posted) return;
    posted = msg.height;
    for (const origin of targets) window.parent.postMessage(msg, origin);
  };
  new ResizeObserver(() => postHeight()).observe(host);

  window.addEventListener('message', (event) => {
    if (event.source !== window.parent || !config.parents.includes(event.origin)) return;
    const msg = readParentMessage(event.data, allowed);
    if (msg?.type === 'request-height') postHeight(true);
    else if (msg?.type === 'set') for (const [name, value] of msg.attributes) widget.setAttribute(name, value);
  });
}

start();
