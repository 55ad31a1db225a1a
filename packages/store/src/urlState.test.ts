import { describe, expect, it } from 'vitest';
import type { UrlState } from './urlState';
import { DEFAULT_URL_STATE, fitToModel, MAX_PROMPT_LENGTH, parseUrlState, serializeUrlState } from './urlState';

const full: UrlState = {
  model: 'untrained-tiny',
  prompt: 'Héllo <b>wörld</b> & "friends" 🙂\nline two',
  step: 'pattern',
  layer: 1,
  head: 3,
  token: 2,
  temperature: 0.7,
  seed: 42,
  topK: 5,
  topP: 0.9,
  engine: 'cpu',
};

describe('URL state', () => {
  it('round-trips every field, including a prompt with markup, emoji and a newline', () => {
    const search = serializeUrlState(full);
    expect(parseUrlState(search)).toEqual({ state: full, notices: [] });
  });

  it('round-trips the defaults (no filters, last token)', () => {
    const state = { ...DEFAULT_URL_STATE, model: 'm', prompt: 'a' };
    expect(parseUrlState(serializeUrlState(state)).state).toEqual(state);
  });

  it('falls back to defaults with one notice per bad value, never throwing', () => {
    const { state, notices } = parseUrlState(
      '?model=%3Cscript%3E&step=nope&layer=-1&head=abc&token=1.5&temperature=NaN&seed=-3&topk=0&topp=2',
    );
    expect(state).toEqual({ ...DEFAULT_URL_STATE });
    expect(notices).toHaveLength(9);
    expect(notices.join('\n')).toMatch(/step=/);
  });

  it('rejects temperatures outside the slider range and numbers with trailing junk', () => {
    expect(parseUrlState('?temperature=9').notices).toHaveLength(1);
    expect(parseUrlState('?temperature=0.5abc').notices).toHaveLength(1);
    expect(parseUrlState('?temperature=0').state.temperature).toBe(0);
  });

  it('cuts an over-long prompt with a notice', () => {
    const { state, notices } = parseUrlState(`?prompt=${'a'.repeat(MAX_PROMPT_LENGTH + 5)}`);
    expect(state.prompt).toHaveLength(MAX_PROMPT_LENGTH);
    expect(notices).toHaveLength(1);
  });

  it('clamps layer, head and token to the model and prompt', () => {
    const { state, notices } = fitToModel({ ...full, layer: 7, head: 9, token: 99 }, { n_layer: 2, n_head: 4, T: 5 });
    expect(state).toMatchObject({ layer: 0, head: 0, token: null });
    expect(notices).toHaveLength(3);
    expect(fitToModel(full, { n_layer: 2, n_head: 4, T: 5 })).toEqual({ state: full, notices: [] });
  });
});
