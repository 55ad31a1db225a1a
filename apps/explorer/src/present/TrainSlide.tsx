import type { Tensor } from '@glassbox/compute';
import type { ForwardPhase, LossPhase, StepRecord, TrainingState, TrainPhase, UpdatePhase } from '@glassbox/store';
import { formatValue, visibleToken } from '@glassbox/views';
import { useStore } from 'zustand';
import { norm } from '../lab/tensors';
import { BigMatrix, Op } from './BigMatrix';
import { hasPhase, lectureTrainer } from './lectureTrainer';

/**
 * A training slide: one phase of the first training step of the toy world from its seed-0 initialisation, or a run
 * of many steps, computed by the training lab's worker. Everything shown is what the trainer reported.
 */
export function TrainSlideBody({ phase, token, steps }: { phase: TrainPhase; token: number | null; steps: number }) {
  const store = lectureTrainer();
  const s = useStore(store, (x) => x);
  if (s.status === 'error') {
    return (
      <p className="pr-error-line" role="alert">
        {s.error}
      </p>
    );
  }
  if (phase === 'run') return <RunBody s={s} steps={steps} />;
  const ready = hasPhase(s, phase);
  const { forward, loss, backward, update } = s.stepped;
  const vocab = s.info?.vocab ?? [];
  return (
    <div className="pr-train" data-testid="pr-train" data-phase={phase} data-ready={ready}>
      {!ready || !forward ? (
        <p className="pr-wait">Training…</p>
      ) : phase === 'forward' ? (
        <BatchBody forward={forward} vocab={vocab} />
      ) : phase === 'loss' && loss ? (
        <LossBody forward={forward} loss={loss} vocab={vocab} />
      ) : phase === 'gradient' && loss ? (
        <GradientBody forward={forward} loss={loss} vocab={vocab} token={token} />
      ) : phase === 'backward' ? (
        <BackwardBody stages={backward} />
      ) : phase === 'update' && update ? (
        <UpdateBody update={update} vocab={vocab} />
      ) : null}
    </div>
  );
}

const word = (vocab: readonly string[], id: number) => visibleToken(vocab[id] ?? `#${id}`);

function BatchBody({ forward, vocab }: { forward: ForwardPhase; vocab: readonly string[] }) {
  const inputs = forward.inputs[0];
  const targets = forward.targets[0];
  return (
    <table className="pr-table pr-batch" data-testid="pr-batch">
      <caption>
        {forward.inputs.length === 1 ? 'The batch: one sequence' : `Sequence 1 of ${forward.inputs.length}`},{' '}
        {inputs.length} positions
      </caption>
      <tbody>
        <tr>
          <th scope="row">input</th>
          {inputs.map((id, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: positions
            <td key={i}>{word(vocab, id)}</td>
          ))}
        </tr>
        <tr className="pr-target-row">
          <th scope="row">target</th>
          {targets.map((id, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: positions
            <td key={i}>{word(vocab, id)}</td>
          ))}
        </tr>
      </tbody>
    </table>
  );
}

/** probs[b = 0, t, target] of a [B, T, V] tensor. */
function probAt(t: Tensor, pos: number, id: number): number {
  const [, T, V] = t.shape.length === 3 ? t.shape : [1, ...t.shape];
  return t.data[(0 * T + pos) * V + id];
}

function LossBody({ forward, loss, vocab }: { forward: ForwardPhase; loss: LossPhase; vocab: readonly string[] }) {
  const inputs = forward.inputs[0];
  const targets = forward.targets[0];
  return (
    <div className="pr-col">
      <p className="pr-big-fact" data-testid="pr-loss" data-value={loss.loss}>
        L = mean over {loss.N} positions = <strong>{loss.loss.toFixed(4)}</strong>
      </p>
      <table className="pr-table pr-losses" data-testid="pr-losses">
        <tbody>
          <tr>
            <th scope="row">input → target</th>
            {inputs.map((id, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: positions
              <td key={i}>
                {word(vocab, id)}
                <br />→ {word(vocab, targets[i])}
              </td>
            ))}
          </tr>
          <tr>
            <th scope="row">p(target)</th>
            {inputs.map((_, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: positions
              <td key={i}>{probAt(loss.probs, i, targets[i]).toFixed(3)}</td>
            ))}
          </tr>
          <tr className="pr-target-row">
            <th scope="row">−log p</th>
            {inputs.map((_, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: positions
              <td key={i} data-value={loss.losses.data[i]}>
                {loss.losses.data[i].toFixed(2)}
              </td>
            ))}
          </tr>
        </tbody>
      </table>
    </div>
  );
}

