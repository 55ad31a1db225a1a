import type { Tensor, Trace } from '@glassbox/compute';
import { topIndices } from '@glassbox/compute';
import type { Step } from '@glassbox/store';
import { layerNormStats, rowOf, STEP_INFO } from '@glassbox/store';
import type { Matrix } from '@glassbox/views';
import {
  AttentionPattern,
  asMatrix,
  Distribution,
  formatValue,
  Heatmap,
  headColumns,
  matrixStats,
  RankedBars,
  StepExplanation,
  TokenStrip,
  visibleToken,
} from '@glassbox/views';
import { useEffect, useMemo, useRef } from 'react';
import { navTiming, sampling, selection, session, stepper, useStore } from '../stores';
import { selectRow, usePrediction, useSelectedPosition, useTokenLabels, useVocabLabel } from './common';
import { KvCachePanel, LastPassLine } from './KvCachePanel';
import { TemperatureSlider } from './SamplingPanel';

/** The current step: its explanation and formula, then views of the real tensors from the trace. */
export function StepView() {
  const steps = useStore(stepper, (s) => s.steps);
  const kind = useStore(stepper, (s) => s.kind);
  const layer = useStore(selection, (s) => s.layer);
  const trace = useStore(session, (s) => s.trace);
  const index = stepper.getState().index();
  const step = steps[index];
  const info = STEP_INFO[step.kind];
  const rootRef = useRef<HTMLElement>(null);
  void kind;
  void layer;

  // Navigation → the next frame drawn: children's effects (the canvas painting) have run before this effect, and
  // the timeout after the animation frame fires once the browser has laid out and painted that frame.
  useEffect(() => {
    const start = navTiming.start;
    const root = rootRef.current;
    if (start <= 0 || !root) return;
    navTiming.start = 0;
    requestAnimationFrame(() =>
      setTimeout(() => {
        root.dataset.renderMs = (performance.now() - start).toFixed(1);
      }, 0),
    );
  });

  const hooks = trace ? step.hooks.filter((h) => trace[h]).map((h) => ({ name: h, shape: trace[h].shape })) : [];
  return (
    <section
      className="step-view"
      ref={rootRef}
      data-testid="step-view"
      data-step={step.kind}
      data-layer={step.layer ?? ''}
      aria-labelledby="step-title"
    >
      <StepExplanation
        title={info.title}
        explanation={info.explanation}
        formula={info.formula}
        where={step.layer !== null ? `Layer ${step.layer}` : undefined}
        position={`Step ${index + 1} of ${steps.length}`}
        hooks={hooks}
      />
      {step.kind === 'tokens' ? <TokensStep /> : trace ? <TensorStep step={step} trace={trace} /> : null}
    </section>
  );
}

function TokensStep() {
  const prompt = useStore(session, (s) => s.prompt);
  const tokens = useStore(session, (s) => s.tokens);
  const gpt2 = useStore(session, (s) => s.gpt2Tokens);
  const model = useStore(session, (s) => s.model);
  const selected = useStore(selection, (s) => s.token);
  const position = useSelectedPosition();
  const isGpt2 = model?.tokenizer.kind === 'gpt2';
  useEffect(() => {
    if (model && !isGpt2) void session.getState().showGpt2Comparison();
  }, [model, isGpt2]);
  return (
    <div className="views">
      <TokenStrip
        text={prompt}
        tokens={tokens}
        label={`Tokens of ${model?.label ?? 'the model'}’s ${model?.tokenizer.kind ?? ''} tokenizer`}
        selected={selected === null ? position : selected}
        onSelect={selectRow}
        testId="tokens"
      />
      <p className="hint">
        {tokens.length} tokens from {prompt.length} characters. Click a token to follow it through the layers.
      </p>
      {isGpt2 ? (
        <p className="hint" data-testid="gpt2-same">
          This model uses GPT-2’s own tokenizer (50,257 tokens), so this is exactly how GPT-2 splits the text.
        </p>
      ) : gpt2 ? (
        <div>
          <h3>GPT-2’s tokenizer, for comparison ({gpt2.length} tokens)</h3>
          <TokenStrip text={prompt} tokens={gpt2} label="Tokens of GPT-2’s tokenizer" testId="gpt2-tokens" />
        </div>
      ) : (
        <p className="hint">Loading GPT-2’s tokenizer for comparison…</p>
      )}
    </div>
  );
}

