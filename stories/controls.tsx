/** Controls shared by the stories: the props that matter (model, layer, head, token, temperature) as argTypes. */
import type { ArgTypes } from '@storybook/react-vite';
import { CHECKPOINTS, MAX_HEADS, MAX_LAYERS, MAX_TOKENS, MODEL_NAMES, TRAINING_MODEL_NAMES } from './traces';

type InputType = ArgTypes[string];

const index = (max: number, description: string): InputType => ({
  control: { type: 'range', min: 0, max: Math.max(1, max - 1), step: 1 },
  description: `${description} (clamped to what the chosen model has)`,
});

export const modelArg: InputType = {
  control: 'select',
  options: MODEL_NAMES,
  description: 'Shipped model whose real trace is drawn (stories/data/<model>.json)',
};
export const trainingModelArg: InputType = { ...modelArg, options: TRAINING_MODEL_NAMES };
export const checkpointArg: InputType = {
  control: 'inline-radio',
  options: CHECKPOINTS,
  description: 'Weights the training step starts from: the recipe’s initial weights or the shipped ones',
};
export const layerArg = index(MAX_LAYERS, 'Block');
export const headArg = index(MAX_HEADS, 'Attention head');
export const tokenArg = index(MAX_TOKENS, 'Prompt position');
export const temperatureArg: InputType = {
  control: { type: 'range', min: 0, max: 2, step: 0.05 },
  description: 'Divides the logits before the softmax (0 = greedy)',
};

/** Shown instead of a view when the chosen model's trace file did not capture what the story needs. */
export function NotCaptured({ what, model }: { what: string; model: string }) {
  return (
    <p role="note" data-testid="not-captured">
      {what} is not in the story trace of {model} (bigger models keep a few hooks; see scripts/gen-story-traces.ts).
    </p>
  );
}

/** A URL-safe key for a hook template name (Storybook's URL args allow only [a-zA-Z0-9 _-]). */
export function hookKey(template: string): string {
  return template.replace('blocks.{l}.', '').replace(/\./g, '-');
}

/** A select control over hook names: URL-safe keys as options, the full names as labels and as the mapped values. */
export function hookChoice(templates: readonly string[], description: string): InputType {
  const keys = templates.map(hookKey);
  return {
    control: { type: 'select', labels: Object.fromEntries(keys.map((k, i) => [k, templates[i]])) },
    options: keys,
    mapping: Object.fromEntries(keys.map((k, i) => [k, templates[i]])),
    description,
  };
}
