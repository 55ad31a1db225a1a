import { AttentionPattern } from '@glassbox/views';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { useArgs } from 'storybook/preview-api';
import { headArg, layerArg, modelArg, NotCaptured, tokenArg } from '../controls';
import { clampIndex, storyModel } from '../traces';

interface Args {
  model: string;
  layer: number;
  head: number;
  token: number;
  kind: 'pattern' | 'scores';
}

const meta: Meta<Args> = {
  title: 'Views/AttentionPattern',
  argTypes: {
    model: modelArg,
    layer: layerArg,
    head: { ...headArg, description: 'Head drawn large (click a thumbnail)' },
    token: { ...tokenArg, description: 'Selected query row' },
    kind: {
      control: 'inline-radio',
      options: ['pattern', 'scores'],
      description: 'hook_pattern (softmax weights) or hook_attn_scores (q·k/√dh, −∞ where masked)',
    },
  },
  args: { model: 'toy-world', layer: 0, head: 0, token: 3, kind: 'pattern' },
  render: function Render(args) {
    const [, updateArgs] = useArgs<Args>();
    const m = storyModel(args.model);
    const layer = clampIndex(args.layer, m.config.n_layer);
    const name = `blocks.${layer}.attn.${args.kind === 'pattern' ? 'hook_pattern' : 'hook_attn_scores'}`;
    const t = m.trace[name];
    if (!t) return <NotCaptured what={name} model={m.name} />;
    return (
      <AttentionPattern
        pattern={t}
        kind={args.kind}
        layer={layer}
        head={clampIndex(args.head, m.config.n_head)}
        onSelectHead={(head) => updateArgs({ head })}
        tokens={m.tokenLabels}
        selectedRow={clampIndex(args.token, m.tokens.length)}
        onSelectRow={(token) => updateArgs({ token })}
        testId="story-attention"
      />
    );
  },
};
export default meta;

/** Every head of a layer as thumbnails, the chosen head large: query rows attend over key columns. */
export const Pattern: StoryObj<Args> = {};

/** The same layer before the softmax: signed scores, −∞ above the diagonal. */
export const Scores: StoryObj<Args> = { args: { kind: 'scores' } };
