import { HOOK_SPECS, layerHookName } from '@glassbox/compute';
import type { ScaleKind } from '@glassbox/views';
import { asMatrix, Heatmap, headColumns, headPlane, visibleToken } from '@glassbox/views';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { useArgs } from 'storybook/preview-api';
import {
  checkpointArg,
  headArg,
  hookChoice,
  hookKey,
  layerArg,
  modelArg,
  NotCaptured,
  tokenArg,
  trainingModelArg,
} from '../controls';
import { clampIndex, MAX_LAYERS, MODELS, storyModel } from '../traces';

interface Args {
  model: string;
  /** A hook name from the hook list; `{l}` is the layer control. */
  hook: string;
  layer: number;
  head: number;
  token: number;
  scale: ScaleKind | 'auto';
  maxCell: number;
}

// Every hook some model's trace holds, as template names (attention planes have their own story).
const HOOKS = HOOK_SPECS.map((h) => h.name).filter((name) =>
  MODELS.some((m) => m.trace[layerHookName(name, 0)] !== undefined),
);

const meta: Meta<Args> = {
  title: 'Views/Heatmap',
  argTypes: {
    model: modelArg,
    hook: hookChoice(HOOKS, 'Hook (docs/hooks.md); {l} is the layer control'),
    layer: layerArg,
    head: { ...headArg, description: 'Head, for [T, H, dh] and [H, T, S] hooks' },
    token: { ...tokenArg, description: 'Selected row (click a row label or press Enter to select)' },
    scale: { control: 'inline-radio', options: ['auto', 'diverging', 'sequential', 'probability'] },
    maxCell: { control: { type: 'range', min: 8, max: 64, step: 2 }, description: 'Largest cell side in px' },
  },
  args: {
    model: 'toy-world',
    hook: hookKey('blocks.{l}.hook_resid_pre'),
    layer: 0,
    head: 0,
    token: 0,
    scale: 'auto',
    maxCell: 44,
  },
};
export default meta;
type Story = StoryObj<Args>;

function autoScale(name: string): ScaleKind {
  if (/hook_(pattern|probs|mask)$/.test(name)) return 'probability';
  if (/hook_scale$/.test(name)) return 'sequential';
  return 'diverging';
}

/** Any captured hook of the forward pass; 3-D hooks are cut to one head. */
export const AnyHook: Story = {
  render: function Render(args) {
    const [, updateArgs] = useArgs<Args>();
    const m = storyModel(args.model);
    const layer = clampIndex(args.layer, m.config.n_layer);
    const head = clampIndex(args.head, m.config.n_head);
    const name = layerHookName(args.hook, layer);
    const t = m.trace[name];
    if (!t) return <NotCaptured what={name} model={m.name} />;
    const perHead = t.shape.length === 3;
    const planes = perHead && /hook_(attn_scores|pattern)$/.test(name);
    const matrix = planes ? headPlane(t, head) : perHead ? headColumns(t, head) : asMatrix(t);
    return (
      <Heatmap
        matrix={matrix}
        title={`${name}${perHead ? `[${planes ? `${head}, :, :` : `:, ${head}, :`}]` : ''} [${t.shape.join(', ')}]`}
        scale={args.scale === 'auto' ? autoScale(name) : args.scale}
        valueLabel={name.split('.').pop()}
        rowLabels={m.tokenLabels}
        rowName="token"
        colName={planes ? 'key' : 'dimension'}
        colLabel={planes ? (c) => m.tokenLabels[c] : undefined}
        selectedRow={clampIndex(args.token, m.tokens.length)}
        onSelectRow={(token) => updateArgs({ token })}
        maxCell={args.maxCell}
        testId="story-heatmap"
      />
    );
  },
};

/** The residual stream of the model's last block: the default the explorer opens at. */
export const ResidualStream: Story = {
  ...AnyHook,
  args: { hook: hookKey('blocks.{l}.hook_resid_post'), layer: MAX_LAYERS - 1 },
};

/** Masked attention scores: −∞ above the diagonal, drawn grey with its own legend entry. */
export const MaskedScores: Story = {
  ...AnyHook,
  args: { hook: hookKey('blocks.{l}.attn.hook_attn_scores') },
};

/** [T, V] logits, the widest tensor: columns labelled by vocabulary token, paged for a big vocabulary. */
export const Logits: Story = {
  ...AnyHook,
  args: { maxCell: 44 },
  parameters: { controls: { include: ['model', 'token', 'maxCell'] } },
  render: function Render(args) {
    const [, updateArgs] = useArgs<Args>();
    const m = storyModel(args.model);
    const t = m.trace.hook_logits;
    return (
      <Heatmap
        matrix={asMatrix(t)}
        title={`All logits — hook_logits [${t.shape.join(', ')}]`}
        colName="token id"
        colLabel={(c) => visibleToken(m.label(c))}
        valueLabel="logit"
        rowLabels={m.tokenLabels}
        rowName="token"
        selectedRow={clampIndex(args.token, m.tokens.length)}
        onSelectRow={(token) => updateArgs({ token })}
        maxCell={args.maxCell}
        testId="story-heatmap"
      />
    );
  },
};

interface GradArgs {
  model: string;
  checkpoint: string;
  gradient: string;
  layer: number;
}

const GRADS = [
  ...new Set(
    MODELS.flatMap((m) => m.training.flatMap((t) => Object.keys(t.trace))).map((n) =>
      n.replace(/blocks\.\d+\./, 'blocks.{l}.'),
    ),
  ),
].filter((n) => n.startsWith('grad.'));

/** Gradients of one stepped training step (Trainer.backward): ∂L/∂x for every hook, grad.params.* for every weight. */
export const Gradient: StoryObj<GradArgs> = {
  parameters: { controls: { include: ['model', 'checkpoint', 'gradient', 'layer'] } },
  argTypes: {
    model: trainingModelArg,
    checkpoint: checkpointArg,
    gradient: hookChoice(GRADS, 'grad.<hook> or grad.params.<weight>'),
    layer: layerArg,
  },
  args: { model: 'toy-world', checkpoint: 'initial', gradient: hookKey('grad.blocks.{l}.hook_resid_pre'), layer: 0 },
  render: (args) => {
    const m = storyModel(args.model);
    const step = m.training.find((t) => t.checkpoint === args.checkpoint) ?? m.training[0];
    if (!step) return <NotCaptured what="A training step" model={m.name} />;
    const name = args.gradient.replace('{l}', String(clampIndex(args.layer, m.config.n_layer)));
    const g = step.trace[name];
    if (!g) return <NotCaptured what={name} model={m.name} />;
    const isParam = name.startsWith('grad.params.');
    return (
      <Heatmap
        matrix={asMatrix(g)}
        title={`${name} [${g.shape.join(', ')}] — step from the ${step.checkpoint} weights, loss ${step.loss.toFixed(4)}`}
        valueLabel="gradient ∂L/∂x"
        rowLabels={isParam ? undefined : step.inputs.map((id) => m.label(id))}
        rowName={isParam ? 'row' : 'position'}
        colName={isParam ? 'column' : 'dimension'}
        testId="story-heatmap"
      />
    );
  },
};
