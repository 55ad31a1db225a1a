import { row, topIndices } from '@glassbox/compute';
import { RankedBars, visibleToken } from '@glassbox/views';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { layerArg, modelArg, NotCaptured, tokenArg } from '../controls';
import { clampIndex, MAX_LAYERS, storyModel } from '../traces';

interface Args {
  model: string;
  token: number;
  layer: number;
  n: number;
}

const meta: Meta<Args> = {
  title: 'Views/RankedBars',
  argTypes: {
    model: modelArg,
    token: tokenArg,
    layer: { ...layerArg, description: 'Block of the MLP (neurons story)' },
    n: { control: { type: 'range', min: 3, max: 20, step: 1 }, description: 'Bars shown' },
  },
  args: { model: 'toy-world', token: 1, layer: MAX_LAYERS - 1, n: 10 },
};
export default meta;

/** The highest logits at one position, signed bars from zero (hook_logits). */
export const TopLogits: StoryObj<Args> = {
  render: (args) => {
    const m = storyModel(args.model);
    const pos = clampIndex(args.token, m.tokens.length);
    const r = row(m.trace.hook_logits, pos);
    const items = topIndices(r, args.n).map((id) => ({ key: id, label: visibleToken(m.label(id)), value: r[id] }));
    return (
      <RankedBars
        title={`Highest logits after position ${pos} “${m.tokenLabels[pos]}”`}
        items={items}
        valueName="logit"
        testId="story-ranked"
      />
    );
  },
};

/** The most active MLP neurons (GELU output, blocks.{l}.mlp.hook_post) for one token. */
export const TopNeurons: StoryObj<Args> = {
  render: (args) => {
    const m = storyModel(args.model);
    const pos = clampIndex(args.token, m.tokens.length);
    const name = `blocks.${clampIndex(args.layer, m.config.n_layer)}.mlp.hook_post`;
    const t = m.trace[name];
    if (!t) return <NotCaptured what={name} model={m.name} />;
    const r = row(t, pos);
    const items = topIndices(r, args.n).map((n) => ({ key: n, label: `neuron ${n}`, value: r[n] }));
    return (
      <RankedBars
        title={`Most active neurons of ${name} for “${m.tokenLabels[pos]}”`}
        items={items}
        valueName="activation"
        testId="story-ranked"
      />
    );
  },
};
