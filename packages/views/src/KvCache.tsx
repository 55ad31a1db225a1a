import type { Tensor } from '@glassbox/compute';
import { Heatmap } from './Heatmap';
import { headColumns } from './matrix';

export interface KvCacheProps {
  /** blocks.{l}.attn.hook_k_cache and hook_v_cache: [S, H, dh], every position attended over. */
  keys: Tensor;
  values: Tensor;
  layer: number;
  head: number;
  /** One label per cached position (the tokens). */
  rowLabels: readonly string[];
  /** Positions the engine's cache holds now (S after the last pass). */
  cached: number;
  /** The row added by the last pass: outlined as new. */
  newestRow: number;
  testId?: string;
}

/**
 * The KV cache of one layer and head as two heatmaps [S × dh], keys and values, one row per position so far, the
 * newest row outlined: after "append and run again" it has grown by exactly that row.
 */
export function KvCache({ keys, values, layer, head, rowLabels, cached, newestRow, testId }: KvCacheProps) {
  const S = keys.shape[0];
  const maps = [
    ['K', keys, 'k'],
    ['V', values, 'v'],
  ] as const;
  return (
    <section className="gb-kv-cache" data-testid={testId} data-cached={cached} aria-label="KV cache">
      <h3>
        KV cache, layer {layer}, head {head}:{' '}
        <span className="gb-kv-cache-count" data-testid={testId ? `${testId}-count` : undefined}>
          {cached} {cached === 1 ? 'position' : 'positions'} cached
        </span>
      </h3>
      <div className="gb-kv-cache-maps">
        {maps.map(([name, t, hook]) => (
          <Heatmap
            key={name}
            matrix={headColumns(t, head)}
            title={`${name} cache, head ${head} — blocks.${layer}.attn.hook_${hook}_cache[:, ${head}, :] [${S}, ${t.shape[2]}]`}
            rowLabels={rowLabels}
            rowName="position"
            colName="dh"
            valueLabel={hook}
            highlightRow={newestRow}
            maxWidth={320}
            testId={testId ? `${testId}-${hook}` : undefined}
          />
        ))}
      </div>
    </section>
  );
}
