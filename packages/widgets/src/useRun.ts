import type { CaptureSpec, Tensor, Trace } from '@glassbox/compute';
import type { EngineChoice, EnginePreference, LoadedModel } from '@glassbox/store';
import type { Token } from '@glassbox/tokenizers';
import { useEffect, useState } from 'react';
import { messageOf, quote } from './attributes';
import { loadWidgetModel, runWidgetModel } from './modelCache';

/**
 * An async value in a widget. While a new value is computed (an attribute changed) the last one stays on screen, so
 * the widget does not collapse and jump; `status` says it is stale.
 */
export interface Load<T> {
  status: 'loading' | 'ready' | 'error';
  value: T | null;
  error: string | null;
}

/** Runs `make` whenever `key` changes (null: nothing to run, e.g. the attributes are invalid). */
export function useAsync<T>(key: string | null, make: () => Promise<T>): Load<T> {
  const [state, setState] = useState<Load<T>>({ status: 'loading', value: null, error: null });
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for everything `make` reads
  useEffect(() => {
    if (key === null) return;
    let live = true;
    setState((s) => ({ status: 'loading', value: s.value, error: null }));
    // A `make` that throws before its first await is a failure like any other: shown inline, never thrown.
    let pending: Promise<T>;
    try {
      pending = make();
    } catch (e) {
      pending = Promise.reject(e);
    }
    pending.then(
      (value) => {
        if (live) setState({ status: 'ready', value, error: null });
      },
      (e) => {
        if (live) setState({ status: 'error', value: null, error: messageOf(e) });
      },
    );
    return () => {
      live = false;
    };
  }, [key]);
  return state;
}

export function useModel(name: string | null): Load<LoadedModel> {
  return useAsync(name, () => loadWidgetModel(name ?? ''));
}

export interface PromptRun {
  model: LoadedModel;
  engine: EngineChoice;
  tokens: Token[];
  /** [T, V] */
  logits: Tensor;
  trace: Trace;
}

export type CaptureKind = 'all' | 'attention' | 'none';

const CAPTURE: Record<CaptureKind, CaptureSpec> = {
  all: 'all',
  // Every layer's scores and pattern: changing layer or head then needs no new pass.
  attention: (name) => name.endsWith('.attn.hook_pattern') || name.endsWith('.attn.hook_attn_scores'),
  none: [],
};

/** Tokenize the prompt with the model's tokenizer and run one forward pass on the page's shared engine. */
export async function runPrompt(
  modelName: string,
  preference: EnginePreference,
  prompt: string,
  capture: CaptureKind,
): Promise<PromptRun> {
  const model = await loadWidgetModel(modelName);
  let tokens: Token[];
  try {
    tokens = model.tokenizer.tokenize(prompt);
  } catch (e) {
    // e.g. an unknown word for a word tokenizer: the message names it. The prompt is quoted as text.
    throw new Error(`The prompt ${quote(prompt)} cannot be tokenized: ${messageOf(e)}`);
  }
  if (tokens.length === 0) throw new Error('the prompt has no tokens: write some text for the model to read.');
  const N = model.config.n_positions;
  if (tokens.length > N) {
    throw new Error(`the prompt is ${tokens.length} tokens long; this model reads at most ${N}.`);
  }
  const { result, engine } = await runWidgetModel(
    modelName,
    preference,
    tokens.map((t) => t.id),
    CAPTURE[capture],
  );
  return { model, engine, tokens, logits: result.logits, trace: result.trace };
}

export function usePromptRun(
  modelName: string,
  preference: EnginePreference,
  prompt: string,
  capture: CaptureKind,
  enabled: boolean,
): Load<PromptRun> {
  const key = enabled ? JSON.stringify([modelName, preference, prompt, capture]) : null;
  return useAsync(key, () => runPrompt(modelName, preference, prompt, capture));
}