interface TensorStepProps {
  step: Step;
  trace: Trace;
}

/** A shared symmetric domain, so heatmaps of x, Δx and x + Δx use the same colours for the same numbers. */
function sharedDomain(...ts: Tensor[]): [number, number] {
  let m = 0;
  for (const t of ts) m = Math.max(m, matrixStats(asMatrix(t)).absMax);
  return [-(m || 1), m || 1];
}

function TensorStep({ step, trace }: TensorStepProps) {
  const labels = useTokenLabels();
  const position = useSelectedPosition();
  const head = useStore(selection, (s) => s.head);
  const model = useStore(session, (s) => s.model);
  const l = step.layer ?? 0;
  const L = model?.config.n_layer ?? 1;
  const t = (name: string) => trace[name];
  const rowProps = { rowLabels: labels, rowName: 'token', selectedRow: position, onSelectRow: selectRow };
  const heat = (name: string, title: string, extra: Partial<Parameters<typeof Heatmap>[0]> = {}) => (
    <Heatmap
      key={name}
      matrix={asMatrix(t(name))}
      title={`${title} — ${name} [${t(name).shape.join(', ')}]`}
      colName="dimension"
      valueLabel="activation"
      testId={name}
      {...rowProps}
      {...extra}
    />
  );

  switch (step.kind) {
    case 'embed': {
      const domain = sharedDomain(t('hook_embed'), t('hook_pos_embed'), t('blocks.0.hook_resid_pre'));
      return (
        <div className="views">
          {heat('hook_embed', 'Token embeddings W_E[t]', { domain })}
          {heat('hook_pos_embed', 'Position embeddings W_pos[i]', { domain })}
          {heat('blocks.0.hook_resid_pre', 'Their sum: the residual stream entering block 0', { domain })}
        </div>
      );
    }
    case 'ln1':
    case 'ln2':
    case 'ln_final': {
      const input =
        step.kind === 'ln1'
          ? `blocks.${l}.hook_resid_pre`
          : step.kind === 'ln2'
            ? `blocks.${l}.hook_resid_mid`
            : `blocks.${L - 1}.hook_resid_post`;
      const prefix = step.kind === 'ln_final' ? 'ln_final' : `blocks.${l}.${step.kind}`;
      return (
        <div className="views">
          {heat(input, 'Input x')}
          <LayerNormTable x={t(input)} scale={t(`${prefix}.hook_scale`)} labels={labels} position={position} />
          {heat(`${prefix}.hook_normalized`, 'Normalized, times w, plus b')}
        </div>
      );
    }
    case 'qkv': {
      const names = ['q', 'k', 'v'] as const;
      return (
        <div className="views">
          <HeadButtons />
          <div className="views-row">
            {names.map((n) => {
              const name = `blocks.${l}.attn.hook_${n}`;
              return (
                <Heatmap
                  key={name}
                  matrix={headColumns(t(name), head)}
                  title={`${n.toUpperCase()}, head ${head} — ${name}[:, ${head}, :]`}
                  colName="dh"
                  valueLabel={n}
                  maxWidth={300}
                  testId={`${name}-head`}
                  {...rowProps}
                />
              );
            })}
          </div>
          <KvCachePanel layer={l} trace={trace} />
        </div>
      );
    }
    case 'mask':
      return (
        <div className="views">
          <Heatmap
            matrix={asMatrix(t(`blocks.${l}.attn.hook_mask`))}
            title={`Causal mask — blocks.${l}.attn.hook_mask [query × key]`}
            scale="probability"
            valueLabel="1 = may attend, 0 = masked"
            colName="key"
            colLabel={(c) => labels[c]}
            testId={`blocks.${l}.attn.hook_mask`}
            {...rowProps}
            rowName="query"
          />
        </div>
      );
    case 'scores':
    case 'pattern': {
      const name = step.kind === 'scores' ? `blocks.${l}.attn.hook_attn_scores` : `blocks.${l}.attn.hook_pattern`;
      return (
        <div className="views">
          <AttentionPattern
            pattern={t(name)}
            kind={step.kind}
            head={head}
            onSelectHead={(h) => selection.getState().setHead(h)}
            tokens={labels}
            layer={l}
            selectedRow={position}
            onSelectRow={selectRow}
            testId={name}
          />
        </div>
      );
    }
    case 'z': {
      const z = t(`blocks.${l}.attn.hook_z`);
      const dh = z.shape[2];
      return (
        <div className="views">
          <HeadButtons />
          <Heatmap
            matrix={headColumns(z, head)}
            title={`Head ${head}: pattern · V — blocks.${l}.attn.hook_z[:, ${head}, :]`}
            colName="dh"
            valueLabel="z"
            testId={`blocks.${l}.attn.hook_z-head`}
            {...rowProps}
          />
          <Heatmap
            matrix={asMatrix(z)}
            title={`All heads concatenated [T, H·dh] (head ${head} outlined)`}
            colName="dimension"
            valueLabel="z"
            highlightCols={[head * dh, (head + 1) * dh]}
            testId={`blocks.${l}.attn.hook_z`}
            {...rowProps}
          />
        </div>
      );
    }
    case 'attn_out':
      return <div className="views">{heat(`blocks.${l}.hook_attn_out`, 'Attention output')}</div>;
    case 'resid_mid':
    case 'resid_post': {
      const [x, delta, out] =
        step.kind === 'resid_mid'
          ? [`blocks.${l}.hook_resid_pre`, `blocks.${l}.hook_attn_out`, `blocks.${l}.hook_resid_mid`]
          : [`blocks.${l}.hook_resid_mid`, `blocks.${l}.hook_mlp_out`, `blocks.${l}.hook_resid_post`];
      const domain = sharedDomain(t(x), t(delta), t(out));
      return (
        <div className="views">
          {heat(x, 'Residual stream x', { domain })}
          {heat(delta, step.kind === 'resid_mid' ? '+ attention output' : '+ MLP output', { domain })}
          {heat(out, '= new residual stream', { domain })}
        </div>
      );
    }
    case 'mlp_pre':
      return (
        <div className="views">
          {heat(`blocks.${l}.mlp.hook_pre`, 'Pre-activations', { colName: 'neuron' })}
          <TopNeurons post={t(`blocks.${l}.mlp.hook_pre`)} position={position} labels={labels} what="pre-activation" />
        </div>
      );
    case 'mlp_post':
      return (
        <div className="views">
          {heat(`blocks.${l}.mlp.hook_post`, 'GELU activations', { colName: 'neuron' })}
          <TopNeurons post={t(`blocks.${l}.mlp.hook_post`)} position={position} labels={labels} what="activation" />
        </div>
      );
    case 'mlp_out':
      return <div className="views">{heat(`blocks.${l}.hook_mlp_out`, 'MLP output')}</div>;
    case 'logits':
      return <LogitsStep trace={trace} position={position} />;
    case 'softmax':
      return <SoftmaxStep trace={trace} position={position} />;
    case 'sample':
      return <SampleStepView trace={trace} />;
    default:
      return null;
  }
}

