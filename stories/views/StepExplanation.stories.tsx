import type { StepKind } from '@glassbox/store';
import { buildSteps, STEP_INFO, STEP_KINDS } from '@glassbox/store';
import { StepExplanation } from '@glassbox/views';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { layerArg, modelArg } from '../controls';
import { clampIndex, storyModel } from '../traces';

interface Args {
  model: string;
  step: StepKind;
  layer: number;
}

const meta: Meta<Args> = {
  title: 'Views/StepExplanation',
  argTypes: {
    model: modelArg,
    step: { control: 'select', options: STEP_KINDS, description: 'Step of the forward pass' },
    layer: layerArg,
  },
  args: { model: 'toy-world', step: 'scores', layer: 0 },
  render: (args) => {
    const m = storyModel(args.model);
    const steps = buildSteps(m.config);
    const layer = clampIndex(args.layer, m.config.n_layer);
    const index = steps.findIndex((s) => s.kind === args.step && (s.layer === null || s.layer === layer));
    const step = steps[index];
    const info = STEP_INFO[args.step];
    // The hooks the step shows, with the shapes they have in this model's real trace.
    const hooks = step.hooks.filter((h) => m.trace[h]).map((h) => ({ name: h, shape: m.trace[h].shape }));
    return (
      <StepExplanation
        title={info.title}
        explanation={info.explanation}
        formula={info.formula}
        where={step.layer !== null ? `Layer ${step.layer}` : undefined}
        position={`Step ${index + 1} of ${steps.length}`}
        hooks={hooks}
      />
    );
  },
};
export default meta;

/** The header of a step: what happens, the formula, and the named tensors with this model's shapes. */
export const Step: StoryObj<Args> = {};

/** The last step: sampling has no hook of its own. */
export const Sample: StoryObj<Args> = { args: { step: 'sample' } };
