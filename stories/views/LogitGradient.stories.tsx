import { LogitGradient, visibleToken } from '@glassbox/views';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { checkpointArg, NotCaptured, tokenArg, trainingModelArg } from '../controls';
import { clampIndex, storyModel } from '../traces';

interface Args {
  model: string;
  checkpoint: string;
  token: number;
  n: number;
}

const meta: Meta<Args> = {
  title: 'Views/LogitGradient',
  argTypes: {
    model: trainingModelArg,
    checkpoint: checkpointArg,
    token: { ...tokenArg, description: 'Position of the training sequence' },
    n: { control: { type: 'range', min: 2, max: 10, step: 1 }, description: 'Most probable tokens shown' },
  },
  args: { model: 'toy-world', checkpoint: 'initial', token: 0, n: 6 },
  render: (args) => {
    const m = storyModel(args.model);
    const step = m.training.find((t) => t.checkpoint === args.checkpoint) ?? m.training[0];
    if (!step) return <NotCaptured what="A training step" model={m.name} />;
    const V = m.config.vocab_size;
    const pos = clampIndex(args.token, step.inputs.length);
    const slice = (name: string) => step.trace[name].data.subarray(pos * V, (pos + 1) * V);
    const [input, target] = [step.inputs[pos], step.targets[pos]].map((id) => visibleToken(m.label(id)));
    return (
      <LogitGradient
        title={`Position ${pos}: “${input}” should be followed by “${target}” (${step.checkpoint} weights, loss ${step.loss.toFixed(4)})`}
        probs={slice('hook_probs')}
        grad={slice('grad.hook_logits')}
        target={step.targets[pos]}
        N={step.N}
        label={m.label}
        n={args.n}
        testId="story-logit-gradient"
      />
    );
  },
};
export default meta;

/** Where backpropagation starts, from the Trainer's stepped loss(): (softmax − one-hot) / N at one position. */
export const InitialWeights: StoryObj<Args> = {};

/** The same batch after training: the target already has most of the probability, so the gradient is small. */
export const ShippedWeights: StoryObj<Args> = { args: { checkpoint: 'shipped', token: 1 } };
