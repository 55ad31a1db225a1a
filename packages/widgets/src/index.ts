// @glassbox/widgets — custom elements for course pages. One <script type="module"> defines them all:
//   <glassbox-attention>, <glassbox-tokenizer>, <glassbox-next-token>, <glassbox-stepper>, <glassbox-training>.
// Each renders into its own shadow root; every widget on a page shares one model load and one engine per model.
import type { WidgetDefinition } from './element';
import { defineWidget } from './element';
import { ATTENTION_ATTRIBUTES, AttentionWidget } from './widgets/AttentionWidget';
import { NEXT_TOKEN_ATTRIBUTES, NextTokenWidget } from './widgets/NextTokenWidget';
import { STEPPER_ATTRIBUTES, StepperWidget } from './widgets/StepperWidget';
import { TOKENIZER_ATTRIBUTES, TokenizerWidget } from './widgets/TokenizerWidget';
import { TRAINING_ATTRIBUTES, TrainingWidget } from './widgets/TrainingWidget';

export * from './attributes';
export type { WidgetDefinition } from './element';
export { defineWidget, widgetElement } from './element';
export { cacheStats, DEFAULT_WIDGET_MODEL, loadWidgetModel, widgetModelNames } from './modelCache';
export { WIDGET_CSS } from './styles';

export const WIDGETS: readonly WidgetDefinition[] = [
  { tag: 'glassbox-attention', attributes: ATTENTION_ATTRIBUTES, component: AttentionWidget },
  { tag: 'glassbox-tokenizer', attributes: TOKENIZER_ATTRIBUTES, component: TokenizerWidget },
  { tag: 'glassbox-next-token', attributes: NEXT_TOKEN_ATTRIBUTES, component: NextTokenWidget },
  { tag: 'glassbox-stepper', attributes: STEPPER_ATTRIBUTES, component: StepperWidget },
  { tag: 'glassbox-training', attributes: TRAINING_ATTRIBUTES, component: TrainingWidget },
];

/** Tag name → the attributes it reads (the iframe route passes only these from its URL). */
export const WIDGET_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  WIDGETS.map((w) => [w.tag, w.attributes]),
);

/** Define every widget (idempotent). Importing this module does it in a browser. */
export function defineGlassboxWidgets(): void {
  for (const w of WIDGETS) defineWidget(w);
}

if (typeof customElements !== 'undefined') defineGlassboxWidgets();
