import { TokenStrip } from '@glassbox/views';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { useArgs } from 'storybook/preview-api';
import { modelArg, tokenArg } from '../controls';
import { clampIndex, storyModel } from '../traces';

interface Args {
  model: string;
  token: number;
  tokenizer: 'model' | 'gpt2';
}

const meta: Meta<Args> = {
  title: 'Views/TokenStrip',
  argTypes: {
    model: modelArg,
    token: { ...tokenArg, description: 'Selected token (click a chip)' },
    tokenizer: {
      control: 'inline-radio',
      options: ['model', 'gpt2'],
      description: 'The model’s own tokenizer, or GPT-2’s on the same prompt',
    },
  },
  args: { model: 'toy-world', token: 1, tokenizer: 'model' },
  render: function Render(args) {
    const [, updateArgs] = useArgs<Args>();
    const m = storyModel(args.model);
    const gpt2 = args.tokenizer === 'gpt2' && m.gpt2Tokens;
    const tokens = gpt2 || m.tokens;
    return (
      <TokenStrip
        text={m.prompt}
        tokens={tokens}
        label={gpt2 ? 'Tokens of GPT-2’s tokenizer' : `Tokens of ${m.title}’s tokenizer`}
        selected={clampIndex(args.token, tokens.length)}
        onSelect={(token) => updateArgs({ token })}
        testId="story-tokens"
      />
    );
  },
};
export default meta;

/** The prompt of the story trace as the model's tokenizer cut it: ids and character offsets. */
export const ModelTokenizer: StoryObj<Args> = {};

/** The same prompt through GPT-2's byte-level BPE: spaces belong to the next token (drawn as ·). */
export const Gpt2Tokenizer: StoryObj<Args> = { args: { tokenizer: 'gpt2' } };
