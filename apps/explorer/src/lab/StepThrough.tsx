import type { BackwardStage, Tensor } from '@glassbox/compute';
import type { BackwardPhase, ForwardPhase, LossPhase, StoreApi, TrainingState, UpdatePhase } from '@glassbox/store';
import type { Matrix } from '@glassbox/views';
import { Formula, Heatmap, LogitGradient, matrixStats, visibleToken } from '@glassbox/views';
import { useMemo, useState } from 'react';
import { useStore } from 'zustand';
import { fmt, isPerHeadSquare, norm, rowLabelsFor, sequence, tensorMatrix, tokenLabels } from './tensors';

type Store = StoreApi<TrainingState>;

function stageLabel(s: BackwardStage | undefined): string {
  if (!s) return 'done';
  if (s.kind === 'head') return 'head';
  if (s.kind === 'embed') return 'embeddings';
  return `block ${s.layer}`;
}

function stageTitle(s: BackwardStage): string {
  if (s.kind === 'head') return 'the head: unembedding (tied W_E) and the final LayerNorm';
  if (s.kind === 'embed') return 'the embeddings: scatter-add into the rows of W_E and W_pos that were used';
  return `block ${s.layer}: the MLP, then attention, each with its LayerNorm and the residual connection`;
}

/** One training step on one batch, a phase per click: forward, loss, backward stage by stage, update. */
export function StepThrough({ store }: { store: Store }) {
  const status = useStore(store, (s) => s.status);
  const phase = useStore(store, (s) => s.phase);
  const stepped = useStore(store, (s) => s.stepped);
  const info = useStore(store, (s) => s.info);
  const step = useStore(store, (s) => s.step);
  if (!info) return null;
  const lastStage = stepped.backward[stepped.backward.length - 1];
  const nextStage: BackwardStage | undefined = lastStage ? lastStage.next : { kind: 'head' };
  const nextLabel = phase === 'backward' ? `backward: ${stageLabel(nextStage)}` : phase;
  const canStep = status === 'ready' || status === 'paused';
  const L = info.config.n_layer;
  const tracker: { key: string; label: string; done: boolean }[] = [
    { key: 'forward', label: 'forward', done: stepped.forward !== null },
    { key: 'loss', label: 'loss', done: stepped.loss !== null },
    { key: 'head', label: 'backward: head', done: stepped.backward.length >= 1 },
    ...Array.from({ length: L }, (_, i) => ({
      key: `block${L - 1 - i}`,
      label: `backward: block ${L - 1 - i}`,
      done: stepped.backward.length >= 2 + i,
    })),
    { key: 'embed', label: 'backward: embeddings', done: stepped.backward.length >= L + 2 },
    { key: 'update', label: 'update', done: stepped.update !== null },
  ];
  const current = stepped.forward?.step ?? step;
  return (
    <section className="panel lab-step" aria-labelledby="lab-step-title" data-testid="lab-step">
      <h2 id="lab-step-title">One training step, phase by phase</h2>
      <p className="hint">
        Step {current} on one batch. Each click runs the next phase in the worker and shows what it computed: real
        tensors from the trainer.
        {status === 'running' && ' Pause the run to step through a training step.'}
      </p>
      <p className="hint" data-testid="lab-step-engine">
        Stepping always runs on the CPU trainer: a WebGPU step is one GPU submission and cannot stop between phases.
      </p>
      <div className="lab-step-controls">
        <button
          type="button"
          className="primary"
          onClick={() => store.getState().nextPhase()}
          disabled={!canStep}
          data-testid="lab-next-phase"
          data-next={phase === 'backward' ? `backward:${stageLabel(nextStage)}` : phase}
        >
          Next phase: {nextLabel} ▶
        </button>
        <ol className="lab-tracker" aria-label="Phases of the step">
          {tracker.map((t) => (
            <li key={t.key} className={t.done ? 'done' : undefined}>
              {t.done ? '✓ ' : ''}
              {t.label}
            </li>
          ))}
        </ol>
      </div>
      {stepped.forward && <ForwardView forward={stepped.forward} vocab={info.vocab} />}
      {stepped.forward && stepped.loss && <LossView forward={stepped.forward} loss={stepped.loss} vocab={info.vocab} />}
      {stepped.forward && stepped.backward.length > 0 && (
        <BackwardView forward={stepped.forward} stages={stepped.backward} vocab={info.vocab} />
      )}
      <UpdateView store={store} update={stepped.update} pendingUpdate={phase === 'update'} />
    </section>
  );
}