function HeadButtons() {
  const head = useStore(selection, (s) => s.head);
  const H = useStore(session, (s) => s.model?.config.n_head ?? 1);
  if (H === 1) return null;
  return (
    <fieldset className="head-buttons">
      <legend>Head</legend>
      {Array.from({ length: H }, (_, h) => (
        <button
          // biome-ignore lint/suspicious/noArrayIndexKey: heads are indices
          key={h}
          type="button"
          aria-pressed={h === head}
          onClick={() => selection.getState().setHead(h)}
        >
          {h}
        </button>
      ))}
    </fieldset>
  );
}

function LayerNormTable({
  x,
  scale,
  labels,
  position,
}: {
  x: Tensor;
  scale: Tensor;
  labels: readonly string[];
  position: number;
}) {
  const stats = useMemo(() => layerNormStats(x), [x]);
  return (
    <table className="ln-table" data-testid="ln-stats">
      <caption>Per token: mean μ and variance σ² of x, and the scale √(σ² + ε) (hook_scale)</caption>
      <thead>
        <tr>
          <th scope="col">token</th>
          <th scope="col">μ</th>
          <th scope="col">σ²</th>
          <th scope="col">√(σ² + ε)</th>
        </tr>
      </thead>
      <tbody>
        {labels.map((label, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows are positions
          <tr key={i} className={i === position ? 'selected' : undefined} onClick={() => selectRow(i)}>
            <th scope="row">
              {i} {label}
            </th>
            <td>{formatValue(stats.mean[i])}</td>
            <td>{formatValue(stats.variance[i])}</td>
            <td>{formatValue(scale.data[i])}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function TopNeurons({
  post,
  position,
  labels,
  what,
}: {
  post: Tensor;
  position: number;
  labels: readonly string[];
  what: string;
}) {
  const items = useMemo(() => {
    const r = rowOf(post, position);
    return topIndices(r, 10).map((n) => ({ key: n, label: `neuron ${n}`, value: r[n] }));
  }, [post, position]);
  return (
    <RankedBars
      title={`Most active neurons for token ${position} “${labels[position] ?? ''}”`}
      items={items}
      valueName={what}
      testId="top-neurons"
    />
  );
}

function LogitsStep({ trace, position }: { trace: Trace; position: number }) {
  const label = useVocabLabel();
  const labels = useTokenLabels();
  const logits = trace.hook_logits;
  const items = useMemo(() => {
    const r = rowOf(logits, position);
    return topIndices(r, 10).map((id) => ({ key: id, label: visibleToken(label(id)), value: r[id] }));
  }, [logits, position, label]);
  return (
    <div className="views">
      <RankedBars
        title={`Highest logits for the token after position ${position} “${labels[position] ?? ''}”`}
        items={items}
        valueName="logit"
        testId="top-logits"
      />
      <Heatmap
        matrix={asMatrix(logits)}
        title={`All logits — hook_logits [${logits.shape.join(', ')}]`}
        colName="token id"
        colLabel={(c) => visibleToken(label(c))}
        valueLabel="logit"
        rowLabels={labels}
        rowName="token"
        selectedRow={position}
        onSelectRow={selectRow}
        testId="hook_logits"
      />
    </div>
  );
}

function SoftmaxStep({ trace, position }: { trace: Trace; position: number }) {
  const label = useVocabLabel();
  const labels = useTokenLabels();
  const temperature = useStore(sampling, (s) => s.temperature);
  const seed = useStore(sampling, (s) => s.seed);
  const step = usePrediction(trace, position, { temperature, topK: null, topP: null, seed });
  const scaled: Matrix = { rows: 1, cols: step.scaledLogits.length, data: step.scaledLogits };
  return (
    <div className="views">
      <TemperatureSlider />
      <Distribution
        title={`Next-token probabilities after position ${position} “${labels[position] ?? ''}” at temperature ${temperature.toFixed(2)}`}
        probs={step.probs}
        label={label}
        testId="distribution"
      />
      <Heatmap
        matrix={scaled}
        title={`Logits ÷ temperature for position ${position} (the row of hook_scaled_logits)`}
        colName="token id"
        colLabel={(c) => visibleToken(label(c))}
        valueLabel="logit / τ"
        rowName="position"
        maxHeight={40}
        testId="scaled-logits"
      />
    </div>
  );
}

function SampleStepView({ trace }: { trace: Trace }) {
  const label = useVocabLabel();
  const s = useStore(sampling, (x) => x);
  const T = trace.hook_logits.shape[0];
  const n = useStore(session, (x) => x.model?.config.n_positions ?? 0);
  const step = usePrediction(trace, T - 1, s);
  const tokenText = label(step.token);
  const full = T >= n;
  return (
    <div className="views">
      <Distribution
        title={`The next token: temperature ${s.temperature.toFixed(2)}, top-k ${s.topK ?? 'off'}, top-p ${s.topP ?? 'off'}, seed ${s.seed}`}
        probs={step.probs}
        keptAfterTopK={s.topK !== null ? step.keptAfterTopK : null}
        kept={s.topK !== null || s.topP !== null ? step.kept : null}
        topK={s.topK}
        topP={s.topP}
        sampled={step.token}
        label={label}
        testId="sample-distribution"
      />
      <p className="sampled" data-testid="sampled" data-token-id={step.token}>
        {step.greedy ? (
          <>Temperature 0 is greedy: the most probable token is taken and no random number is drawn: </>
        ) : (
          <>
            The seeded random number u = {step.u?.toFixed(4)} lands in this token’s slice of the cumulative
            probabilities (kept tokens in id order):{' '}
          </>
        )}
        <strong className="sampled-token">“{visibleToken(tokenText)}”</strong> (id {step.token}, probability{' '}
        {formatValue(step.tokenProb)} after filtering).
      </p>
      <button
        type="button"
        data-testid="append"
        disabled={full}
        onClick={() => session.getState().appendToken(step.token)}
      >
        Append “{visibleToken(tokenText)}” and run again
      </button>
      {full && <p className="hint">The context window is full ({n} positions).</p>}
      <LastPassLine showLink />
    </div>
  );
}
