import { hookSpec } from '@glassbox/compute';
import type { Step, StepKind } from '@glassbox/store';
import {
  buildSteps,
  DEFAULT_SAMPLING,
  findStep,
  rowOf,
  STEP_INFO,
  STEP_KINDS,
  samplePrediction,
  stepId,
} from '@glassbox/store';
import {
  AttentionPattern,
  asMatrix,
  Distribution,
  Heatmap,
  headColumns,
  TokenStrip,
  visibleToken,
} from '@glassbox/views';
import type { KeyboardEvent } from 'react';
import { useEffect, useId, useMemo, useState } from 'react';
import type { Attributes } from '../attributes';
import { checkIndex, Problems, parseChoice, parseIndex } from '../attributes';
import { COMMON_ATTRIBUTES, commonAttrs } from '../common';
import { Frame } from '../Frame';
import { MathFormula } from '../MathFormula';
import type { PromptRun } from '../useRun';
import { usePromptRun } from '../useRun';

export const STEPPER_ATTRIBUTES = [...COMMON_ATTRIBUTES, 'step', 'layer', 'head'];

/**
 * `<glassbox-stepper prompt="cat sat on" step="pattern" layer="0">`: the whole forward pass, one step at a time
 * (the explorer's steps, from compute's hook list), each with its formula and the real tensors of this prompt.
 * ← / → or the buttons move through the steps; the attributes choose where it opens.
 */
export function StepperWidget({ attrs }: { attrs: Attributes }) {
  const problems = new Problems();
  const { model, engine, prompt } = commonAttrs(attrs, problems);
  const kind = problems.take(parseChoice<StepKind>('step', attrs.step, STEP_KINDS, 'tokens'), 'tokens');
  const layer = problems.take(parseIndex('layer', attrs.layer, 0), 0);
  const headAttr = problems.take(parseIndex('head', attrs.head, 0), 0);
  const valid = problems.list.length === 0;
  const run = usePromptRun(model, engine, prompt, 'all', valid);
  const r = valid ? run.value : null;
  const config = r?.model.config ?? null;
  const steps = useMemo(() => (config ? buildSteps(config) : []), [config]);
  // null: follow the attributes; a number: the student moved.
  const [moved, setMoved] = useState<number | null>(null);
  const [head, setHead] = useState(headAttr);
  // biome-ignore lint/correctness/useExhaustiveDependencies: an attribute change (or a new model) resets the position
  useEffect(() => setMoved(null), [kind, layer, steps]);
  useEffect(() => setHead(headAttr), [headAttr]);
  const selectId = useId();

  if (config) {
    problems.add(checkIndex('layer', layer, config.n_layer));
    problems.add(checkIndex('head', headAttr, config.n_head));
  }
  if (valid && run.error) problems.add(run.error);
  const ok = problems.list.length === 0 && r !== null && steps.length > 0;
  const index = Math.min(steps.length - 1, moved ?? Math.max(0, findStep(steps, kind, layer)));
  const step = ok ? steps[index] : null;
  const go = (i: number) => setMoved(Math.max(0, Math.min(steps.length - 1, i)));
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const tag = (e.target as HTMLElement).tagName;
    if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA') return;
    if (e.key === 'ArrowRight') go(index + 1);
    else if (e.key === 'ArrowLeft') go(index - 1);
    else return;
    e.preventDefault();
  };
  const info = step ? STEP_INFO[step.kind] : null;
  return (
    <Frame
      widget="stepper"
      title="Inside the forward pass, step by step"
      errors={problems.list}
      status={run.status}
      model={r?.model.label}
      engine={r?.engine.kind}
      engineReason={r?.engine.reason}
    >
      {ok && step && info && (
        // biome-ignore lint/a11y/noStaticElementInteractions: ← / → step through the pass when focus is inside the widget
        <div onKeyDown={onKeyDown} data-testid="stepper" data-step={stepId(step)}>
          <div className="gbw-controls">
            <button type="button" onClick={() => go(index - 1)} disabled={index === 0} data-testid="prev">
              ◀ Previous
            </button>
            <label htmlFor={selectId} className="gb-sr-only">
              Step
            </label>
            <select id={selectId} value={index} onChange={(e) => go(Number(e.target.value))} data-testid="step-select">
              {steps.map((s, i) => (
                <option key={stepId(s)} value={i}>
                  {i + 1}. {STEP_INFO[s.kind].title}
                  {s.layer !== null ? ` (layer ${s.layer})` : ''}
                </option>
              ))}
            </select>
            <button
              type="button"
              onClick={() => go(index + 1)}
              disabled={index === steps.length - 1}
              data-testid="next"
            >
              Next ▶
            </button>
            <span className="gbw-note" data-testid="step-count">
              Step {index + 1} of {steps.length}
            </span>
          </div>
          <h3 className="gbw-step-title" data-testid="step-title">
            {info.title}
            {step.layer !== null ? ` · layer ${step.layer}` : ''}
          </h3>
          <p className="gbw-step-text">{info.explanation}</p>
          <MathFormula tex={info.formula} />
          <StepTensors
            step={step}
            run={r}
            prompt={prompt}
            head={Math.min(head, r.model.config.n_head - 1)}
            onHead={setHead}
          />
        </div>
      )}
    </Frame>
  );
}

