import { SHIPPED_MODELS } from '@glassbox/models';
import type { OptimizerKind, SavedRun, StoreApi, TrainingSettings, TrainingState } from '@glassbox/store';
import { MAX_BATCH } from '@glassbox/store';
import { LossCurve } from '@glassbox/views';
import type { FormEvent } from 'react';
import { useEffect, useState } from 'react';
import { useStore } from 'zustand';
import { session } from '../stores';
import { EmbeddingPanel } from './EmbeddingPanel';
import { labStore, openLab } from './labStore';
import { StepThrough } from './StepThrough';
import { fmt } from './tensors';

type Store = StoreApi<TrainingState>;

/** The training lab: set up a run, step through one training step, run many, watch the loss, predictions, embeddings. */
export function Lab({ onOpenInExplorer }: { onOpenInExplorer: () => void }) {
  const store = labStore();
  const status = useStore(store, (s) => s.status);
  const step = useStore(store, (s) => s.step);
  useEffect(() => {
    void openLab();
  }, []);
  return (
    <div className="lab" data-testid="lab" data-status={status} data-step={step}>
      <header className="app-header">
        <h1>
          Glassbox <span className="subtitle">training lab: watch a model learn</span>
        </h1>
      </header>
      <LabAlerts store={store} />
      <div className="lab-grid">
        <div className="lab-main">
          <RunPanel store={store} />
          <StepThrough store={store} />
        </div>
        <aside className="lab-side" aria-label="Run settings, embeddings and weights">
          <SetupPanel store={store} />
          <WeightsPanel store={store} onOpenInExplorer={onOpenInExplorer} />
          <EmbeddingPanel store={store} />
        </aside>
      </div>
    </div>
  );
}

function LabAlerts({ store }: { store: Store }) {
  const error = useStore(store, (s) => s.error);
  const divergence = useStore(store, (s) => s.divergence);
  const notices = useStore(store, (s) => s.notices);
  const restoredFrom = useStore(store, (s) => s.restoredFrom);
  return (
    <div className="notices">
      {divergence && (
        <div className="error lab-divergence" role="alert" data-testid="lab-divergence">
          {divergence.message}
        </div>
      )}
      {error && (
        <div className="error" role="alert" data-testid="lab-error">
          {error}
        </div>
      )}
      {restoredFrom && (
        <p className="notice" data-testid="lab-restored">
          Restored the weights saved in this browser: step {restoredFrom.step}, saved{' '}
          {new Date(restoredFrom.savedAt).toLocaleString()}.{' '}
          <button type="button" aria-label="Dismiss" onClick={() => store.getState().dismissRestored()}>
            ×
          </button>
        </p>
      )}
      {notices.map((n, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: notices have no identity beyond their place
        <p key={i} className="notice">
          {n}{' '}
          <button type="button" aria-label="Dismiss" onClick={() => store.getState().dismissNotice(i)}>
            ×
          </button>
        </p>
      ))}
    </div>
  );
}

function NumberField({
  label,
  value,
  onChange,
  error,
  testId,
  step = 'any',
  min,
}: {
  label: string;
  value: number;
  onChange: (v: number) => void;
  error?: string;
  testId: string;
  step?: string;
  min?: number;
}) {
  const [text, setText] = useState(String(value));
  // Follow the value when it changes from outside (a preset), not while the student types "1e" on the way to "1e6".
  useEffect(() => {
    setText((t) => (Number(t) === value || Number.isNaN(value) ? t : String(value)));
  }, [value]);
  return (
    <label className="lab-field">
      <span>{label}</span>
      <input
        type="text"
        inputMode="decimal"
        value={text}
        data-step={step}
        data-min={min}
        aria-invalid={error ? true : undefined}
        onChange={(e) => {
          setText(e.target.value);
          const v = e.target.value.trim() === '' ? Number.NaN : Number(e.target.value);
          onChange(v);
        }}
        data-testid={testId}
        size={9}
      />
      {error && <span className="field-error">{error}</span>}
    </label>
  );
}

