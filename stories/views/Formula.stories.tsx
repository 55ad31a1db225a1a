import type { StepKind } from '@glassbox/store';
import { STEP_INFO, STEP_KINDS } from '@glassbox/store';
import { Formula } from '@glassbox/views';
import type { Meta, StoryObj } from '@storybook/react-vite';

interface Args {
  step: StepKind;
  display: boolean;
}

const meta: Meta<Args> = {
  title: 'Views/Formula',
  argTypes: {
    step: { control: 'select', options: STEP_KINDS, description: 'Step of the forward pass (STEP_INFO)' },
    display: { control: 'boolean', description: 'Display mode (own line) or inline' },
  },
  args: { step: 'pattern', display: true },
  render: (args) => <Formula tex={STEP_INFO[args.step].formula} display={args.display} />,
};
export default meta;

/** The formula of each step, typeset by KaTeX (HTML for the eye, MathML for screen readers). */
export const StepFormula: StoryObj<Args> = {};

/** Inline, as in running text. */
export const Inline: StoryObj<Args> = { args: { step: 'softmax', display: false } };