interface StepTensorsProps {
  step: Step;
  run: PromptRun;
  prompt: string;
  head: number;
  onHead: (head: number) => void;
}

function StepTensors({ step, run, prompt, head, onHead }: StepTensorsProps) {
  const labels = run.tokens.map((t) => visibleToken(t.text));
  const vocab = (id: number) => visibleToken(run.model.tokenizer.idToToken(id));
  const H = run.model.config.n_head;
  if (step.kind === 'tokens') {
    return <TokenStrip text={prompt} tokens={run.tokens} label={`Tokens of ${run.model.label}`} testId="tokens" />;
  }
  if (step.kind === 'sample') {
    const T = run.tokens.length;
    const s = samplePrediction(rowOf(run.logits, T - 1), DEFAULT_SAMPLING, T);
    return (
      <Distribution
        title="Next-token probabilities at the last position (temperature 1), and the token drawn"
        probs={s.probs}
        label={(id) => run.model.tokenizer.idToToken(id)}
        n={Math.min(10, s.probs.length)}
        sampled={s.token}
        width={520}
        testId="probs"
      />
    );
  }
  // The KV cache hooks repeat k and v for a single full pass: the explorer shows them when decoding.
  const names = step.hooks.filter((h) => run.trace[h] && !h.endsWith('_cache'));
  const perHead = names.some((n) => run.trace[n].shape.length === 3 && !isAttention(n));
  return (
    <div className="gbw-tensors">
      {perHead && H > 1 && (
        <div className="gbw-controls">
          {Array.from({ length: H }, (_, h) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: heads are indices
            <button key={h} type="button" aria-pressed={h === head} onClick={() => onHead(h)}>
              head {h}
            </button>
          ))}
        </div>
      )}
      {names.map((name) => {
        const t = run.trace[name];
        const meaning = hookSpec(name)?.spec.meaning ?? '';
        const title = `${name} [${t.shape.join(', ')}]: ${meaning}`;
        if (isAttention(name)) {
          return (
            <AttentionPattern
              key={name}
              pattern={t}
              head={head}
              onSelectHead={onHead}
              tokens={labels}
              layer={step.layer ?? 0}
              kind={name.endsWith('hook_pattern') ? 'pattern' : 'scores'}
              testId={name}
            />
          );
        }
        const wide = t.shape.length === 2 && t.shape[1] === run.model.config.vocab_size;
        return (
          <Heatmap
            key={name}
            matrix={t.shape.length === 3 ? headColumns(t, head) : asMatrix(t)}
            title={t.shape.length === 3 ? `${title} (head ${head})` : title}
            scale={name === 'hook_probs' || name.endsWith('hook_mask') ? 'probability' : 'diverging'}
            valueLabel="value"
            rowLabels={labels}
            rowName="token"
            colName={wide ? 'vocabulary token' : 'dimension'}
            colLabel={wide ? vocab : undefined}
            maxWidth={560}
            maxHeight={300}
            testId={name}
          />
        );
      })}
    </div>
  );
}

function isAttention(name: string): boolean {
  return name.endsWith('.attn.hook_pattern') || name.endsWith('.attn.hook_attn_scores');
}
