import type { ScatterMark } from '@glassbox/views';
import { EmbeddingScatter } from '@glassbox/views';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { useArgs } from 'storybook/preview-api';
import { modelArg, tokenArg } from '../controls';
import { clampIndex, storyModel } from '../traces';

interface Args {
  model: string;
  token: number;
  neighbours: number;
  maxLabels: number;
}

const meta: Meta<Args> = {
  title: 'Views/EmbeddingScatter',
  argTypes: {
    model: modelArg,
    token: { ...tokenArg, description: 'Prompt position whose token is selected' },
    neighbours: {
      control: { type: 'range', min: 0, max: 5, step: 1 },
      description: 'Nearest tokens (cosine, in the full d dimensions) marked',
    },
    maxLabels: { control: { type: 'range', min: 0, max: 200, step: 10 }, description: 'Label every point up to' },
  },
  args: { model: 'toy-world', token: 0, neighbours: 3, maxLabels: 40 },
  render: function Render(args) {
    const [, updateArgs] = useArgs<Args>();
    const m = storyModel(args.model);
    const selected = m.tokens[clampIndex(args.token, m.tokens.length)].id;
    const marks = (m.embedding.neighbours[selected] ?? [])
      .slice(0, args.neighbours)
      .map((n) => ({ id: n.id, mark: 'neighbour' as ScatterMark }));
    const [e1, e2] = m.embedding.explained.map((e) => Math.round(e * 100));
    return (
      <EmbeddingScatter
        title={`Token embeddings W_E of ${m.title}, PCA to two dimensions`}
        points={m.embedding.points}
        labels={m.vocab}
        xLabel={`PC 1 (${e1}% of variance)`}
        yLabel={`PC 2 (${e2}% of variance)`}
        selected={selected}
        marks={marks}
        onSelect={(id) => {
          const token = m.tokens.findIndex((t) => t.id === id);
          if (token >= 0) updateArgs({ token });
        }}
        maxLabels={args.maxLabels}
        testId="story-scatter"
      />
    );
  },
};
export default meta;

/** Every token of the vocabulary as a point; the selected prompt token and its nearest neighbours marked. */
export const Vocabulary: StoryObj<Args> = {};
