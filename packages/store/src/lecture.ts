import type { Sampling } from './sampling';
import { DEFAULT_SAMPLING, samplingError } from './sampling';
import type { StepKind } from './steps';
import { isStepKind, STEP_INFO, STEP_KINDS } from './steps';
import { MAX_RUN_STEPS } from './trainingPresets';
import type { UrlState } from './urlState';
import { DEFAULT_URL_STATE, MAX_PROMPT_LENGTH } from './urlState';

/**
 * A lecture: an ordered list of slides for presentation mode, written by a teacher as a small JSON file and shared
 * by URL. Each slide puts the explorer in one state (model, prompt, step, layer, head, token, sampling) so every
 * number on the screen comes from the real model; or shows one phase of a real training step.
 *
 *   { "title": "…", "model": "toy-world", "prompt": "cat sat",
 *     "slides": [ { "step": "tokens", "note": "…" }, { "step": "pattern", "layer": 0, "head": 0, "note": "…" },
 *                 { "train": "loss", "note": "…" } ] }
 *
 * A slide that leaves out prompt, layer, head, token, temperature, seed, topK or topP keeps the previous slide's
 * value (the first slide: the lecture's prompt, else the model's example prompt, and the explorer's defaults), so a
 * lecture only writes what changes. Everything in a lecture is untrusted text: the app renders it as text only.
 *
 * Parsing never throws: it returns every problem, each naming the slide and the field, so a teacher can fix a file
 * in one go. Checks that need the model (layer and head in range, the prompt tokenizes) are in checkLectureForModel.
 */

/** Phases of one real training step (the training lab's stepped step), and "run" for many steps. */
export type TrainPhase = 'forward' | 'loss' | 'gradient' | 'backward' | 'update' | 'run';
export const TRAIN_PHASES: readonly TrainPhase[] = ['forward', 'loss', 'gradient', 'backward', 'update', 'run'];

export const TRAIN_PHASE_INFO: Readonly<Record<TrainPhase, { title: string; explanation: string }>> = {
  forward: {
    title: 'Training: the batch',
    explanation:
      'A training step starts with a forward pass over text whose next tokens we know: every position is a prediction with a target.',
  },
  loss: {
    title: 'Training: the loss',
    explanation:
      'The loss at each position is −log of the probability the model gave the right next token; the step’s loss is their mean.',
  },
  gradient: {
    title: 'Training: softmax − one-hot',
    explanation:
      'The gradient of the loss with respect to the logits is the predicted distribution minus the one-hot target, divided by N.',
  },
  backward: {
    title: 'Training: backward pass',
    explanation:
      'Backpropagation carries that gradient down through every layer, giving each weight its share of the blame.',
  },
  update: {
    title: 'Training: the update',
    explanation: 'The optimizer moves every weight a small step against its gradient, and the loss on the batch falls.',
  },
  run: {
    title: 'Training: many steps',
    explanation: 'Repeat forward, loss, backward and update a few hundred times, and the model learns the text.',
  },
};

export interface LectureSlide {
  /** Exactly one of step (an explorer step) and train (a training phase) is set. */
  step: StepKind | null;
  train: TrainPhase | null;
  /** Headline; null: the step's own title. */
  title: string | null;
  /** The one sentence under the headline; null: the step's own explanation. */
  text: string | null;
  /** Speaker notes, shown only in the notes panel. Paragraphs separated by a blank line. */
  note: string;
  /** null: the model's example prompt. */
  prompt: string | null;
  layer: number;
  head: number;
  /** Selected position; null = the last token. For train "gradient": the position whose gradient is shown. */
  token: number | null;
  temperature: number;
  seed: number;
  topK: number | null;
  topP: number | null;
  /** train "run": train until this many steps have been taken in all. */
  steps: number | null;
}

export interface Lecture {
  title: string;
  /** A model id of the app (a shipped model, `untrained-tiny`, or `hf:owner/name`). */
  model: string;
  author: string | null;
  description: string | null;
  slides: LectureSlide[];
}

export type LectureResult = { ok: true; lecture: Lecture } | { ok: false; errors: string[] };

export const MAX_LECTURE_CHARS = 200_000;
export const MAX_SLIDES = 300;
const MAX_TEXT = 20_000;
const MAX_ERRORS = 30;
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9_.:/@-]{0,127}$/;

