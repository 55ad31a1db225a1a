import type { ReactNode } from 'react';

export interface FrameProps {
  /** The tag's short name: data-widget on the root, for tests and host pages' scripts. */
  widget: string;
  title: string;
  /** Attribute problems and failures, each one sentence; shown instead of the content. */
  errors: readonly string[];
  /** 'loading' shows a line until there is content; 'ready' and 'error' settle the data-state tests wait for. */
  status: 'loading' | 'ready' | 'error';
  /** Model label and engine, for the footer. */
  model?: string;
  engine?: string;
  engineReason?: string;
  children?: ReactNode;
}

/**
 * The chrome every widget shares: a title, the inline error (never a blank box), a loading line, and a footer that
 * says which model and engine computed the numbers. All text is rendered as text.
 */
export function Frame({ widget, title, errors, status, model, engine, engineReason, children }: FrameProps) {
  const state = errors.length > 0 ? 'error' : status;
  return (
    <section className="gbw" data-widget={widget} data-state={state} aria-label={title} aria-busy={state === 'loading'}>
      <header className="gbw-head">{title}</header>
      {errors.length > 0 ? (
        <div className="gbw-error" role="alert" data-testid="widget-error">
          <p>
            <strong>This widget cannot show its numbers:</strong>
          </p>
          <ul>
            {errors.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        </div>
      ) : children ? (
        <div className="gbw-body">{children}</div>
      ) : (
        <p className="gbw-loading">Loading the model…</p>
      )}
      <footer className="gbw-foot">
        Glassbox
        {model ? ` · ${model}` : ''}
        {engine ? (
          <span title={engineReason} data-testid="widget-engine" data-engine={engine}>
            {' '}
            · {engine === 'webgpu' ? 'WebGPU' : 'CPU'}
          </span>
        ) : null}
      </footer>
    </section>
  );
}
