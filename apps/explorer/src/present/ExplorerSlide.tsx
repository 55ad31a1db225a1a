import type { Tensor, Trace } from '@glassbox/compute';
import { topIndices } from '@glassbox/compute';
import type { StepKind } from '@glassbox/store';
import { rowOf } from '@glassbox/store';
import type { Matrix } from '@glassbox/views';
import { asMatrix, headColumns, headPlane, visibleToken } from '@glassbox/views';
import { useMemo } from 'react';
import { usePrediction, useSelectedPosition, useTokenLabels, useVocabLabel } from '../components/common';
import { sampling, selection, session, useStore } from '../stores';
import type { Bar } from './BigBars';
import { BigBars } from './BigBars';
import { BigMatrix, Op, sharedDomain } from './BigMatrix';

/**
 * The main view of one explorer step, sized for a lecture hall: the few tensors that carry the step's idea, read from
 * the explorer's own stores (the trace of the real forward pass), never recomputed here.
 */
export function ExplorerSlideBody({ kind }: { kind: StepKind }) {
  const trace = useStore(session, (s) => s.trace);
  const tokens = useStore(session, (s) => s.tokens);
  if (kind === 'tokens') return <TokensBody />;
  if (!trace || tokens.length === 0) return <p className="pr-wait">Running the model…</p>;
  return <TensorBody kind={kind} trace={trace} />;
}

