import type { ReactNode } from 'react';
import { Component } from 'react';
import type { Attributes } from './attributes';
import { messageOf } from './attributes';
import { Frame } from './Frame';

interface Props {
  /** The tag's short name (data-widget), e.g. 'attention'. */
  widget: string;
  /** The attribute snapshot being rendered: a new snapshot (any attribute change) tries the widget again. */
  attrs: Attributes;
  children?: ReactNode;
}

interface State {
  error: string | null;
  attrs: Attributes;
}

/**
 * The last line of defence: every attribute is checked before it reaches the engine or the trainer, but should
 * anything still throw while a widget renders, the reader gets the usual inline error (with the message, as text)
 * instead of an empty box and an uncaught page error. The next attribute change renders the widget again.
 */
export class WidgetErrorBoundary extends Component<Props, State> {
  override state: State = { error: null, attrs: this.props.attrs };

  static getDerivedStateFromError(e: unknown): Partial<State> {
    return { error: messageOf(e) };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    return props.attrs === state.attrs ? null : { error: null, attrs: props.attrs };
  }

  override render(): ReactNode {
    if (this.state.error === null) return this.props.children;
    return (
      <Frame
        widget={this.props.widget}
        title="Glassbox"
        errors={[`Something went wrong inside the widget: ${this.state.error}`]}
        status="error"
      />
    );
  }
}
