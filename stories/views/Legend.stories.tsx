import { layerHookName } from '@glassbox/compute';
import type { ScaleKind } from '@glassbox/views';
import { asMatrix, Legend, makeColorScale, matrixStats } from '@glassbox/views';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { hookChoice, hookKey, layerArg, modelArg } from '../controls';
import { clampIndex, storyModel } from '../traces';

interface Args {
  model: string;
  hook: string;
  layer: number;
  scale: ScaleKind;
  width: number;
}

const meta: Meta<Args> = {
  title: 'Views/Legend',
  argTypes: {
    model: modelArg,
    hook: hookChoice(
      ['hook_embed', 'blocks.{l}.hook_resid_pre', 'blocks.{l}.attn.hook_attn_scores', 'hook_logits'],
      'The tensor whose statistics set the scale',
    ),
    layer: layerArg,
    scale: { control: 'inline-radio', options: ['diverging', 'sequential', 'probability'] },
    width: { control: { type: 'range', min: 120, max: 480, step: 20 } },
  },
  args: { model: 'toy-world', hook: hookKey('blocks.{l}.hook_resid_pre'), layer: 0, scale: 'diverging', width: 220 },
  render: (args) => {
    const m = storyModel(args.model);
    const name = layerHookName(args.hook, clampIndex(args.layer, m.config.n_layer));
    const stats = matrixStats(asMatrix(m.trace[name]));
    return (
      <Legend
        scale={makeColorScale(args.scale, stats)}
        label={`${name} (${args.scale})`}
        width={args.width}
        masked={stats.hasNegInf}
      />
    );
  },
};
export default meta;

/** The colour bar of a real tensor: symmetric around 0 for diverging, [min, max] for sequential, [0, 1] for probability. */
export const FromTensor: StoryObj<Args> = {};

/** Attention scores hold −∞ where the causal mask forbids a key: the legend adds the grey "masked" swatch. */
export const Masked: StoryObj<Args> = { args: { hook: hookKey('blocks.{l}.attn.hook_attn_scores') } };
