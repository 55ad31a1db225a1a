import type { FormEvent, KeyboardEvent } from 'react';
import { useEffect, useState } from 'react';
import { session, useStore } from '../stores';

/** The prompt. It is sent to the model on Run (or Enter); Shift+Enter adds a newline. */
export function PromptBox() {
  const prompt = useStore(session, (s) => s.prompt);
  const status = useStore(session, (s) => s.status);
  const runMs = useStore(session, (s) => s.runMs);
  const [text, setText] = useState(prompt);
  useEffect(() => setText(prompt), [prompt]);

  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    session.getState().setPrompt(text);
    await session.getState().run();
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      void submit();
    }
  };
  return (
    <form className="prompt-box" onSubmit={submit}>
      <label htmlFor="prompt">Prompt</label>
      <textarea
        id="prompt"
        data-testid="prompt"
        value={text}
        rows={2}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
        spellCheck={false}
      />
      <button type="submit" data-testid="run" disabled={status === 'loading'}>
        Run
      </button>
      <span className="run-status" data-testid="status" data-status={status}>
        {status === 'running' ? 'running…' : runMs !== null ? `forward pass ${runMs.toFixed(1)} ms` : ''}
      </span>
    </form>
  );
}