function TokensBody() {
  const tokens = useStore(session, (s) => s.tokens);
  const prompt = useStore(session, (s) => s.prompt);
  return (
    <div className="pr-tokens" data-testid="pr-tokens">
      <p className="pr-prompt">
        “<span data-testid="pr-prompt">{prompt}</span>”
      </p>
      <Op>↓</Op>
      <ol className="pr-token-list">
        {tokens.map((t, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: tokens are positions
          <li key={i} data-token-id={t.id}>
            <span className="pr-token-text">{visibleToken(t.text)}</span>
            <span className="pr-token-id">{t.id}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}

function TensorBody({ kind, trace }: { kind: StepKind; trace: Trace }) {
  const labels = useTokenLabels();
  const position = useSelectedPosition();
  const layer = useStore(selection, (s) => s.layer);
  const head = useStore(selection, (s) => s.head);
  const model = useStore(session, (s) => s.model);
  const L = model?.config.n_layer ?? 1;
  const l = Math.min(layer, L - 1);
  const b = `blocks.${l}`;
  const t = (name: string): Tensor => trace[name];
  const m = (name: string): Matrix => asMatrix(t(name));
  const big = (name: string, title: string, extra: Partial<Parameters<typeof BigMatrix>[0]> = {}) => (
    <BigMatrix
      key={name}
      matrix={m(name)}
      title={title}
      source={`${name} [${t(name).shape.join(', ')}]`}
      rowLabels={labels}
      selectedRow={position}
      testId={name}
      {...extra}
    />
  );
  const sum = (x: string, dx: string, out: string, titles: [string, string, string]) => {
    const domain = sharedDomain(m(x), m(dx), m(out));
    return (
      <div className="pr-row">
        {big(x, titles[0], { domain })}
        <Op>+</Op>
        {big(dx, titles[1], { domain })}
        <Op>=</Op>
        {big(out, titles[2], { domain })}
      </div>
    );
  };
  const perHead = (name: string, title: string, extra: Partial<Parameters<typeof BigMatrix>[0]> = {}) => (
    <BigMatrix
      key={name}
      matrix={headColumns(t(name), head)}
      title={title}
      source={`${name}[:, ${head}, :]`}
      rowLabels={labels}
      selectedRow={position}
      testId={`${name}-head`}
      {...extra}
    />
  );
  const square = (name: string, title: string, scale: 'diverging' | 'probability') => (
    <BigMatrix
      matrix={headPlane(t(name), head)}
      title={title}
      source={`${name}[${head}] [query × key]`}
      rowLabels={labels}
      colLabels={labels}
      scale={scale}
      selectedRow={position}
      alone
      testId={name}
    />
  );

  switch (kind) {
    case 'embed':
      return sum('hook_embed', 'hook_pos_embed', 'blocks.0.hook_resid_pre', [
        'token embedding W_E[t]',
        'position embedding W_pos[i]',
        'residual stream x',
      ]);
    case 'ln1':
    case 'ln2':
    case 'ln_final': {
      const input =
        kind === 'ln1'
          ? `${b}.hook_resid_pre`
          : kind === 'ln2'
            ? `${b}.hook_resid_mid`
            : `blocks.${L - 1}.hook_resid_post`;
      const out = kind === 'ln_final' ? 'ln_final.hook_normalized' : `${b}.${kind}.hook_normalized`;
      return (
        <div className="pr-row">
          {big(input, 'x')}
          <Op>→</Op>
          {big(out, 'LayerNorm(x)')}
        </div>
      );
    }
    case 'qkv':
      return (
        <div className="pr-row">
          {perHead(`${b}.attn.hook_q`, `Q (head ${head})`)}
          {perHead(`${b}.attn.hook_k`, `K (head ${head})`)}
          {perHead(`${b}.attn.hook_v`, `V (head ${head})`)}
        </div>
      );
    case 'mask':
      return (
        <div className="pr-row">
          <BigMatrix
            matrix={headPlane(t(`${b}.attn.hook_mask`), 0)}
            title="may attend (1) or not (0)"
            source={`${b}.attn.hook_mask [query × key]`}
            rowLabels={labels}
            colLabels={labels}
            scale="probability"
            selectedRow={position}
            alone
            testId={`${b}.attn.hook_mask`}
          />
        </div>
      );
    case 'scores':
      return <div className="pr-row">{square(`${b}.attn.hook_attn_scores`, `scores, head ${head}`, 'diverging')}</div>;
    case 'pattern':
      return <div className="pr-row">{square(`${b}.attn.hook_pattern`, `pattern, head ${head}`, 'probability')}</div>;
    case 'z':
      return (
        <div className="pr-row">
          <BigMatrix
            matrix={headPlane(t(`${b}.attn.hook_pattern`), head)}
            title="pattern A"
            source={`${b}.attn.hook_pattern[${head}]`}
            rowLabels={labels}
            colLabels={labels}
            scale="probability"
            selectedRow={position}
            testId={`${b}.attn.hook_pattern`}
          />
          <Op>·</Op>
          {perHead(`${b}.attn.hook_v`, 'V')}
          <Op>=</Op>
          {perHead(`${b}.attn.hook_z`, 'z')}
        </div>
      );
    case 'attn_out':
      return (
        <div className="pr-row">
          {big(`${b}.attn.hook_z`, 'z, all heads')}
          <Op>→</Op>
          {big(`${b}.hook_attn_out`, 'z W_O + b_O')}
        </div>
      );
    case 'resid_mid':
      return sum(`${b}.hook_resid_pre`, `${b}.hook_attn_out`, `${b}.hook_resid_mid`, [
        'x',
        'attention output',
        'x_mid',
      ]);
    case 'mlp_pre':
      return (
        <div className="pr-col">
          {big(`${b}.ln2.hook_normalized`, 'LayerNorm₂(x_mid)')}
          <Op>↓</Op>
          {big(`${b}.mlp.hook_pre`, 'h = LN₂(x_mid) W_in + b_in: one column per neuron', {
            colLabels: neuronLabels(t(`${b}.mlp.hook_pre`)),
          })}
        </div>
      );
    case 'mlp_post': {
      // One colour scale for both, so a cell that GELU leaves alone keeps its colour.
      const domain = sharedDomain(m(`${b}.mlp.hook_pre`), m(`${b}.mlp.hook_post`));
      const colLabels = neuronLabels(t(`${b}.mlp.hook_pre`));
      return (
        <div className="pr-col">
          {big(`${b}.mlp.hook_pre`, 'h', { colLabels, domain })}
          <Op>↓</Op>
          {big(`${b}.mlp.hook_post`, 'GELU(h)', { colLabels, domain })}
        </div>
      );
    }
    case 'mlp_out':
      return (
        <div className="pr-col">
          {big(`${b}.mlp.hook_post`, 'GELU(h)', { colLabels: neuronLabels(t(`${b}.mlp.hook_post`)) })}
          <Op>↓</Op>
          {big(`${b}.hook_mlp_out`, 'GELU(h) W_out + b_out')}
        </div>
      );
    case 'resid_post':
      return sum(`${b}.hook_resid_mid`, `${b}.hook_mlp_out`, `${b}.hook_resid_post`, ['x_mid', 'MLP output', 'x_post']);
    case 'logits':
      return <LogitsBody trace={trace} position={position} labels={labels} />;
    case 'softmax':
      return <SoftmaxBody trace={trace} position={position} labels={labels} />;
    case 'sample':
      return <SampleBody trace={trace} />;
    default:
      return null;
  }
}

function neuronLabels(t: Tensor): string[] | undefined {
  const n = t.shape[t.shape.length - 1];
  return n <= 20 ? Array.from({ length: n }, (_, i) => String(i)) : undefined;
}

const BARS = 10;

function LogitsBody({ trace, position, labels }: { trace: Trace; position: number; labels: string[] }) {
  const label = useVocabLabel();
  const bars = useMemo(() => {
    const r = rowOf(trace.hook_logits, position);
    return topIndices(r, BARS).map((id): Bar => ({ id, label: label(id), value: r[id] }));
  }, [trace, position, label]);
  return (
    <div className="pr-row">
      <BigBars
        kind="signed"
        title={`Logits after “${labels[position] ?? ''}” (position ${position}): the ${bars.length} highest`}
        bars={bars}
        testId="pr-logits"
      />
    </div>
  );
}

function SoftmaxBody({ trace, position, labels }: { trace: Trace; position: number; labels: string[] }) {
  const label = useVocabLabel();
  const temperature = useStore(sampling, (s) => s.temperature);
  const seed = useStore(sampling, (s) => s.seed);
  const step = usePrediction(trace, position, { temperature, topK: null, topP: null, seed });
  const bars = topIndices(step.probs, BARS).map((id): Bar => ({ id, label: label(id), value: step.probs[id] }));
  return (
    <div className="pr-row pr-softmax">
      <p className="pr-big-fact" data-testid="pr-temperature" data-value={temperature}>
        τ = {temperature.toFixed(temperature === 0 ? 0 : 2)}
      </p>
      <BigBars
        kind="prob"
        title={`Next-token probabilities after “${labels[position] ?? ''}”`}
        bars={bars}
        testId="pr-probs"
      />
    </div>
  );
}

function SampleBody({ trace }: { trace: Trace }) {
  const label = useVocabLabel();
  const prompt = useStore(session, (x) => x.prompt);
  const s = useStore(sampling, (x) => x);
  const T = trace.hook_logits.shape[0];
  const step = usePrediction(trace, T - 1, s);
  const ids = topIndices(step.probs, BARS);
  if (!ids.includes(step.token)) ids[ids.length - 1] = step.token;
  const bars = ids.map(
    (id): Bar => ({
      id,
      label: label(id),
      value: step.probs[id],
      mark: id === step.token ? 'sampled' : undefined,
      faded: step.kept[id] === 0,
    }),
  );
  const filters = [s.topK !== null && `top-k ${s.topK}`, s.topP !== null && `top-p ${s.topP}`].filter(Boolean);
  return (
    <div className="pr-row pr-sample">
      <div className="pr-sample-facts">
        <p className="pr-big-fact">
          τ = {s.temperature.toFixed(s.temperature === 0 ? 0 : 2)}
          {filters.length > 0 ? `, ${filters.join(', ')}` : ''}
        </p>
        <p className="pr-big-fact">
          {step.greedy ? 'greedy: no random number' : `seed ${s.seed}: u = ${step.u?.toFixed(3)}`}
        </p>
        <p className="pr-next" data-testid="pr-sampled" data-token-id={step.token}>
          “{prompt}” → <strong>{visibleToken(label(step.token))}</strong>
        </p>
      </div>
      <BigBars kind="prob" title="The distribution the token is drawn from" bars={bars} testId="pr-sample-probs" />
    </div>
  );
}