function BatchTable({ forward, vocab }: { forward: ForwardPhase; vocab: readonly string[] }) {
  const shown = forward.inputs.slice(0, 4);
  return (
    <div className="lab-batch" data-testid="lab-batch">
      {shown.map((ids, b) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: sequences are positions in the batch
        <table key={b} className="lab-batch-table">
          <caption>
            Sequence {b + 1} of {forward.inputs.length}: the target at each position is the next input (shifted by one)
          </caption>
          <tbody>
            <tr>
              <th scope="row">position</th>
              {ids.map((_, t) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: positions
                <td key={t}>{t}</td>
              ))}
            </tr>
            <tr>
              <th scope="row">input</th>
              {ids.map((id, t) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: positions
                <td key={t} className="tok">
                  {visibleToken(vocab[id] ?? `#${id}`)}
                </td>
              ))}
            </tr>
            <tr>
              <th scope="row">target</th>
              {forward.targets[b].map((id, t) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: positions
                <td key={t} className="tok target">
                  {visibleToken(vocab[id] ?? `#${id}`)}
                </td>
              ))}
            </tr>
          </tbody>
        </table>
      ))}
      {forward.inputs.length > shown.length && (
        <p className="hint">… and {forward.inputs.length - 4} more sequences.</p>
      )}
    </div>
  );
}