const TOP_KEYS = ['title', 'model', 'prompt', 'author', 'description', 'slides'] as const;
const SLIDE_KEYS = [
  'step',
  'train',
  'title',
  'text',
  'note',
  'prompt',
  'layer',
  'head',
  'token',
  'temperature',
  'seed',
  'topK',
  'topP',
  'steps',
] as const;

/** Parse and validate a lecture from JSON text (a file's contents or the `lecture` URL parameter). */
export function parseLecture(text: string): LectureResult {
  if (text.length > MAX_LECTURE_CHARS) {
    return { ok: false, errors: [`The lecture is ${text.length} characters long; the limit is ${MAX_LECTURE_CHARS}.`] };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // JSON has no NaN or Infinity, but people write them: read them as markers, so the error names slide and field.
    const marked = markNonFinite(text);
    try {
      json = marked === text ? undefined : JSON.parse(marked);
    } catch {
      json = undefined;
    }
    if (json === undefined) return { ok: false, errors: [`The lecture is not valid JSON: ${jsonError(e, text)}`] };
  }
  return validateLecture(json);
}

const NON_FINITE = '\u0000non-finite:';

function isMarker(v: string): boolean {
  return v.startsWith(NON_FINITE);
}

/** Bare NaN / Infinity / -Infinity outside strings → the string NON_FINITE + the word. */
function markNonFinite(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') {
        out += text[i + 1] ?? '';
        i++;
      } else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      continue;
    }
    const word = /^(-?Infinity|NaN)/.exec(text.slice(i, i + 9))?.[0];
    if (word) {
      out += JSON.stringify(NON_FINITE + word);
      i += word.length - 1;
    } else out += c;
  }
  return out;
}

/** JSON.parse's message, with the line and column when it gives only a character position. */
function jsonError(e: unknown, text: string): string {
  const msg = e instanceof Error ? e.message : String(e);
  const at = /at position (\d+)/.exec(msg);
  if (!at || /line \d+/.test(msg)) return msg;
  const before = text.slice(0, Number(at[1]));
  const line = before.split('\n').length;
  const column = Number(at[1]) - before.lastIndexOf('\n');
  return `${msg} (line ${line}, column ${column})`;
}

/** Validate an already-parsed JSON value as a lecture. */
export function validateLecture(json: unknown): LectureResult {
  const errors: string[] = [];
  if (!isPlainObject(json)) {
    return { ok: false, errors: ['A lecture is a JSON object with "title", "model" and "slides".'] };
  }
  unknownKeys(json, TOP_KEYS, 'The lecture', errors);
  const title = requiredString(json, 'title', 'The lecture', errors, 200);
  const model = requiredString(json, 'model', 'The lecture', errors, 128);
  if (model !== null && !MODEL_ID.test(model)) {
    errors.push(`The lecture: "model" ${quote(model)} is not a model id (e.g. "toy-world" or "hf:gpt2").`);
  }
  const author = optionalString(json, 'author', 'The lecture', errors, 200);
  const description = optionalString(json, 'description', 'The lecture', errors, MAX_TEXT);
  const prompt = optionalString(json, 'prompt', 'The lecture', errors, MAX_PROMPT_LENGTH);

  const slides: LectureSlide[] = [];
  const raw = json.slides;
  if (!Array.isArray(raw) || raw.length === 0) {
    errors.push('The lecture: "slides" must be a non-empty list of slides.');
  } else if (raw.length > MAX_SLIDES) {
    errors.push(`The lecture has ${raw.length} slides; the limit is ${MAX_SLIDES}.`);
  } else {
    let carry: Carry = { prompt, layer: 0, head: 0, token: null, ...DEFAULT_SAMPLING };
    raw.forEach((s, i) => {
      const slide = parseSlide(s, i, carry, errors);
      if (slide) {
        slides.push(slide);
        carry = slide;
      }
    });
  }
  if (errors.length > 0) return { ok: false, errors: capErrors(errors) };
  return {
    ok: true,
    lecture: { title: title as string, model: model as string, author, description, slides },
  };
}

type Carry = Pick<LectureSlide, 'prompt' | 'layer' | 'head' | 'token'> & Sampling;

