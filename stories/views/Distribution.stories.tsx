import { createRng, row, sampleStep } from '@glassbox/compute';
import { Distribution } from '@glassbox/views';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { modelArg, temperatureArg, tokenArg } from '../controls';
import { clampIndex, storyModel } from '../traces';

interface Args {
  model: string;
  token: number;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
  n: number;
}

const meta: Meta<Args> = {
  title: 'Views/Distribution',
  argTypes: {
    model: modelArg,
    token: { ...tokenArg, description: 'Position whose next token is predicted' },
    temperature: temperatureArg,
    topK: { control: { type: 'range', min: 0, max: 20, step: 1 }, description: 'Top-k (0 = off)' },
    topP: { control: { type: 'range', min: 0, max: 1, step: 0.05 }, description: 'Top-p (0 or 1 = off)' },
    seed: { control: { type: 'number', step: 1 }, description: 'Seed of the draw' },
    n: { control: { type: 'range', min: 3, max: 30, step: 1 }, description: 'Bars shown' },
  },
  args: { model: 'toy-world', token: 7, temperature: 1, topK: 0, topP: 0, seed: 0, n: 10 },
  render: (args) => {
    const m = storyModel(args.model);
    const pos = clampIndex(args.token, m.tokens.length);
    const topK = args.topK >= 1 ? args.topK : undefined;
    const topP = args.topP > 0 && args.topP < 1 ? args.topP : undefined;
    // compute's own sampling step on the real logits row: temperature → top-k → top-p → draw.
    const s = sampleStep(
      row(m.trace.hook_logits, pos),
      { temperature: args.temperature, topK, topP, seed: args.seed },
      createRng(args.seed),
    );
    const filtered = topK !== undefined || topP !== undefined;
    return (
      <Distribution
        title={`After position ${pos} “${m.tokenLabels[pos]}”: temperature ${args.temperature.toFixed(2)}`}
        probs={s.probs}
        label={m.label}
        n={args.n}
        keptAfterTopK={topK !== undefined ? s.keptAfterTopK : null}
        kept={filtered ? s.kept : null}
        topK={topK ?? null}
        topP={topP ?? null}
        sampled={s.token}
        testId="story-distribution"
      />
    );
  },
};
export default meta;

/** Next-token probabilities from the real logits; move the temperature to sharpen or flatten them. */
export const Temperature: StoryObj<Args> = {};

/** Top-k and top-p cut the ranking: the cut-offs are lines between bars, cut tokens are grey. */
export const TopKTopP: StoryObj<Args> = { args: { temperature: 2, topK: 5, topP: 0.9 } };

/** Two distributions side by side: the model as is, and with one attention head's output zeroed. */
export const HeadAblation: StoryObj<Args> = {
  render: (args) => {
    const m = storyModel(args.model);
    const { layer, head, position } = m.ablation;
    const base = sampleStep(row(m.trace.hook_logits, position), { temperature: args.temperature }, createRng(0));
    const ablated = sampleStep(m.ablation.logits.data, { temperature: args.temperature }, createRng(0));
    return (
      <Distribution
        title={`After “${m.tokenLabels[position]}” (position ${position}), with and without head ${head} of layer ${layer}`}
        probs={base.probs}
        label={m.label}
        n={args.n}
        compare={{ probs: ablated.probs, label: `head ${layer}.${head} zeroed` }}
        baseLabel="model"
        testId="story-distribution"
      />
    );
  },
};
