/**
 * The embeddable custom elements of @glassbox/widgets, exactly as a course page writes them: the story sets the
 * element's attributes from its controls, and the widget loads the shipped model and runs it in the browser (CPU, or
 * WebGPU where the browser has it). Attribute changes re-render the widget; a bad attribute shows its inline error.
 */
import { STEP_KINDS } from '@glassbox/store';
import { WIDGET_ATTRIBUTES, widgetModelNames } from '@glassbox/widgets';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { createElement } from 'react';
import { headArg, layerArg, temperatureArg } from '../controls';

type Args = Record<string, string | number | boolean | undefined>;

/** The element with the args it reads as attributes (true → present, false/undefined/'' → absent). */
function widget(tag: string) {
  return (args: Args) => {
    const attrs: Record<string, string> = {};
    for (const name of WIDGET_ATTRIBUTES[tag] ?? []) {
      const v = args[name];
      if (v === undefined || v === false || v === '') continue;
      attrs[name] = v === true ? '' : String(v);
    }
    return createElement(tag, { ...attrs, 'data-testid': 'story-widget' });
  };
}

const common = {
  model: { control: 'select', options: widgetModelNames(), description: 'Shipped model (attribute model)' },
  engine: { control: 'inline-radio', options: ['auto', 'cpu'], description: 'auto: WebGPU when the browser has it' },
  prompt: { control: 'text', description: 'Rendered as text, never as HTML' },
} as const;

const meta: Meta<Args> = {
  title: 'Widgets',
  parameters: { layout: 'padded' },
};
export default meta;
type Story = StoryObj<Args>;

/** <glassbox-attention>: one layer's heads for a prompt. */
export const Attention: Story = {
  render: widget('glassbox-attention'),
  argTypes: {
    ...common,
    layer: layerArg,
    head: headArg,
    kind: { control: 'inline-radio', options: ['pattern', 'scores'] },
  },
  args: { model: 'toy-world', engine: 'auto', prompt: 'cat sat on the mat', layer: 0, head: 0, kind: 'pattern' },
};

/** <glassbox-tokenizer>: the prompt cut into tokens by the model's tokenizer. */
export const Tokenizer: Story = {
  render: widget('glassbox-tokenizer'),
  argTypes: { ...common },
  args: { model: 'toy-world', engine: 'auto', prompt: 'dog is happy END cat sat' },
};

/** <glassbox-next-token>: logits at the last position, temperature, top-k / top-p and the draw. */
export const NextToken: Story = {
  render: widget('glassbox-next-token'),
  argTypes: {
    ...common,
    temperature: temperatureArg,
    topk: { control: { type: 'number', min: 1, step: 1 }, description: 'Top-k (empty = off)' },
    topp: { control: { type: 'range', min: 0.05, max: 1, step: 0.05 }, description: 'Top-p' },
    seed: { control: { type: 'number', step: 1 } },
  },
  args: { model: 'toy-world', engine: 'auto', prompt: 'cat sat on the', temperature: 1, seed: 0 },
};

/** <glassbox-stepper>: the whole forward pass one step at a time, opened at a chosen step. */
export const Stepper: Story = {
  render: widget('glassbox-stepper'),
  argTypes: {
    ...common,
    step: { control: 'select', options: STEP_KINDS, description: 'Step the widget opens at' },
    layer: layerArg,
    head: headArg,
  },
  args: { model: 'toy-world', engine: 'auto', prompt: 'cat sat on', step: 'pattern', layer: 0, head: 0 },
};

/** <glassbox-training>: the toy world trained from random weights on the page; the loss curve falls. */
export const Training: Story = {
  render: widget('glassbox-training'),
  argTypes: {
    steps: { control: { type: 'number', min: 1, max: 5000, step: 50 } },
    lr: { control: { type: 'number', min: 0.001, step: 0.005 }, description: 'Learning rate' },
    seed: { control: { type: 'number', step: 1 } },
    prompt: { control: 'text', description: 'Continued greedily as the model trains' },
    autoplay: { control: 'boolean' },
  },
  args: { steps: 300, lr: 0.02, seed: 0, prompt: 'cat sat', autoplay: true },
};

/** A bad attribute is an inline sentence inside the widget, never a blank box. */
export const BadAttribute: Story = {
  ...Attention,
  tags: ['widget-error'],
  args: { ...Attention.args, layer: 7 },
};
