import { KvCache } from '@glassbox/views';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { headArg, layerArg, modelArg, NotCaptured } from '../controls';
import { clampIndex, storyModel } from '../traces';

interface Args {
  model: string;
  layer: number;
  head: number;
}

const meta: Meta<Args> = {
  title: 'Views/KvCache',
  argTypes: { model: modelArg, layer: layerArg, head: headArg },
  args: { model: 'toy-world', layer: 0, head: 0 },
  render: (args) => {
    const m = storyModel(args.model);
    const layer = clampIndex(args.layer, m.config.n_layer);
    const { cached, trace } = m.kv;
    const keys = trace[`blocks.${layer}.attn.hook_k_cache`];
    const values = trace[`blocks.${layer}.attn.hook_v_cache`];
    if (!keys || !values) return <NotCaptured what={`The KV cache of layer ${layer}`} model={m.name} />;
    return (
      <KvCache
        keys={keys}
        values={values}
        layer={layer}
        head={clampIndex(args.head, m.config.n_head)}
        rowLabels={m.tokenLabels.slice(0, cached)}
        cached={cached}
        newestRow={cached - 1}
        testId="story-kv"
      />
    );
  },
};
export default meta;

/**
 * The prompt minus its last token ran with a KV cache; then the last token was decoded against it. Its key and value
 * row is the new one (dashed outline): the rows above it were read from the cache, not recomputed.
 */
export const AfterOneDecodeStep: StoryObj<Args> = {};
