/**
 * The iframe route (`/embed/<view>?prompt=…&layer=…&parent=https://course.example.edu`) for course platforms that
 * allow iframes but no scripts. The page holds one widget; its URL's parameters become the widget's attributes (as
 * text: setAttribute, never HTML), and it tells the parent page its height by postMessage so the parent can size the
 * iframe with no scroll bar.
 *
 * Messages, all plain objects:
 *   embed → parent   { type: 'glassbox:height', height: <CSS px, integer> }     whenever the height changes
 *   parent → embed   { type: 'glassbox:request-height' }                        answered with a height message
 *   parent → embed   { type: 'glassbox:set', attributes: { prompt: '…', … } }  sets the widget's attributes
 *
 * Origins: `parent` (repeatable, or comma-separated) lists the origins of the pages allowed to embed and steer this
 * one. Height messages are posted to those origins only (to '*' when none is configured: a height says nothing
 * private). Messages from the parent are accepted only from a configured origin and only from the parent window;
 * their values are strings copied into attributes the widget reads, nothing is ever evaluated.
 */

export const EMBED_VIEWS = {
  attention: 'glassbox-attention',
  tokenizer: 'glassbox-tokenizer',
  'next-token': 'glassbox-next-token',
  stepper: 'glassbox-stepper',
  training: 'glassbox-training',
} as const;

export type EmbedView = keyof typeof EMBED_VIEWS;

export const HEIGHT_MESSAGE = 'glassbox:height';
export const REQUEST_HEIGHT_MESSAGE = 'glassbox:request-height';
export const SET_MESSAGE = 'glassbox:set';

/** Longest attribute value taken from a URL or a message (the widgets refuse long prompts anyway). */
export const MAX_VALUE_LENGTH = 2000;

export interface EmbedConfig {
  view: EmbedView;
  tag: string;
  /** [name, value] for each of the widget's attributes the URL sets. */
  attributes: [string, string][];
  /** Origins allowed to receive heights and send messages ("https://host[:port]"). */
  parents: string[];
  /** Things in the URL that were ignored, for the console (the widget itself shows attribute problems). */
  ignored: string[];
}

export function isEmbedView(v: string): v is EmbedView {
  return Object.hasOwn(EMBED_VIEWS, v);
}

/** The view of a path such as /embed/attention or /embed/attention.html (null when it names none). */
export function viewFromPath(pathname: string): EmbedView | null {
  const last = pathname.split('/').filter(Boolean).pop() ?? '';
  const name = last.replace(/\.html$/, '');
  return isEmbedView(name) ? name : null;
}

/** An origin exactly as browsers report event.origin (scheme://host[:port]), or null when `text` is not one. */
export function normalizeOrigin(text: string): string | null {
  try {
    const u = new URL(text.trim());
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
    // Only a bare origin: "https://a.edu/path" is refused rather than silently cut down.
    if (u.origin !== text.trim().replace(/\/$/, '')) return null;
    return u.origin;
  } catch {
    return null;
  }
}

export function parseEmbedUrl(view: EmbedView, search: string, attributes: readonly string[]): EmbedConfig {
  const params = new URLSearchParams(search);
  const config: EmbedConfig = { view, tag: EMBED_VIEWS[view], attributes: [], parents: [], ignored: [] };
  for (const [name, value] of params) {
    if (name === 'parent') {
      for (const part of value.split(',')) {
        const origin = normalizeOrigin(part);
        if (origin && !config.parents.includes(origin)) config.parents.push(origin);
        else if (!origin) config.ignored.push(`parent=${part} (not an origin such as https://course.example.edu)`);
      }
    } else if (attributes.includes(name)) {
      config.attributes.push([name, value.slice(0, MAX_VALUE_LENGTH)]);
    } else {
      config.ignored.push(`${name} (the ${view} widget has no such attribute)`);
    }
  }
  return config;
}

export type ParentMessage = { type: 'request-height' } | { type: 'set'; attributes: [string, string][] };

/**
 * A message from the parent, checked field by field; anything else (wrong shape, unknown attribute, a value that is
 * not a string) is ignored. The caller has already checked the sender's origin and window.
 */
export function readParentMessage(data: unknown, attributes: readonly string[]): ParentMessage | null {
  if (typeof data !== 'object' || data === null) return null;
  const d = data as { type?: unknown; attributes?: unknown };
  if (d.type === REQUEST_HEIGHT_MESSAGE) return { type: 'request-height' };
  if (d.type !== SET_MESSAGE || typeof d.attributes !== 'object' || d.attributes === null) return null;
  const set: [string, string][] = [];
  for (const [name, value] of Object.entries(d.attributes)) {
    if (attributes.includes(name) && typeof value === 'string') set.push([name, value.slice(0, MAX_VALUE_LENGTH)]);
  }
  return { type: 'set', attributes: set };
}

export function heightMessage(height: number): { type: typeof HEIGHT_MESSAGE; height: number } {
  return { type: HEIGHT_MESSAGE, height: Math.max(0, Math.ceil(height)) };
}
