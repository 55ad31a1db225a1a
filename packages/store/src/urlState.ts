import type { EnginePreference } from './engineChoice';
import type { Sampling } from './sampling';
import { DEFAULT_SAMPLING, samplingError } from './sampling';
import type { StepKind } from './steps';
import { isStepKind } from './steps';

/**
 * Everything a shared link reproduces: which model, which text, which step of the pass, which layer/head/token is
 * selected and how the next token is sampled. Parsing never throws: a bad value falls back to its default and adds a
 * notice the app shows, because a link can come from anywhere (and the prompt is shown as text, never as HTML).
 */
export interface UrlState extends Sampling {
  model: string;
  prompt: string;
  step: StepKind;
  layer: number;
  head: number;
  /** Selected position; null = the last token. */
  token: number | null;
  /** 'cpu' forces the reference engine (written to the link only then). */
  engine: EnginePreference;
}

export const MAX_PROMPT_LENGTH = 2000;
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$/;
const UINT = /^\d{1,9}$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

export const DEFAULT_URL_STATE: Readonly<UrlState> = {
  model: '',
  prompt: '',
  step: 'tokens',
  layer: 0,
  head: 0,
  token: null,
  engine: 'auto',
  ...DEFAULT_SAMPLING,
};

export interface ParsedUrlState {
  state: UrlState;
  /** One sentence per value that was ignored. Empty when the link was fine. */
  notices: string[];
}

/** `search` is `location.search` (with or without the `?`). Unknown parameters are ignored silently. */
export function parseUrlState(search: string, defaults: UrlState = DEFAULT_URL_STATE): ParsedUrlState {
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(search);
  } catch {
    return { state: { ...defaults }, notices: ['The link could not be read; showing the default view.'] };
  }
  const state: UrlState = { ...defaults };
  const notices: string[] = [];
  const bad = (name: string, raw: string, why: string) =>
    notices.push(`Ignored ${name}=${JSON.stringify(truncate(raw, 40))} from the link: ${why}`);

  const model = params.get('model');
  if (model !== null) {
    if (MODEL_ID.test(model)) state.model = model;
    else bad('model', model, 'not a model id.');
  }

  const prompt = params.get('prompt');
  if (prompt !== null) {
    if (prompt.length > MAX_PROMPT_LENGTH) {
      state.prompt = prompt.slice(0, MAX_PROMPT_LENGTH);
      notices.push(`The prompt from the link was cut to ${MAX_PROMPT_LENGTH} characters.`);
    } else state.prompt = prompt;
  }

  const step = params.get('step');
  if (step !== null) {
    if (isStepKind(step)) state.step = step;
    else bad('step', step, 'not a step of the forward pass.');
  }

  for (const name of ['layer', 'head'] as const) {
    const raw = params.get(name);
    if (raw === null) continue;
    if (UINT.test(raw)) state[name] = Number(raw);
    else bad(name, raw, 'it must be a whole number ≥ 0.');
  }

  const token = params.get('token');
  if (token !== null && token !== 'last') {
    if (UINT.test(token)) state.token = Number(token);
    else bad('token', token, 'it must be a position (a whole number ≥ 0) or "last".');
  }

  const engine = params.get('engine');
  if (engine !== null) {
    if (engine === 'auto' || engine === 'cpu') state.engine = engine;
    else bad('engine', engine, 'it must be "auto" or "cpu".');
  }

  readSampling(params, state, bad);
  return { state, notices };
}

function readSampling(
  params: URLSearchParams,
  state: UrlState,
  bad: (name: string, raw: string, why: string) => void,
): void {
  const fields: [string, keyof Sampling][] = [
    ['temperature', 'temperature'],
    ['seed', 'seed'],
    ['topk', 'topK'],
    ['topp', 'topP'],
  ];
  for (const [name, field] of fields) {
    const raw = params.get(name);
    if (raw === null) continue;
    if ((field === 'topK' || field === 'topP') && (raw === '' || raw === 'off')) {
      state[field] = null;
      continue;
    }
    const value = NUMBER.test(raw.trim()) ? Number(raw) : Number.NaN;
    const error = samplingError(field, value);
    if (error === null) state[field] = value;
    else bad(name, raw, error);
  }
}

/** The query string (with `?`) for a state; parseUrlState(serializeUrlState(s)) gives s back. */
export function serializeUrlState(state: UrlState): string {
  const params = new URLSearchParams();
  if (state.model) params.set('model', state.model);
  params.set('prompt', state.prompt);
  params.set('step', state.step);
  params.set('layer', String(state.layer));
  params.set('head', String(state.head));
  if (state.token !== null) params.set('token', String(state.token));
  params.set('temperature', String(state.temperature));
  params.set('seed', String(state.seed));
  if (state.topK !== null) params.set('topk', String(state.topK));
  if (state.topP !== null) params.set('topp', String(state.topP));
  if (state.engine !== 'auto') params.set('engine', state.engine);
  return `?${params.toString()}`;
}

export interface ModelDims {
  n_layer: number;
  n_head: number;
  /** Number of tokens of the prompt (positions that can be selected). */
  T: number;
}

/** Layer, head and token must exist in this model and prompt; out-of-range values fall back with a notice. */
export function fitToModel(state: UrlState, dims: ModelDims): ParsedUrlState {
  const out = { ...state };
  const notices: string[] = [];
  const range = (n: number, what: string) => (n === 1 ? `only ${what} 0` : `${what}s 0–${n - 1}`);
  if (out.layer >= dims.n_layer) {
    notices.push(
      `Layer ${out.layer} does not exist (this model has ${range(dims.n_layer, 'layer')}); showing layer 0.`,
    );
    out.layer = 0;
  }
  if (out.head >= dims.n_head) {
    notices.push(`Head ${out.head} does not exist (this model has ${range(dims.n_head, 'head')}); showing head 0.`);
    out.head = 0;
  }
  if (out.token !== null && out.token >= dims.T) {
    notices.push(`Token ${out.token} is past the end of the prompt (${dims.T} tokens); showing the last token.`);
    out.token = null;
  }
  return { state: out, notices };
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