function parseSlide(s: unknown, i: number, carry: Carry, errors: string[]): LectureSlide | null {
  const n = errors.length;
  if (!isPlainObject(s)) {
    errors.push(`Slide ${i + 1}: a slide is a JSON object such as {"step": "tokens", "note": "…"}.`);
    return null;
  }
  const where = slideName(s, i);
  unknownKeys(s, SLIDE_KEYS, where, errors);

  let step: StepKind | null = null;
  let train: TrainPhase | null = null;
  if (s.step !== undefined && s.train !== undefined) {
    errors.push(`${where}: give either "step" or "train", not both.`);
  } else if (s.step !== undefined) {
    if (typeof s.step === 'string' && isStepKind(s.step)) step = s.step;
    else
      errors.push(
        `${where}: unknown step ${quote(s.step)}${didYouMean(s.step, STEP_KINDS)}; steps are ${STEP_KINDS.join(', ')}.`,
      );
  } else if (s.train !== undefined) {
    if (typeof s.train === 'string' && (TRAIN_PHASES as readonly string[]).includes(s.train))
      train = s.train as TrainPhase;
    else
      errors.push(
        `${where}: unknown training phase ${quote(s.train)}${didYouMean(s.train, TRAIN_PHASES)}; phases are ${TRAIN_PHASES.join(', ')}.`,
      );
  } else {
    errors.push(`${where}: needs a "step" (e.g. "pattern") or a "train" phase (e.g. "loss").`);
  }

  const title = optionalString(s, 'title', where, errors, 200);
  const text = optionalString(s, 'text', where, errors, 1000);
  const note = notes(s.note, where, errors);
  const prompt = s.prompt === undefined ? carry.prompt : optionalString(s, 'prompt', where, errors, MAX_PROMPT_LENGTH);
  const layer = s.layer === undefined ? carry.layer : wholeNumber(s.layer, 'layer', where, errors, 1e6);
  const head = s.head === undefined ? carry.head : wholeNumber(s.head, 'head', where, errors, 1e6);
  let token = carry.token;
  if (s.token !== undefined) {
    token = s.token === null || s.token === 'last' ? null : wholeNumber(s.token, 'token', where, errors, 1e6, '"last"');
  }
  const temperature = s.temperature === undefined ? carry.temperature : sampling(s, 'temperature', where, errors);
  const seed = s.seed === undefined ? carry.seed : sampling(s, 'seed', where, errors);
  const topK = s.topK === undefined ? carry.topK : sampling(s, 'topK', where, errors);
  const topP = s.topP === undefined ? carry.topP : sampling(s, 'topP', where, errors);
  let steps: number | null = null;
  if (train === 'run') {
    steps = s.steps === undefined ? 300 : wholeNumber(s.steps, 'steps', where, errors, MAX_RUN_STEPS);
    if (steps !== null && steps < 1) {
      errors.push(`${where}: "steps" must be at least 1.`);
    }
  } else if (s.steps !== undefined) {
    errors.push(`${where}: "steps" only applies to {"train": "run"}.`);
  }
  if (errors.length > n) return null;
  return {
    step,
    train,
    title,
    text,
    note,
    prompt,
    layer: layer as number,
    head: head as number,
    token,
    temperature: temperature as number,
    seed: seed as number,
    topK,
    topP,
    steps,
  };
}

/** The model facts checkLectureForModel needs. */
export interface LectureModel {
  id: string;
  n_layer: number;
  n_head: number;
  n_positions: number;
  /** The model's example prompt (for slides without a prompt). */
  examplePrompt: string;
  /** Number of tokens of a prompt; throws with the tokenizer's message when the prompt cannot be tokenized. */
  countTokens(prompt: string): number;
}

