import { topIndices } from '@glassbox/compute';
import type { Sampling } from '@glassbox/store';
import { rowOf, samplePrediction, samplingError, TEMPERATURE_MAX } from '@glassbox/store';
import { Distribution, RankedBars, TemperatureSlider, visibleToken } from '@glassbox/views';
import { useEffect, useMemo, useState } from 'react';
import type { Attributes } from '../attributes';
import { Problems, parseNumber, parseOptionalNumber } from '../attributes';
import { COMMON_ATTRIBUTES, commonAttrs } from '../common';
import { Frame } from '../Frame';
import { usePromptRun } from '../useRun';

export const NEXT_TOKEN_ATTRIBUTES = [...COMMON_ATTRIBUTES, 'temperature', 'topk', 'topp', 'seed'];

/** samplingError's sentence without its leading field name (the attribute name is already in the message). */
const check = (field: keyof Sampling) => (n: number) => samplingError(field, n);

/**
 * `<glassbox-next-token prompt="cat sat on the" temperature="1">`: the logits at the last position, then the
 * probabilities after temperature (a slider; moving it re-samples from the same logits, no new pass) and the draw.
 */
export function NextTokenWidget({ attrs }: { attrs: Attributes }) {
  const problems = new Problems();
  const { model, engine, prompt } = commonAttrs(attrs, problems);
  const tAttr = problems.take(parseNumber('temperature', attrs.temperature, 1, check('temperature')), 1);
  const topK = problems.take(parseOptionalNumber('topk', attrs.topk, check('topK')), null);
  const topP = problems.take(parseOptionalNumber('topp', attrs.topp, check('topP')), null);
  const seed = problems.take(parseNumber('seed', attrs.seed, 0, check('seed')), 0);
  const valid = problems.list.length === 0;
  const run = usePromptRun(model, engine, prompt, 'none', valid);
  const [temperature, setTemperature] = useState(tAttr);
  useEffect(() => setTemperature(tAttr), [tAttr]);

  const r = valid ? run.value : null;
  if (valid && run.error) problems.add(run.error);
  const T = r?.tokens.length ?? 0;
  const last = useMemo(() => (r ? rowOf(r.logits, T - 1) : null), [r, T]);
  const step = useMemo(
    () => (last ? samplePrediction(last, { temperature, topK, topP, seed }, T) : null),
    [last, temperature, topK, topP, seed, T],
  );
  const label = (id: number) => r?.model.tokenizer.idToToken(id) ?? String(id);
  const topLogits = last
    ? topIndices(last, Math.min(10, last.length)).map((id) => ({
        key: id,
        label: visibleToken(label(id)),
        value: last[id],
      }))
    : [];
  const ok = problems.list.length === 0 && r !== null && step !== null;
  return (
    <Frame
      widget="next-token"
      title="Next token: logits → softmax with temperature → a draw"
      errors={problems.list}
      status={run.status}
      model={r?.model.label}
      engine={r?.engine.kind}
      engineReason={r?.engine.reason}
    >
      {ok && (
        <>
          <p className="gbw-note">
            After <span className="gbw-prompt">{prompt}</span> the model scores every token of its vocabulary.
          </p>
          <RankedBars
            title={`Logits at the last position (top ${topLogits.length} of ${last?.length})`}
            items={topLogits}
            valueName="logit"
            testId="logits"
          />
          <TemperatureSlider
            className="gbw-controls"
            value={temperature}
            max={TEMPERATURE_MAX}
            onChange={setTemperature}
          />
          <Distribution
            title={`Probabilities: softmax(logits / ${temperature.toFixed(2)})`}
            probs={step.probs}
            label={label}
            n={Math.min(10, step.probs.length)}
            keptAfterTopK={topK !== null ? step.keptAfterTopK : null}
            kept={topK !== null || topP !== null ? step.kept : null}
            topK={topK}
            topP={topP}
            sampled={step.token}
            width={520}
            testId="probs"
          />
          <p className="gbw-note" data-testid="sampled" data-token-id={step.token}>
            {step.greedy ? 'Greedy (temperature 0): the most probable token, ' : `Drawn with seed ${seed}: `}
            <span className="gbw-continuation">{visibleToken(label(step.token))}</span> (probability{' '}
            {(step.tokenProb * 100).toFixed(1)}%).
          </p>
        </>
      )}
    </Frame>
  );
}