function GradientBody({
  forward,
  loss,
  vocab,
  token,
}: {
  forward: ForwardPhase;
  loss: LossPhase;
  vocab: readonly string[];
  token: number | null;
}) {
  const inputs = forward.inputs[0];
  const targets = forward.targets[0];
  const T = inputs.length;
  const V = vocab.length;
  const pos = token === null ? T - 1 : Math.min(token, T - 1);
  const target = targets[pos];
  const p = loss.probs.data.subarray(pos * V, (pos + 1) * V);
  const g = loss.dlogits.data.subarray(pos * V, (pos + 1) * V);
  const y = new Float32Array(V);
  y[target] = 1;
  const words = vocab.map((w) => visibleToken(w));
  const row = (data: ArrayLike<number>, label: string, testId: string, scale: 'probability' | 'diverging') => (
    <BigMatrix
      matrix={{ rows: 1, cols: V, data }}
      title=""
      rowLabels={[label]}
      colLabels={words}
      scale={scale}
      highlightCol={target}
      testId={testId}
    />
  );
  return (
    <div className="pr-col pr-gradient">
      <p className="pr-big-fact" data-testid="pr-gradient-position" data-position={pos}>
        position {pos}: “{word(vocab, inputs[pos])}” should be followed by “{word(vocab, target)}”
      </p>
      {row(p, 'softmax p', 'pr-grad-p', 'probability')}
      {row(y, '− one-hot y', 'pr-grad-y', 'probability')}
      {row(g, `÷ N (${loss.N}) = ∂L/∂z`, 'pr-grad-g', 'diverging')}
    </div>
  );
}

function stageName(s: TrainingState['stepped']['backward'][number]['stage']): string {
  if (s.kind === 'head') return 'unembedding + final LayerNorm';
  if (s.kind === 'embed') return 'embeddings';
  return `block ${s.layer}`;
}