function SetupPanel({ store }: { store: Store }) {
  const form = useStore(store, (s) => s.form);
  const errors = useStore(store, (s) => s.formErrors);
  const status = useStore(store, (s) => s.status);
  const info = useStore(store, (s) => s.info);
  const settings = useStore(store, (s) => s.settings);
  const set = (patch: Partial<TrainingSettings>) => store.getState().setForm(patch);
  const busy = status === 'starting' || status === 'running';
  const start = (e: FormEvent) => {
    e.preventDefault();
    void store.getState().start();
  };
  const lrChanged = settings !== null && (settings.lr !== form.lr || settings.optimizer !== form.optimizer);
  return (
    <section className="panel lab-setup" aria-labelledby="lab-setup-title">
      <h2 id="lab-setup-title">Run</h2>
      <form onSubmit={start}>
        <fieldset className="lab-presets">
          <legend>Preset</legend>
          <label>
            <input
              type="radio"
              name="lab-preset"
              checked={form.preset === 'toy-world'}
              onChange={() => store.getState().choosePreset('toy-world')}
              data-testid="lab-preset-toy"
            />{' '}
            Toy world from scratch (356 parameters; watch “cat sat” → “on the mat END” emerge)
          </label>
          <label>
            <input
              type="radio"
              name="lab-preset"
              checked={form.preset === 'fine-tune'}
              onChange={() => store.getState().choosePreset('fine-tune')}
              data-testid="lab-preset-finetune"
            />{' '}
            Fine-tune a shipped model on your text
          </label>
        </fieldset>
        {form.preset === 'fine-tune' && (
          <>
            <label className="lab-field">
              <span>Model</span>
              <select value={form.baseModel} onChange={(e) => set({ baseModel: e.target.value })}>
                {SHIPPED_MODELS.map((m) => (
                  <option key={m.name} value={m.name}>
                    {m.title}
                  </option>
                ))}
              </select>
            </label>
            <label className="lab-field lab-text">
              <span>Text to fine-tune on (the last 10% is held out for validation)</span>
              <textarea
                value={form.text}
                onChange={(e) => set({ text: e.target.value })}
                rows={5}
                data-testid="lab-text"
                aria-invalid={errors.text ? true : undefined}
                spellCheck={false}
              />
              {errors.text && <span className="field-error">{errors.text}</span>}
            </label>
          </>
        )}
        <div className="lab-fields">
          <label className="lab-field">
            <span>Optimizer</span>
            <select
              value={form.optimizer}
              onChange={(e) => set({ optimizer: e.target.value as OptimizerKind })}
              data-testid="lab-optimizer"
            >
              <option value="adamw">AdamW</option>
              <option value="sgd">SGD (momentum 0.9)</option>
            </select>
          </label>
          <NumberField
            label="Learning rate"
            value={form.lr}
            onChange={(lr) => set({ lr })}
            error={errors.lr}
            testId="lab-lr"
          />
          <NumberField
            label="Batch size"
            value={form.batchSize}
            onChange={(batchSize) => set({ batchSize })}
            error={errors.batchSize}
            testId="lab-batch"
            step="1"
            min={1}
          />
          <NumberField
            label="Block size (0 = auto)"
            value={form.blockSize}
            onChange={(blockSize) => set({ blockSize })}
            error={errors.blockSize}
            testId="lab-block"
            step="1"
            min={0}
          />
          <NumberField
            label="Seed"
            value={form.seed}
            onChange={(seed) => set({ seed })}
            error={errors.seed}
            testId="lab-seed"
            step="1"
            min={0}
          />
        </div>
        <label className="lab-field">
          <span>Prompt to watch</span>
          <input
            value={form.prompt}
            onChange={(e) => set({ prompt: e.target.value })}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                store.getState().setPrompt(form.prompt);
              }
            }}
            onBlur={() => settings && settings.prompt !== form.prompt && store.getState().setPrompt(form.prompt)}
            data-testid="lab-prompt"
            maxLength={200}
          />
        </label>
        <p className="lab-hint-small">
          Batch size 1–{MAX_BATCH}. Any learning rate &gt; 0 is accepted: try 1e6 to see divergence.
        </p>
        <div className="lab-buttons">
          <button type="submit" className="primary" disabled={busy} data-testid="lab-start">
            Start a new run
          </button>
          <button
            type="button"
            disabled={!lrChanged || status === 'starting'}
            onClick={() => store.getState().applyLearningRate()}
            data-testid="lab-apply"
            title="Keep the current weights; change only the learning rate and optimizer"
          >
            Apply learning rate &amp; optimizer to this run
          </button>
        </div>
      </form>
      {info && (
        <dl className="lab-info" data-testid="lab-info">
          <dt>Model</dt>
          <dd>
            {info.title}: {info.description} {info.paramCount.toLocaleString()} parameters.
          </dd>
          <dt>Data</dt>
          <dd>
            {info.trainTokens} training tokens, {info.batchSize} × {info.blockSize} positions per step.
          </dd>
          <dt>Validation</dt>
          <dd data-testid="lab-validation">{info.validation}</dd>
          <dt>Optimizer</dt>
          <dd>
            {info.optimizer}; gradients clipped to norm {info.clipNorm}.
          </dd>
          <dt>Learning rate</dt>
          <dd>{info.schedule}</dd>
        </dl>
      )}
    </section>
  );
}

