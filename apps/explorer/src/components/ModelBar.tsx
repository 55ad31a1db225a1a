import type { ChangeEvent, FormEvent } from 'react';
import { useState } from 'react';
import { session, useStore } from '../stores';

/** Model picker (shipped models, local files, Hugging Face id) and the engine notice. */
export function ModelBar({ onModelChanged }: { onModelChanged: () => void }) {
  const catalog = useStore(session, (s) => s.catalog);
  const model = useStore(session, (s) => s.model);
  const status = useStore(session, (s) => s.status);
  const engineKind = useStore(session, (s) => s.engineKind);
  const engineReason = useStore(session, (s) => s.engineReason);
  const [repo, setRepo] = useState('');

  const choose = async (e: ChangeEvent<HTMLSelectElement>) => {
    await session.getState().loadModel({ kind: 'catalog', id: e.target.value });
    const m = session.getState().model;
    if (m) session.getState().setPrompt(m.examplePrompt);
    await session.getState().run();
    onModelChanged();
  };

  const openFiles = async (e: ChangeEvent<HTMLInputElement>) => {
    const files = [...(e.target.files ?? [])];
    e.target.value = '';
    const weights = files.find((f) => f.name.endsWith('.safetensors'));
    const config = files.find((f) => f.name === 'config.json') ?? files.find((f) => /config.*\.json$/.test(f.name));
    const tokenizer = files.find((f) => /tokenizer.*\.json$/.test(f.name));
    if (!weights || !config) {
      session
        .getState()
        .addNotices(['Choose a model.safetensors file and its config.json together (and its tokenizer.json).']);
      return;
    }
    await session.getState().loadModel({
      kind: 'files',
      files: {
        name: weights.name,
        safetensors: new Uint8Array(await weights.arrayBuffer()),
        configJson: await config.text(),
        tokenizerJson: tokenizer ? await tokenizer.text() : undefined,
      },
    });
    await session.getState().run();
    onModelChanged();
  };

  const loadHub = async (e: FormEvent) => {
    e.preventDefault();
    if (!repo.trim()) return;
    await session.getState().loadModel({ kind: 'huggingface', repo: repo.trim() });
  };

  const inCatalog = model !== null && catalog.some((m) => m.id === model.id);
  return (
    <div className="model-bar">
      <label>
        Model{' '}
        <select
          value={inCatalog ? model.id : ''}
          onChange={choose}
          disabled={status === 'loading'}
          data-testid="model-select"
        >
          {!inCatalog && <option value="">{model ? model.label : 'loading…'}</option>}
          {catalog.map((m) => (
            <option key={m.id} value={m.id}>
              {m.label}
            </option>
          ))}
        </select>
      </label>
      <label className="file-button">
        Open local checkpoint…
        <input type="file" multiple accept=".safetensors,.json" onChange={openFiles} />
      </label>
      <form onSubmit={loadHub} className="hub-form">
        <label>
          Hugging Face id <input value={repo} onChange={(e) => setRepo(e.target.value)} placeholder="gpt2" size={10} />
        </label>
        <button type="submit">Load</button>
      </form>
      {model && !model.trained && (
        <span className="badge badge-warn" data-testid="untrained-badge">
          untrained (random weights): predictions are noise
        </span>
      )}
      {engineKind && (
        <span className="badge" data-testid="engine-notice" title={engineReason}>
          engine: {engineKind === 'cpu' ? 'CPU' : 'WebGPU'} — {engineReason}
        </span>
      )}
    </div>
  );
}
