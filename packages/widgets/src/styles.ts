import viewsCss from '@glassbox/views/views.css?inline';
import widgetCss from './widget.css?inline';

/**
 * rem follows the host page's <html> font size, which a hostile (or merely unusual) page may set to anything; inside
 * a widget every rem of views.css becomes a multiple of --gbw-rem, which the widget root sets.
 */
export function remToVar(css: string): string {
  return css.replace(/(-?\d*\.?\d+)rem\b/g, 'calc($1 * var(--gbw-rem))');
}

export const WIDGET_CSS = `${remToVar(viewsCss)}\n${widgetCss}`;

let shared: CSSStyleSheet | null | undefined;

/** One constructed stylesheet adopted by every shadow root (null where the browser has no constructable sheets). */
function sharedSheet(): CSSStyleSheet | null {
  if (shared === undefined) {
    try {
      shared = new CSSStyleSheet();
      shared.replaceSync(WIDGET_CSS);
    } catch {
      shared = null;
    }
  }
  return shared;
}

/** Put the widget styles into a shadow root: adopted (shared) where possible, else a <style> element. */
export function styleShadowRoot(root: ShadowRoot): void {
  const sheet = sharedSheet();
  if (sheet && 'adoptedStyleSheets' in root) {
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
    return;
  }
  const style = document.createElement('style');
  style.textContent = WIDGET_CSS;
  root.append(style);
}