/** Pick a sequence of the batch (when B > 1). */
function SeqPicker({
  B,
  value,
  onChange,
  id,
}: {
  B: number;
  value: number;
  onChange: (b: number) => void;
  id: string;
}) {
  if (B <= 1) return null;
  return (
    <label>
      Sequence{' '}
      <select id={id} value={value} onChange={(e) => onChange(Number(e.target.value))}>
        {Array.from({ length: B }, (_, b) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: sequences
          <option key={b} value={b}>
            {b + 1}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A tensor browser: choose a name, a sequence and a head; see the heatmap. */
function TensorBrowser({
  names,
  tensors,
  initial,
  isBatched,
  B,
  inputs,
  vocab,
  testId,
  label,
}: {
  names: string[];
  tensors: Record<string, Tensor>;
  initial: string;
  isBatched: (name: string) => boolean;
  B: number;
  inputs: number[][];
  vocab: readonly string[];
  testId: string;
  label: string;
}) {
  const [chosen, setChosen] = useState(initial);
  const [b, setB] = useState(0);
  const [head, setHead] = useState(0);
  const name = names.includes(chosen) ? chosen : names[0];
  const full = tensors[name];
  if (!full) return null;
  const batched = isBatched(name);
  const t = sequence(full, Math.min(b, B - 1), batched);
  const m = tensorMatrix(name, t, head);
  const labels = tokenLabels(inputs[Math.min(b, B - 1)], vocab);
  const heads = t.shape.length === 3 && isPerHeadSquare(name) ? t.shape[0] : 0;
  const vocabCols = t.shape[t.shape.length - 1] === vocab.length && /logits|W_E/.test(name);
  return (
    <div className="lab-browser" data-testid={testId}>
      <div className="lab-browser-controls">
        <label>
          {label}{' '}
          <select value={name} onChange={(e) => setChosen(e.target.value)} data-testid={`${testId}-select`}>
            {names.map((n) => (
              <option key={n} value={n}>
                {n} [{tensors[n].shape.join(', ')}]
              </option>
            ))}
          </select>
        </label>
        {batched && <SeqPicker B={B} value={b} onChange={setB} id={`${testId}-seq`} />}
        {heads > 1 && (
          <label>
            Head{' '}
            <select value={head} onChange={(e) => setHead(Number(e.target.value))}>
              {Array.from({ length: heads }, (_, h) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: heads
                <option key={h} value={h}>
                  {h}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <Heatmap
        matrix={m}
        title={`${name} [${full.shape.join(', ')}]${batched && B > 1 ? `, sequence ${b + 1}` : ''}${heads > 1 ? `, head ${head}` : ''}`}
        scale={/hook_pattern$/.test(name) ? 'probability' : 'diverging'}
        valueLabel={name.startsWith('grad.') ? 'gradient ∂L/∂x' : 'value'}
        rowLabels={rowLabelsFor(t, name, labels, vocab)}
        rowName={/embed\.W_E$/.test(name) ? 'token' : rowLabelsFor(t, name, labels) ? 'position' : 'row'}
        colLabel={vocabCols ? (c) => vocab[c] : undefined}
        colName={vocabCols ? 'token' : 'column'}
        testId={`${testId}-map`}
        maxWidth={760}
        maxHeight={300}
      />
    </div>
  );
}

function ForwardView({ forward, vocab }: { forward: ForwardPhase; vocab: readonly string[] }) {
  const names = Object.keys(forward.trace);
  const B = forward.inputs.length;
  return (
    <section className="lab-phase" data-testid="lab-phase-forward" aria-label="Forward pass">
      <h3>1 · Forward: the batch through the model</h3>
      <BatchTable forward={forward} vocab={vocab} />
      <TensorBrowser
        names={names}
        tensors={forward.trace}
        initial={names.includes('blocks.0.attn.hook_pattern') ? 'blocks.0.attn.hook_pattern' : names[0]}
        isBatched={() => B > 1}
        B={B}
        inputs={forward.inputs}
        vocab={vocab}
        testId="lab-forward"
        label="Hook"
      />
    </section>
  );
}

function LossView({ forward, loss, vocab }: { forward: ForwardPhase; loss: LossPhase; vocab: readonly string[] }) {
  const [B, T, V] = loss.dlogits.shape;
  const [b, setB] = useState(0);
  const [t, setT] = useState(T - 1);
  const pos = Math.min(t, T - 1);
  const seq = Math.min(b, B - 1);
  const lossMatrix: Matrix = { rows: B, cols: T, data: loss.losses.data };
  const targets = forward.targets[seq];
  const inputs = forward.inputs[seq];
  const probs = sequence(loss.probs, seq, true);
  const grads = sequence(loss.dlogits, seq, true);
  const onehot = useMemo(() => {
    const d = new Float32Array(T * V);
    for (let i = 0; i < T; i++) d[i * V + targets[i]] = 1;
    return { rows: T, cols: V, data: d };
  }, [targets, T, V]);
  const rowLabels = inputs.map((id, i) => `${visibleToken(vocab[id] ?? '')}→${visibleToken(vocab[targets[i]] ?? '')}`);
  const vocabLabel = (c: number) => vocab[c];
  // The props the three [T, V] heatmaps of the triptych share: same rows, columns, selection and size.
  const triptych = {
    rowLabels,
    rowName: 'position',
    colName: 'token',
    colLabel: vocabLabel,
    selectedRow: pos,
    onSelectRow: setT,
    maxWidth: 260,
    maxHeight: 320,
  };
  return (
    <section className="lab-phase" data-testid="lab-phase-loss" aria-label="Loss">
      <h3>2 · Loss: how surprised the model is by each target</h3>
      <p>
        Mean cross-entropy over the N = {loss.N} positions:{' '}
        <strong data-testid="lab-loss-value" data-value={loss.loss}>
          {fmt(loss.loss, 6)}
        </strong>
        .
      </p>
      <Formula
        tex={String.raw`\ell_t = -\log \mathrm{softmax}(z_t)_{y_t},\qquad L = \tfrac1N\textstyle\sum_t \ell_t,\qquad \frac{\partial L}{\partial z_t} = \frac{\mathrm{softmax}(z_t) - \mathrm{onehot}(y_t)}{N}`}
      />
      <Heatmap
        matrix={lossMatrix}
        title="Loss per position −log p(target) [B, T]"
        scale="sequential"
        valueLabel="loss (nats)"
        rowLabels={Array.from({ length: B }, (_, i) => `seq ${i + 1}`)}
        rowName="sequence"
        colName="position"
        colLabel={B === 1 ? (c) => `${vocab[forward.targets[0][c]] ?? ''}` : undefined}
        onSelectRow={setB}
        selectedRow={seq}
        testId="lab-losses"
        maxWidth={760}
        maxHeight={160}
      />
      <div className="lab-browser-controls">
        <SeqPicker B={B} value={seq} onChange={setB} id="lab-loss-seq" />
        <label>
          Position{' '}
          <select value={pos} onChange={(e) => setT(Number(e.target.value))} data-testid="lab-loss-position">
            {inputs.map((id, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: positions
              <option key={i} value={i}>
                {i}: {visibleToken(vocab[id] ?? '')} → {visibleToken(vocab[targets[i]] ?? '')}
              </option>
            ))}
          </select>
        </label>
      </div>
      <LogitGradient
        title={`Gradient at the logits, position ${pos} ("${visibleToken(vocab[inputs[pos]] ?? '')}" should be followed by "${visibleToken(vocab[targets[pos]] ?? '')}")`}
        probs={probs.data.subarray(pos * V, (pos + 1) * V)}
        grad={grads.data.subarray(pos * V, (pos + 1) * V)}
        target={targets[pos]}
        N={loss.N}
        label={vocabLabel}
        testId="lab-logit-gradient"
      />
      <div className="lab-triptych">
        <Heatmap
          matrix={{ rows: T, cols: V, data: probs.data }}
          title="softmax(logits) [T, V]"
          scale="probability"
          valueLabel="probability"
          testId="lab-probs"
          {...triptych}
        />
        <span className="lab-op" aria-hidden="true">
          −
        </span>
        <Heatmap
          matrix={onehot}
          title="one-hot(target) [T, V]"
          scale="probability"
          valueLabel="1 at the target"
          testId="lab-onehot"
          {...triptych}
        />
        <span className="lab-op" aria-hidden="true">
          ÷ N =
        </span>
        <Heatmap
          matrix={{ rows: T, cols: V, data: grads.data }}
          title="grad.hook_logits = ∂L/∂logits [T, V]"
          scale="diverging"
          valueLabel="gradient"
          testId="lab-dlogits"
          {...triptych}
        />
      </div>
    </section>
  );
}

function defaultGrad(stage: BackwardStage, names: string[]): string {
  const want =
    stage.kind === 'head'
      ? 'grad.ln_final.hook_normalized'
      : stage.kind === 'block'
        ? `grad.blocks.${stage.layer}.hook_resid_pre`
        : 'grad.params.embed.W_E';
  return names.includes(want) ? want : names[0];
}

/** The gradients along the residual stream that a stage produces, from the top down (for the flow table). */
function stageChain(stage: BackwardStage): string[] {
  if (stage.kind === 'head') return ['grad.hook_logits', 'grad.ln_final.hook_normalized'];
  if (stage.kind === 'block') {
    const l = stage.layer;
    return [`grad.blocks.${l}.hook_resid_post`, `grad.blocks.${l}.hook_resid_mid`, `grad.blocks.${l}.hook_resid_pre`];
  }
  return ['grad.hook_embed'];
}

function BackwardView({
  forward,
  stages,
  vocab,
}: {
  forward: ForwardPhase;
  stages: BackwardPhase[];
  vocab: readonly string[];
}) {
  const B = forward.inputs.length;
  // How big the gradient is along the way, from the loss down to the embeddings.
  const flow = stages.flatMap((s) =>
    stageChain(s.stage)
      .filter((name) => s.grads[name])
      .map((name) => ({ stage: s.stage, name, norm: norm(s.grads[name]) })),
  );
  const biggest = Math.max(1e-30, ...flow.map((f) => f.norm));
  return (
    <section className="lab-phase" data-testid="lab-phase-backward" aria-label="Backward pass">
      <h3>3 · Backward: the gradient flows from the loss down through the layers</h3>
      <table className="lab-flow" data-testid="lab-grad-flow">
        <caption>The gradient on its way down, and how large it is there (Frobenius norm)</caption>
        <thead>
          <tr>
            <th scope="col">stage</th>
            <th scope="col">gradient</th>
            <th scope="col">norm</th>
          </tr>
        </thead>
        <tbody>
          {flow.map((f) => (
            <tr key={f.name}>
              <th scope="row">{stageLabel(f.stage)}</th>
              <td>
                <code>{f.name}</code>
              </td>
              <td className="lab-flow-norm">
                <span className="lab-flow-bar" style={{ width: `${Math.max(1, (60 * f.norm) / biggest)}px` }} />{' '}
                {fmt(f.norm)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {stages.map((s, i) => {
        const names = Object.keys(s.grads);
        const acts = names.filter((n) => !n.startsWith('grad.params.'));
        const params = names.filter((n) => n.startsWith('grad.params.'));
        const ordered = [...acts, ...params];
        return (
          <div
            key={`${s.step}-${stageLabel(s.stage)}`}
            className="lab-stage"
            data-testid={`lab-backward-${i}`}
            data-stage={stageLabel(s.stage)}
          >
            <h4>
              Backward {i + 1}: {stageTitle(s.stage)}
            </h4>
            <p className="hint">
              {acts.length} activation gradients and {params.length} parameter gradients, under the same names as the
              forward hooks with <code>grad.</code> in front.
            </p>
            <TensorBrowser
              names={ordered}
              tensors={s.grads}
              initial={defaultGrad(s.stage, ordered)}
              isBatched={(n) => B > 1 && !n.startsWith('grad.params.')}
              B={B}
              inputs={forward.inputs}
              vocab={vocab}
              testId={`lab-backward-${i}-grad`}
              label="Gradient"
            />
          </div>
        );
      })}
    </section>
  );
}

const ADAMW_TEX = String.raw`m \leftarrow \beta_1 m + (1-\beta_1) g,\quad v \leftarrow \beta_2 v + (1-\beta_2) g^2,\quad \theta \leftarrow \theta - \eta\Big(\frac{m/(1-\beta_1^t)}{\sqrt{v/(1-\beta_2^t)}+\epsilon} + \lambda\theta\Big)`;
const SGD_TEX = String.raw`\mathrm{buf} \leftarrow \mu\,\mathrm{buf} + g,\qquad \theta \leftarrow \theta - \eta\,\mathrm{buf}`;

function symmetricDomain(...ms: Matrix[]): [number, number] {
  const m = Math.max(1e-12, ...ms.map((x) => matrixStats(x).absMax));
  return [-m, m];
}

function UpdateView({
  store,
  update,
  pendingUpdate,
}: {
  store: Store;
  update: UpdatePhase | null;
  pendingUpdate: boolean;
}) {
  const info = useStore(store, (s) => s.info);
  const inspect = useStore(store, (s) => s.inspect);
  const optimizer = useStore(store, (s) => s.settings?.optimizer ?? 'adamw');
  if (!info || (!update && !pendingUpdate)) return null;
  const choices = info.inspectAll ? info.paramNames : info.matrixNames;
  const u = update?.updates.find((x) => x.name === inspect) ?? null;
  const asM = (t: Tensor): Matrix =>
    t.shape.length === 1
      ? { rows: 1, cols: t.shape[0], data: t.data }
      : { rows: t.shape[0], cols: t.shape[1], data: t.data };
  const kind = update?.optimizer ?? optimizer;
  return (
    <section className="lab-phase" data-testid="lab-phase-update" aria-label="Optimizer update">
      <h3>4 · Update: the optimizer moves every weight against its gradient</h3>
      <label>
        Weight matrix{' '}
        <select value={inspect} onChange={(e) => store.getState().setInspect(e.target.value)} data-testid="lab-inspect">
          {choices.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
      <Formula tex={kind === 'adamw' ? ADAMW_TEX : SGD_TEX} />
      {!update && (
        <p className="hint">
          Choose the weight matrix to watch, then run the update.
          {!info.inspectAll && ' (This model is large: only the chosen matrix is reported.)'}
        </p>
      )}
      {update && (
        <p data-testid="lab-update-facts">
          Learning rate η = <strong>{fmt(update.lr, 6)}</strong> at step {update.step}; gradient norm before clipping{' '}
          {fmt(update.gradNorm)}
          {update.clipScale < 1 ? `, clipped to ${update.clipNorm} (×${fmt(update.clipScale)})` : ' (not clipped)'}
          {update.optimizer === 'adamw'
            ? `; β₁ ${update.hyper.beta1}, β₂ ${update.hyper.beta2}, ε ${update.hyper.eps}, λ ${update.hyper.weightDecay}, t = ${update.hyper.t}`
            : `; momentum μ ${update.hyper.momentum}`}
          . Loss on this batch: {fmt(update.lossBefore, 6)} before, <strong>{fmt(update.lossAfter, 6)}</strong> after.
        </p>
      )}
      {update && !u && (
        <p className="hint">
          The update of {inspect} was not reported for this step: choose the matrix before the update.
        </p>
      )}
      {update && u && (
        <div className="lab-update" data-testid="lab-update">
          {(() => {
            const before = asM(u.before);
            const after = asM(u.after);
            const dom = symmetricDomain(before, after);
            const maps: {
              key: string;
              m: Matrix;
              title: string;
              domain?: [number, number];
              scale?: 'diverging' | 'sequential';
              value: string;
            }[] = [
              { key: 'before', m: before, title: `before: ${u.name}`, domain: dom, value: 'weight' },
              { key: 'grad', m: asM(u.grad), title: 'gradient g (after clipping)', value: 'gradient' },
              { key: 'update', m: asM(u.update), title: 'update = after − before', value: 'change' },
              { key: 'after', m: after, title: `after: ${u.name}`, domain: dom, value: 'weight' },
            ];
            if (u.m)
              maps.push({
                key: 'm',
                m: asM(u.m),
                title: kind === 'adamw' ? 'm (first moment)' : 'momentum buffer',
                value: 'm',
              });
            if (u.v) maps.push({ key: 'v', m: asM(u.v), title: 'v (second moment)', scale: 'sequential', value: 'v' });
            return maps.map((x) => (
              <Heatmap
                key={x.key}
                matrix={x.m}
                rowLabels={
                  u.name === 'embed.W_E' && x.m.rows === info.vocab.length ? info.vocab.map(visibleToken) : undefined
                }
                title={x.title}
                scale={x.scale ?? 'diverging'}
                domain={x.domain}
                valueLabel={x.value}
                rowName="row"
                colName="column"
                testId={`lab-update-${x.key}`}
                maxWidth={360}
                maxHeight={260}
              />
            ));
          })()}
        </div>
      )}
    </section>
  );
}