const PACES = [
  { value: 0, label: 'full speed' },
  { value: 20, label: 'slow motion (20 steps/s)' },
  { value: 4, label: 'very slow (4 steps/s)' },
];

function RunPanel({ store }: { store: Store }) {
  const status = useStore(store, (s) => s.status);
  const history = useStore(store, (s) => s.history);
  const valHistory = useStore(store, (s) => s.valHistory);
  const undone = useStore(store, (s) => s.undone);
  const run = useStore(store, (s) => s.run);
  const tps = useStore(store, (s) => s.tokensPerSecond);
  const step = useStore(store, (s) => s.step);
  const info = useStore(store, (s) => s.info);
  const [steps, setSteps] = useState(300);
  const [pace, setPace] = useState(0);
  const last = history[history.length - 1];
  const lastVal = valHistory[valHistory.length - 1];
  return (
    <section className="panel lab-run" aria-labelledby="lab-run-title" data-testid="lab-run">
      <h2 id="lab-run-title">Train</h2>
      <EngineLine store={store} />
      <form
        className="lab-run-controls"
        onSubmit={(e) => {
          e.preventDefault();
          store.getState().runSteps(steps, pace);
        }}
      >
        <label>
          Steps{' '}
          <input
            type="number"
            min={1}
            max={100000}
            value={steps}
            onChange={(e) => setSteps(Math.trunc(Number(e.target.value)))}
            data-testid="lab-steps"
            size={6}
          />
        </label>
        <label>
          Pace{' '}
          <select value={pace} onChange={(e) => setPace(Number(e.target.value))} data-testid="lab-pace">
            {PACES.map((p) => (
              <option key={p.value} value={p.value}>
                {p.label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary" disabled={status !== 'ready'} data-testid="lab-run-button">
          Run {steps} steps
        </button>
        {status === 'paused' ? (
          <button type="button" onClick={() => store.getState().resume()} data-testid="lab-resume">
            Resume
          </button>
        ) : (
          <button
            type="button"
            onClick={() => store.getState().pause()}
            disabled={status !== 'running'}
            data-testid="lab-pause"
          >
            Pause
          </button>
        )}
        <button
          type="button"
          onClick={() => store.getState().cancel()}
          disabled={status !== 'running' && status !== 'paused'}
          data-testid="lab-cancel"
        >
          Stop
        </button>
      </form>
      <p
        className="lab-status"
        aria-live="polite"
        data-testid="lab-progress"
        data-done={run?.done ?? ''}
        data-total={run?.total ?? ''}
      >
        <span className={`lab-badge lab-badge-${status}`}>{status}</span> Step <strong>{step}</strong>
        {run && (
          <>
            {' '}
            · {run.done} of {run.total} in this run
            <progress max={run.total} value={run.done} aria-label="Run progress" />
          </>
        )}
        {last && (
          <>
            {' '}
            · loss <strong>{fmt(last.loss)}</strong> · lr {fmt(last.lr)} · grad norm {fmt(last.gradNorm)}
          </>
        )}
        {lastVal && <> · validation {fmt(lastVal.loss)}</>}
        {tps !== null && (
          <>
            {' '}
            · <span data-testid="lab-tps">{Math.round(tps).toLocaleString()} tokens/s</span>
            {run && run.pace > 0 && ' while computing (slowed down between steps)'}
          </>
        )}
      </p>
      <LossCurve
        title="Loss"
        train={history}
        val={valHistory}
        undone={undone}
        valLabel="validation"
        width={720}
        height={280}
        testId="lab-loss"
      />
      {info && <p className="lab-hint-small">Validation: {info.validation}</p>}
      <PredictionPanel store={store} />
    </section>
  );
}

/** Which engine "Run N steps" trains on and why, with the choice between WebGPU and the CPU where both work. */
function EngineLine({ store }: { store: Store }) {
  const engine = useStore(store, (s) => s.engine);
  const prefer = useStore(store, (s) => s.enginePreference);
  if (!engine) return null;
  return (
    <p className="lab-engine" data-testid="lab-engine" data-kind={engine.kind}>
      <span className="badge" title={engine.reason}>
        engine: {engine.kind === 'cpu' ? 'CPU' : 'WebGPU'} — {engine.reason}
      </span>
      {(engine.webgpuAvailable || prefer === 'cpu') && (
        <label>
          {' '}
          Train on{' '}
          <select
            value={prefer}
            onChange={(e) => store.getState().setEngine(e.target.value === 'cpu' ? 'cpu' : 'auto')}
            data-testid="lab-engine-select"
          >
            <option value="auto">WebGPU when it works</option>
            <option value="cpu">the CPU</option>
          </select>
        </label>
      )}
    </p>
  );
}

function PredictionPanel({ store }: { store: Store }) {
  const prediction = useStore(store, (s) => s.prediction);
  const log = useStore(store, (s) => s.predictionLog);
  return (
    <div className="lab-prediction" data-testid="lab-prediction" data-step={prediction?.step ?? ''}>
      <h3>Prediction (greedy: the most probable next token, again and again)</h3>
      {prediction ? (
        <p className="lab-continuation">
          <span className="lab-prompt-text">{prediction.prompt}</span>{' '}
          <span className="lab-continued" data-testid="lab-continuation">
            {prediction.continuation}
          </span>{' '}
          <span className="hint">(after step {prediction.step})</span>
        </p>
      ) : (
        <p className="hint">Type a prompt to watch.</p>
      )}
      {log.length > 1 && (
        <details open>
          <summary>How the continuation changed while training</summary>
          <ol className="lab-prediction-log" data-testid="lab-prediction-log">
            {log.map((p) => (
              <li key={`${p.step}-${p.continuation}`}>
                step {p.step}: <span className="lab-continued">{p.continuation}</span>
              </li>
            ))}
          </ol>
        </details>
      )}
    </div>
  );
}

function download(name: string, data: Uint8Array | string, type: string): void {
  const blob = new Blob([data as BlobPart], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function WeightsPanel({ store, onOpenInExplorer }: { store: Store; onOpenInExplorer: () => void }) {
  const saved = useStore(store, (s) => s.saved);
  const status = useStore(store, (s) => s.status);
  const step = useStore(store, (s) => s.step);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ step: number; text: string } | null>(null);
  const withCheckpoint = async (what: (run: SavedRun) => Promise<void> | void) => {
    setBusy(true);
    try {
      await what(await store.getState().exportCheckpoint());
    } finally {
      setBusy(false);
    }
  };
  const idle = status === 'ready' || status === 'paused';
  return (
    <section className="panel lab-weights" aria-labelledby="lab-weights-title">
      <h2 id="lab-weights-title">Weights</h2>
      <p data-testid="lab-saved" data-step={saved?.step ?? ''}>
        {saved
          ? `Saved in this browser (IndexedDB) at step ${saved.step}: they survive a reload.`
          : 'Not saved in this browser yet.'}
      </p>
      <div className="lab-buttons">
        <button
          type="button"
          disabled={busy || !idle}
          data-testid="lab-download"
          onClick={() =>
            withCheckpoint((run) => {
              download('model.safetensors', run.safetensors, 'application/octet-stream');
              download('config.json', run.configJson, 'application/json');
              download('tokenizer.json', run.tokenizerJson, 'application/json');
              setMessage({
                step: run.step,
                text: `Downloaded the weights after step ${run.step}: model.safetensors, config.json, tokenizer.json.`,
              });
            })
          }
        >
          Download (model.safetensors, config.json, tokenizer.json)
        </button>
        <button
          type="button"
          disabled={busy || !idle}
          data-testid="lab-open-explorer"
          onClick={() =>
            withCheckpoint(async (run) => {
              await session.getState().loadModel({
                kind: 'files',
                files: {
                  name: `training lab, step ${run.step}`,
                  safetensors: run.safetensors,
                  configJson: run.configJson,
                  tokenizerJson: run.tokenizerJson,
                },
              });
              if (run.settings.prompt) session.getState().setPrompt(run.settings.prompt);
              await session.getState().run();
              onOpenInExplorer();
            })
          }
        >
          Open in the explorer
        </button>
        <button
          type="button"
          disabled={!saved}
          onClick={() => void store.getState().forgetSaved()}
          data-testid="lab-forget"
        >
          Forget the saved weights
        </button>
      </div>
      <p className="lab-hint-small" role="status">
        {(message?.step === step && message.text) ||
          `The files are a Hugging Face GPT-2 checkpoint (step ${step}); the explorer's “Open local checkpoint…” loads them back.`}
      </p>
    </section>
  );
}