/** The gradient along the residual stream, from the loss down to the embeddings, with its size at each point. */
function BackwardBody({ stages }: { stages: TrainingState['stepped']['backward'] }) {
  const chain = (st: (typeof stages)[number]): string[] => {
    if (st.stage.kind === 'head') return ['grad.hook_logits', 'grad.ln_final.hook_normalized'];
    if (st.stage.kind === 'embed') return ['grad.hook_embed'];
    const l = st.stage.layer;
    return [`grad.blocks.${l}.hook_resid_post`, `grad.blocks.${l}.hook_resid_mid`, `grad.blocks.${l}.hook_resid_pre`];
  };
  const flow = stages.flatMap((st) =>
    chain(st)
      .filter((n) => st.grads[n])
      .map((n) => ({ stage: stageName(st.stage), name: n, norm: norm(st.grads[n]) })),
  );
  const params = stages.reduce(
    (n, st) => n + Object.keys(st.grads).filter((k) => k.startsWith('grad.params.')).length,
    0,
  );
  const biggest = Math.max(1e-30, ...flow.map((f) => f.norm));
  return (
    <div className="pr-col">
      <table className="pr-table pr-flow" data-testid="pr-flow">
        <caption>The gradient on its way down, and its size ‖g‖ there</caption>
        <tbody>
          {flow.map((f) => (
            <tr key={f.name} data-name={f.name} data-value={f.norm}>
              <th scope="row">{f.stage}</th>
              <td>
                <code>{f.name}</code>
              </td>
              <td className="pr-flow-norm">
                <span className="pr-flow-bar" style={{ width: `${Math.max(2, (100 * f.norm) / biggest)}%` }} />
              </td>
              <td>{formatValue(f.norm)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="pr-small-fact">…and a gradient for each of the {params} parameter tensors on the way.</p>
    </div>
  );
}

function UpdateBody({ update, vocab }: { update: UpdatePhase; vocab: readonly string[] }) {
  const u = update.updates.find((x) => x.name === 'embed.W_E') ?? update.updates[0];
  const asM = (t: Tensor) => ({ rows: t.shape[0], cols: t.shape.length > 1 ? t.shape[1] : 1, data: t.data });
  const rows = u && u.before.shape[0] === vocab.length ? vocab.map((w) => visibleToken(w)) : undefined;
  return (
    <div className="pr-row pr-update">
      <div className="pr-update-facts">
        <p className="pr-small-fact">loss on the batch</p>
        <p
          className="pr-big-fact"
          data-testid="pr-update-loss"
          data-before={update.lossBefore}
          data-after={update.lossAfter}
        >
          {update.lossBefore.toFixed(4)} → <strong>{update.lossAfter.toFixed(4)}</strong>
        </p>
        <p className="pr-small-fact">
          {update.optimizer === 'adamw' ? 'AdamW' : 'SGD'}, η = {formatValue(update.lr)}
          <br />
          ‖g‖ = {formatValue(update.gradNorm)}
          {update.clipScale < 1 ? `, clipped to ${update.clipNorm}` : ''}
        </p>
      </div>
      {u && (
        <>
          <BigMatrix matrix={asM(u.grad)} title={`gradient of ${u.name}`} rowLabels={rows} testId="pr-update-grad" />
          <Op>→</Op>
          <BigMatrix matrix={asM(u.update)} title="update = after − before" rowLabels={rows} testId="pr-update-delta" />
        </>
      )}
    </div>
  );
}

function RunBody({ s, steps }: { s: TrainingState; steps: number }) {
  const done = s.step >= steps && s.status !== 'running';
  const first = s.history[0]?.loss;
  const last = s.history[s.history.length - 1]?.loss;
  return (
    <div className="pr-row pr-run" data-testid="pr-train" data-phase="run" data-ready={done} data-step={s.step}>
      <BigLossCurve history={s.history} steps={steps} />
      <div className="pr-run-facts">
        <p className="pr-big-fact" data-testid="pr-run-step">
          step {s.step} of {steps}
        </p>
        <p className="pr-big-fact" data-testid="pr-run-loss" data-value={last ?? ''}>
          loss {first !== undefined ? first.toFixed(2) : '—'} →{' '}
          <strong>{last !== undefined ? last.toFixed(3) : '—'}</strong>
        </p>
        {s.prediction && (
          <p className="pr-next" data-testid="pr-run-continuation">
            “{s.prediction.prompt}” → <strong>{s.prediction.continuation}</strong>
          </p>
        )}
      </div>
    </div>
  );
}

/** The training loss against the step, drawn in a viewBox so that it and its labels scale with the screen. */
function BigLossCurve({ history, steps }: { history: readonly StepRecord[]; steps: number }) {
  const W = 900;
  const H = 460;
  const m = { l: 100, r: 20, t: 20, b: 70 };
  const top = Math.max(1, Math.ceil(Math.max(...history.map((h) => h.loss), 2.4)));
  const x = (step: number) => m.l + ((W - m.l - m.r) * step) / Math.max(1, steps);
  const y = (loss: number) => m.t + (H - m.t - m.b) * (1 - Math.min(loss, top) / top);
  const pts = history
    .filter((h) => Number.isFinite(h.loss))
    .map((h) => `${x(h.step + 1).toFixed(1)},${y(h.loss).toFixed(1)}`);
  const yTicks = Array.from({ length: top + 1 }, (_, i) => i).filter((v) => top <= 5 || v % Math.ceil(top / 5) === 0);
  return (
    <svg className="pr-curve" viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Training loss against step">
      <line x1={m.l} x2={m.l} y1={m.t} y2={H - m.b} className="pr-axis" />
      <line x1={m.l} x2={W - m.r} y1={H - m.b} y2={H - m.b} className="pr-axis" />
      {yTicks.map((v) => (
        <text key={v} x={m.l - 12} y={y(v) + 10} textAnchor="end">
          {v}
        </text>
      ))}
      <text x={m.l} y={H - 22} textAnchor="middle">
        0
      </text>
      <text x={W - m.r} y={H - 22} textAnchor="end">
        {steps}
      </text>
      <text x={(W + m.l) / 2} y={H - 22} textAnchor="middle">
        step
      </text>
      <text x={30} y={(H - m.b + m.t) / 2} textAnchor="middle" transform={`rotate(-90 30 ${(H - m.b + m.t) / 2})`}>
        loss
      </text>
      {pts.length > 0 && <polyline points={pts.join(' ')} className="pr-curve-line" />}
    </svg>
  );
}

/** The formula of each training slide (KaTeX; the app's own constants, never lecture text). */
export const TRAIN_FORMULA: Readonly<Record<TrainPhase, string>> = {
  forward: String.raw`\text{input}_i = t_i,\qquad \text{target}_i = t_{i+1},\qquad i = 1, \dots, N`,
  loss: String.raw`\ell_i = -\log p_i(\text{target}_i),\qquad L = \tfrac{1}{N}\textstyle\sum_i \ell_i`,
  gradient: String.raw`\frac{\partial L}{\partial z_i} = \frac{\mathrm{softmax}(z_i) - \mathrm{onehot}(\text{target}_i)}{N}`,
  backward: String.raw`x_{out} = x + f(x) \;\Rightarrow\; \frac{\partial L}{\partial x} = \frac{\partial L}{\partial x_{out}} \Big(I + \frac{\partial f}{\partial x}\Big)`,
  update: String.raw`\theta \leftarrow \theta - \eta\Big(\frac{\hat m}{\sqrt{\hat v} + \epsilon} + \lambda\theta\Big)`,
  run: String.raw`\text{repeat:}\ \text{forward} \to L \to \nabla_\theta L \to \theta \leftarrow \theta - \eta\,\Delta`,
};
