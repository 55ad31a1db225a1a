import { describe, expect, it } from 'vitest';
import type { Lecture, LectureModel } from './lecture';
import {
  checkLectureForModel,
  lectureSource,
  parseLecture,
  slideIndexFromParam,
  slideTitle,
  slideUrlState,
  validateLecture,
} from './lecture';
import { parseUrlState, serializeUrlState } from './urlState';

function ok(json: unknown): Lecture {
  const r = validateLecture(json);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.lecture;
}

function errors(text: string): string[] {
  const r = parseLecture(text);
  if (r.ok) throw new Error('expected the lecture to be refused');
  return r.errors;
}

const toyDims: LectureModel = {
  id: 'toy-world',
  n_layer: 1,
  n_head: 1,
  n_positions: 16,
  examplePrompt: 'cat sat',
  countTokens(prompt) {
    const words = prompt.split(/\s+/).filter(Boolean);
    for (const w of words) if (!['cat', 'sat', 'on', 'the', 'mat'].includes(w)) throw new Error(`unknown word "${w}"`);
    return words.length;
  },
};

describe('lecture format', () => {
  it('fills each slide from the one before: a lecture writes only what changes', () => {
    const l = ok({
      title: 'T',
      model: 'toy-world',
      prompt: 'cat sat on',
      slides: [
        { step: 'tokens', note: 'first' },
        { step: 'pattern', layer: 0, head: 0, token: 1, temperature: 0.5 },
        { step: 'softmax', prompt: 'cat', note: ['one', 'two'] },
        { train: 'loss' },
        { train: 'run' },
      ],
    });
    expect(l.slides.map((s) => s.prompt)).toEqual(['cat sat on', 'cat sat on', 'cat', 'cat', 'cat']);
    expect(l.slides[2]).toMatchObject({ step: 'softmax', token: 1, temperature: 0.5, note: 'one\n\ntwo' });
    expect(l.slides[0]).toMatchObject({ temperature: 1, seed: 0, topK: null, topP: null, token: null, note: 'first' });
    expect(l.slides[3]).toMatchObject({ step: null, train: 'loss', steps: null });
    expect(l.slides[4].steps).toBe(300);
    expect(slideTitle(l.slides[1])).toBe('Attention pattern');
    expect(slideTitle(l.slides[3])).toBe('Training: the loss');
  });

  it('names the slide and the field of every problem, and suggests the word that was meant', () => {
    const e = errors(
      JSON.stringify({
        title: 'T',
        model: 'toy-world',
        slides: [
          { step: 'tokens' },
          { step: 'atention_pattern' },
          { step: 'pattern', layer: -1, head: 1.5 },
          { step: 'softmax', temperature: 'hot' },
          { step: 'qkv', lyer: 0 },
          { train: 'los' },
          { step: 'tokens', train: 'loss' },
          { note: 'no step' },
          { step: 'sample', topK: 0, topP: 2, seed: -1 },
          { step: 'logits', token: 'first', steps: 4 },
          'not an object',
        ],
      }),
    );
    const text = e.join('\n');
    expect(text).toMatch(/Slide 2: unknown step "atention_pattern"/);
    expect(text).toMatch(/Slide 3 \("Attention pattern"\): "layer" must be a whole number .* got -1/);
    expect(text).toMatch(/Slide 3 \("Attention pattern"\): "head" .* got 1\.5/);
    expect(text).toMatch(/Slide 4 \("Softmax with temperature"\): "temperature" must be a number, got the text "hot"/);
    expect(text).toMatch(/Slide 5 .*unknown field "lyer" \(did you mean "layer"\?\)/);
    expect(text).toMatch(/Slide 6: unknown training phase "los" \(did you mean "loss"\?\)/);
    expect(text).toMatch(/Slide 7 .*either "step" or "train"/);
    expect(text).toMatch(/Slide 8: needs a "step"/);
    expect(text).toMatch(/Slide 9 \("Sampling"\): "topK" is 0: Top-k must be a whole number/);
    expect(text).toMatch(/Slide 9 .*"topP" is 2/);
    expect(text).toMatch(/Slide 9 .*"seed" is -1/);
    expect(text).toMatch(/Slide 10 \("Logits"\): "token" must be a whole number .* or "last", got the text "first"/);
    expect(text).toMatch(/Slide 10 .*"steps" only applies/);
    expect(text).toMatch(/Slide 11: a slide is a JSON object/);
  });

  it('reads NaN and Infinity (which JSON does not have) far enough to say which slide and field hold them', () => {
    const e = errors(
      '{"title": "T", "model": "toy-world", "slides": [{"step": "tokens", "note": "NaN in a note is fine"},\n' +
        '{"step": "softmax", "temperature": NaN}, {"step": "sample", "seed": -Infinity}]}',
    );
    expect(e).toEqual([
      'Slide 2 ("Softmax with temperature"): "temperature" must be a number, got NaN (JSON has no NaN).',
      'Slide 3 ("Sampling"): "seed" must be a number, got -Infinity (JSON has no Infinity).',
    ]);
  });

  it('refuses a temperature outside 0–3 and text that is not JSON, with a line and column', () => {
    const e = errors('{"title": "T", "model": "m", "slides": [{"step": "softmax", "temperature": 9}]}');
    expect(e[0]).toMatch(/Slide 1 \("Softmax with temperature"\): "temperature" is 9: Temperature must be a number/);
    const bad = errors('{"title": "T",\n "model": "m" "slides": []}');
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatch(/^The lecture is not valid JSON: .*line 2/);
  });

  it('checks the lecture itself: title, model id, slides, unknown top-level fields', () => {
    expect(errors('[]')).toEqual(['A lecture is a JSON object with "title", "model" and "slides".']);
    const e = errors(JSON.stringify({ title: '', model: '<script>', slides: [], extra: 1 })).join('\n');
    expect(e).toMatch(/unknown field "extra"/);
    expect(e).toMatch(/"title" must be a non-empty text/);
    expect(e).toMatch(/"model" "<script>" is not a model id/);
    expect(e).toMatch(/"slides" must be a non-empty list/);
    expect(errors('x'.repeat(300_000))[0]).toMatch(/limit is 200000/);
  });

  it('checks layer, head, prompt and token against the model', () => {
    const l = ok({
      title: 'T',
      model: 'toy-world',
      slides: [
        { step: 'tokens' },
        { step: 'pattern', layer: 3, head: 2 },
        { step: 'qkv', layer: 0, head: 0, prompt: 'cat flew' },
        { step: 'logits', prompt: 'cat sat', token: 2 },
        { train: 'loss', prompt: 'anything: training slides use the lab’s text' },
      ],
    });
    expect(checkLectureForModel(l, toyDims)).toEqual([
      'Slide 2 ("Attention pattern"): layer 3 is out of range: toy-world has only layer 0.',
      'Slide 2 ("Attention pattern"): head 2 is out of range: toy-world has only head 0.',
      'Slide 3 ("Queries, keys, values"): the prompt "cat flew" cannot be tokenized by toy-world: unknown word "flew"',
      'Slide 4 ("Logits"): token 2 is past the end of the prompt (2 tokens, 0–1).',
    ]);
  });

  it('reports a layer a slide inherited only where it was written', () => {
    const l = ok({
      title: 'T',
      model: 'toy-world',
      slides: [{ step: 'qkv', layer: 2 }, { step: 'z' }, { step: 'mask' }],
    });
    expect(checkLectureForModel(l, toyDims)).toEqual([
      'Slide 1 ("Queries, keys, values"): layer 2 is out of range: toy-world has only layer 0.',
    ]);
  });

  it('gives each explorer slide the link that opens the same view in the explorer', () => {
    const l = ok({
      title: 'T',
      model: 'toy-world',
      slides: [{ step: 'scores', layer: 0, head: 0, token: 1, temperature: 0.7, topK: 3 }],
    });
    const state = slideUrlState(l, l.slides[0], 'cat sat');
    expect(parseUrlState(serializeUrlState(state)).state).toEqual({
      ...state,
      model: 'toy-world',
      prompt: 'cat sat',
      step: 'scores',
      token: 1,
      temperature: 0.7,
      topK: 3,
    });
  });

  it('tells inline JSON, a shipped lecture name and a lecture URL apart, refusing other schemes', () => {
    const page = 'https://glassbox.example/app/index.html?lecture=x';
    expect(lectureSource(' {"a":1}', page)).toEqual({ kind: 'inline', text: '{"a":1}' });
    expect(lectureSource('forward-pass', page)).toEqual({ kind: 'builtin', name: 'forward-pass' });
    expect(lectureSource('lectures/mine.json', page)).toEqual({
      kind: 'url',
      href: 'https://glassbox.example/app/lectures/mine.json',
    });
    expect(lectureSource('https://gist.example/raw/l.json', page).kind).toBe('url');
    expect(lectureSource('http://elsewhere.example/l.json', page).kind).toBe('invalid');
    expect(lectureSource('http://localhost:5173/l.json', 'http://localhost:5173/').kind).toBe('url');
    expect(lectureSource('javascript:alert(1)', page).kind).toBe('invalid');
    expect(lectureSource('data:application/json,{}', page).kind).toBe('invalid');
    expect(lectureSource('', page).kind).toBe('invalid');
  });

  it('reads the slide number from the link, 1-based and clamped', () => {
    expect(slideIndexFromParam(null, 5)).toBe(0);
    expect(slideIndexFromParam('3', 5)).toBe(2);
    expect(slideIndexFromParam('99', 5)).toBe(4);
    expect(slideIndexFromParam('0', 5)).toBe(0);
    expect(slideIndexFromParam('-2', 5)).toBe(0);
    expect(slideIndexFromParam('2abc', 5)).toBe(0);
  });
});