/** Checks that need the loaded model: layer and head exist, each prompt tokenizes and fits, each token exists. */
export function checkLectureForModel(lecture: Lecture, model: LectureModel): string[] {
  const errors: string[] = [];
  const counts = new Map<string, number | string>();
  const range = (n: number, what: string) => (n === 1 ? `only ${what} 0` : `${what}s 0–${n - 1}`);
  lecture.slides.forEach((s, i) => {
    const where = slideName(s, i);
    // A value a slide inherited was already reported where it was written.
    const prev = lecture.slides[i - 1];
    if (s.layer >= model.n_layer && prev?.layer !== s.layer) {
      errors.push(`${where}: layer ${s.layer} is out of range: ${model.id} has ${range(model.n_layer, 'layer')}.`);
    }
    if (s.head >= model.n_head && prev?.head !== s.head) {
      errors.push(`${where}: head ${s.head} is out of range: ${model.id} has ${range(model.n_head, 'head')}.`);
    }
    if (s.train !== null) return; // training slides use the training lab's own text
    const prompt = s.prompt ?? model.examplePrompt;
    let count = counts.get(prompt);
    if (count === undefined) {
      try {
        count = model.countTokens(prompt);
      } catch (e) {
        count = e instanceof Error ? e.message : String(e);
      }
      counts.set(prompt, count);
    }
    if (typeof count === 'string') {
      errors.push(`${where}: the prompt ${quote(prompt)} cannot be tokenized by ${model.id}: ${count}`);
    } else if (count === 0) {
      errors.push(`${where}: the prompt is empty.`);
    } else if (count > model.n_positions) {
      errors.push(`${where}: the prompt is ${count} tokens; ${model.id} sees at most ${model.n_positions}.`);
    } else if (s.token !== null && s.token >= count) {
      errors.push(`${where}: token ${s.token} is past the end of the prompt (${count} tokens, 0–${count - 1}).`);
    }
  });
  return capErrors(errors);
}

/** The explorer's URL state for an explorer slide (for "open this slide in the explorer"). */
export function slideUrlState(lecture: Lecture, slide: LectureSlide, examplePrompt: string): UrlState {
  return {
    ...DEFAULT_URL_STATE,
    model: lecture.model,
    prompt: slide.prompt ?? examplePrompt,
    step: slide.step ?? 'tokens',
    layer: slide.layer,
    head: slide.head,
    token: slide.token,
    temperature: slide.temperature,
    seed: slide.seed,
    topK: slide.topK,
    topP: slide.topP,
  };
}

/** The headline of a slide: its own title, else the step's or the phase's. */
export function slideTitle(slide: LectureSlide): string {
  if (slide.title) return slide.title;
  if (slide.step) return STEP_INFO[slide.step].title;
  if (slide.train) return TRAIN_PHASE_INFO[slide.train].title;
  return 'Slide';
}

/** Where a lecture comes from, decided from the `lecture` URL parameter. */
export type LectureSource =
  | { kind: 'inline'; text: string }
  | { kind: 'builtin'; name: string }
  | { kind: 'url'; href: string }
  | { kind: 'invalid'; error: string };

const BUILTIN_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

/**
 * `lecture=` holds inline JSON (starts with `{`), the name of a lecture shipped with the app (`forward-pass`), or a
 * URL of a lecture file: relative to the page, or absolute with https (http only on the page's own origin).
 */
export function lectureSource(param: string, pageUrl: string): LectureSource {
  const p = param.trim();
  if (p === '') return { kind: 'invalid', error: 'The lecture parameter is empty.' };
  if (p.startsWith('{')) return { kind: 'inline', text: p };
  if (BUILTIN_NAME.test(p) && !p.includes('.')) return { kind: 'builtin', name: p };
  let url: URL;
  let page: URL;
  try {
    page = new URL(pageUrl);
    url = new URL(p, page);
  } catch {
    return {
      kind: 'invalid',
      error: `The lecture ${quote(truncate(p, 60))} is neither JSON, a lecture name nor a URL.`,
    };
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && url.origin === page.origin)) {
    return { kind: 'url', href: url.href };
  }
  return {
    kind: 'invalid',
    error: `The lecture URL ${quote(truncate(p, 60))} is not allowed: use a relative path or an https:// address.`,
  };
}

/** A 1-based slide number from the URL, clamped into the lecture; 1 when missing or unreadable. */
export function slideIndexFromParam(raw: string | null, count: number): number {
  if (raw === null || !/^\d{1,6}$/.test(raw)) return 0;
  return Math.min(Math.max(1, Number(raw)), Math.max(1, count)) - 1;
}

