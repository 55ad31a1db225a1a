import { residualNorms } from '@glassbox/store';
import { Heatmap } from '@glassbox/views';
import { useMemo } from 'react';
import { session, useStore } from '../stores';
import { selectRow, useSelectedPosition, useTokenLabels } from './common';

/** How long each token's residual vector is after the embeddings and after every attention and MLP sub-layer. */
export function NormsOverview() {
  const trace = useStore(session, (s) => s.trace);
  const model = useStore(session, (s) => s.model);
  const labels = useTokenLabels();
  const position = useSelectedPosition();
  const norms = useMemo(() => (trace && model ? residualNorms(trace, model.config.n_layer) : null), [trace, model]);
  if (!norms) return null;
  return (
    <section className="panel" aria-labelledby="norms-h">
      <h3 id="norms-h">Residual stream</h3>
      <p className="hint">‖x‖ of each token’s vector after each stage: where attention and the MLPs write most.</p>
      <Heatmap
        matrix={{ rows: norms.T, cols: norms.stages.length, data: norms.norms }}
        title="‖residual stream‖ per token and stage"
        scale="sequential"
        valueLabel="L2 norm"
        rowLabels={labels}
        rowName="token"
        colName="stage"
        colLabel={(c) => norms.stages[c]}
        selectedRow={position}
        onSelectRow={selectRow}
        maxWidth={300}
        maxHeight={220}
        testId="norms"
      />
    </section>
  );
}
