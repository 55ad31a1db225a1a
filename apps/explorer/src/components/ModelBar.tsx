import { formatBytes } from '@glassbox/store';
import type { Tokenizer } from '@glassbox/tokenizers';
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
    const before = session.getState().prompt;
    if (!(await session.getState().loadModel({ kind: 'huggingface', repo: repo.trim() }))) return;
    // Keep the prompt when the new model can read it (the same text on another model), else its example.
    const m = session.getState().model;
    if (m && !tokenizes(m.tokenizer, before)) session.getState().setPrompt(m.examplePrompt);
    await session.getState().run();
    onModelChanged();
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
        <label title="A GPT-2 repository on the Hugging Face hub, e.g. gpt2 or owner/name@revision. It is downloaded by your browser (GPT-2 small: 548 MB) and cached for next time.">
          Hugging Face GPT-2{' '}
          <input
            value={repo}
            onChange={(e) => setRepo(e.target.value)}
            placeholder="gpt2"
            size={14}
            maxLength={200}
            spellCheck={false}
            data-testid="hub-repo"
          />
        </label>
        <button type="submit" disabled={status === 'loading'} data-testid="hub-load">
          Download
        </button>
      </form>
      <DownloadProgress />
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

function tokenizes(tokenizer: Tokenizer, text: string): boolean {
  try {
    return tokenizer.encode(text).length > 0;
  } catch {
    return false;
  }
}

/** Bytes read so far for the file a Hugging Face load is fetching, with a way to stop it. */
function DownloadProgress() {
  const d = useStore(session, (s) => s.download);
  const status = useStore(session, (s) => s.status);
  if (!d || status !== 'loading') return null;
  const total = d.total ?? undefined;
  return (
    <div className="download" role="status" data-testid="download-progress" data-loaded={d.loaded} data-total={total}>
      <progress value={total === undefined ? undefined : d.loaded} max={total} />{' '}
      <span data-testid="download-text">
        {d.fromCache ? 'Read from this browser’s cache' : 'Downloading'} {d.repo} / {d.file}: {formatBytes(d.loaded)}
        {total !== undefined ? ` of ${formatBytes(total)}` : ''}
      </span>{' '}
      <button type="button" onClick={() => session.getState().cancelLoad()} data-testid="download-cancel">
        Cancel
      </button>
    </div>
  );
}