// -------------------------------------------------------------------------------------------------------------
// Small validation helpers.

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function slideName(s: Record<string, unknown> | LectureSlide, i: number): string {
  const title =
    typeof s.title === 'string' && s.title
      ? s.title
      : typeof s.step === 'string' && isStepKind(s.step)
        ? STEP_INFO[s.step].title
        : typeof s.train === 'string' && Object.hasOwn(TRAIN_PHASE_INFO, s.train)
          ? TRAIN_PHASE_INFO[s.train as TrainPhase].title
          : '';
  return title ? `Slide ${i + 1} (${quote(truncate(title, 40))})` : `Slide ${i + 1}`;
}

function unknownKeys(o: Record<string, unknown>, known: readonly string[], where: string, errors: string[]): void {
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) {
      errors.push(`${where}: unknown field ${quote(k)}${didYouMean(k, known)}; fields are ${known.join(', ')}.`);
    }
  }
}

function requiredString(
  o: Record<string, unknown>,
  key: string,
  where: string,
  errors: string[],
  max: number,
): string | null {
  const v = o[key];
  if (typeof v !== 'string' || v.trim() === '' || isMarker(v)) {
    errors.push(`${where}: "${key}" must be a non-empty text, got ${describe(v)}.`);
    return null;
  }
  if (v.length > max) errors.push(`${where}: "${key}" is longer than ${max} characters.`);
  return v;
}

function optionalString(
  o: Record<string, unknown>,
  key: string,
  where: string,
  errors: string[],
  max: number,
): string | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || isMarker(v)) {
    errors.push(`${where}: "${key}" must be a text, got ${describe(v)}.`);
    return null;
  }
  if (v.length > max) errors.push(`${where}: "${key}" is longer than ${max} characters.`);
  return v;
}

function notes(v: unknown, where: string, errors: string[]): string {
  if (v === undefined || v === null) return '';
  const parts = typeof v === 'string' ? [v] : Array.isArray(v) ? v : null;
  if (!parts || parts.some((p) => typeof p !== 'string' || isMarker(p))) {
    errors.push(`${where}: "note" must be a text or a list of paragraphs (texts), got ${describe(v)}.`);
    return '';
  }
  const text = (parts as string[]).join('\n\n');
  if (text.length > MAX_TEXT) errors.push(`${where}: "note" is longer than ${MAX_TEXT} characters.`);
  return text;
}

function wholeNumber(
  v: unknown,
  key: string,
  where: string,
  errors: string[],
  max: number,
  orElse?: string,
): number | null {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max) return v;
  errors.push(
    `${where}: "${key}" must be a whole number from 0 to ${max}${orElse ? ` or ${orElse}` : ''}, got ${describe(v)}.`,
  );
  return null;
}

function sampling<K extends keyof Sampling>(
  o: Record<string, unknown>,
  key: K,
  where: string,
  errors: string[],
): Sampling[K] {
  const v = o[key];
  // JSON has no NaN or Infinity; a string such as "NaN" or "0.5" is refused too, so every number is a real one.
  const error = typeof v === 'number' || v === null ? samplingError(key, v) : null;
  if (error !== null || !(typeof v === 'number' || v === null)) {
    errors.push(
      `${where}: "${key}" ${error ? `is ${describe(v)}: ${error}` : `must be a number, got ${describe(v)}.`}`,
    );
    return DEFAULT_SAMPLING[key];
  }
  return v as Sampling[K];
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string' && v.startsWith(NON_FINITE))
    return `${v.slice(NON_FINITE.length)} (JSON has no ${v.slice(NON_FINITE.length).replace('-', '')})`;
  if (typeof v === 'string') return `the text ${quote(truncate(v, 40))}`;
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function quote(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

function capErrors(errors: string[]): string[] {
  if (errors.length <= MAX_ERRORS) return errors;
  return [...errors.slice(0, MAX_ERRORS), `… and ${errors.length - MAX_ERRORS} more problems.`];
}

/** ` — did you mean "pattern"?` when a known word is within two edits (typos in field and step names). */
function didYouMean(v: unknown, known: readonly string[]): string {
  if (typeof v !== 'string' || v.length > 40) return '';
  let best = '';
  let bestD = 3;
  for (const k of known) {
    const d = editDistance(v.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best ? ` (did you mean "${best}"?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}
