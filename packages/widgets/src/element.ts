import type { ReactNode } from 'react';
import { createElement } from 'react';
import type { Root } from 'react-dom/client';
import { createRoot } from 'react-dom/client';
import type { Attributes } from './attributes';
import { messageOf } from './attributes';
import { WidgetErrorBoundary } from './ErrorBoundary';
import { styleShadowRoot } from './styles';

export interface WidgetDefinition {
  /** The custom element's name, e.g. 'glassbox-attention'. */
  tag: string;
  /** The attributes the widget reads; a change to any of them re-renders it. */
  attributes: readonly string[];
  /** The React component; it receives a snapshot of the attributes (null when absent). */
  component: (props: { attrs: Attributes }) => ReactNode;
}

let roots = 0;

/**
 * A custom element that renders a React component into an open shadow root (open so that assistive technology,
 * tests and curious students can look inside). Attribute changes are batched into one render per microtask.
 */
export function widgetElement(def: WidgetDefinition): CustomElementConstructor {
  return class GlassboxWidget extends HTMLElement {
    static observedAttributes = [...def.attributes];
    readonly #container: HTMLElement;
    #root: Root | null = null;
    #scheduled = false;

    constructor() {
      super();
      const shadow = this.attachShadow({ mode: 'open' });
      styleShadowRoot(shadow);
      this.#container = document.createElement('div');
      this.#container.className = 'gbw-root';
      shadow.append(this.#container);
    }

    connectedCallback(): void {
      // useId prefixes differ per root: ids inside one shadow root never collide, and neither do SVG gradient ids.
      // A render error caught by WidgetErrorBoundary is shown inline; React would also log it with console.error,
      // which a course page's error monitoring would count as a failure of the page: a warning says it instead.
      this.#root ??= createRoot(this.#container, {
        identifierPrefix: `gbw${++roots}-`,
        onCaughtError: (error) => console.warn(`${def.tag}: ${messageOf(error)}`),
      });
      this.#schedule();
    }

    disconnectedCallback(): void {
      // Moving an element fires disconnected then connected: unmount only if it is really gone.
      queueMicrotask(() => {
        if (!this.isConnected && this.#root) {
          this.#root.unmount();
          this.#root = null;
        }
      });
    }

    attributeChangedCallback(): void {
      this.#schedule();
    }

    #schedule(): void {
      if (this.#scheduled) return;
      this.#scheduled = true;
      queueMicrotask(() => {
        this.#scheduled = false;
        if (!this.#root) return;
        const attrs: Record<string, string | null> = {};
        for (const name of def.attributes) attrs[name] = this.getAttribute(name);
        const widget = def.tag.replace(/^glassbox-/, '');
        this.#root.render(
          createElement(WidgetErrorBoundary, { widget, attrs }, createElement(def.component, { attrs })),
        );
      });
    }
  };
}

/** Define the element unless this page already has one of that name (two copies of the script on one page). */
export function defineWidget(def: WidgetDefinition): void {
  if (!customElements.get(def.tag)) customElements.define(def.tag, widgetElement(def));
}
