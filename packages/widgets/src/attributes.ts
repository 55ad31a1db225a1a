/**
 * Reading a widget's attributes. Every attribute is text written by a course author (or, through the iframe route,
 * by whoever made the link), so each parser either returns a value or a sentence saying what is wrong with it; the
 * widget shows those sentences inline instead of a blank box. Nothing here touches the DOM: unit-tested in Node.
 */

/** A snapshot of the observed attributes: null when absent. */
export type Attributes = Readonly<Record<string, string | null>>;

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(error: string): Parsed<T> => ({ ok: false, error });

/** Attribute text quoted for a message, shortened so a huge attribute does not flood the widget. */
export function quote(text: string, max = 60): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

/** Collects the problems of several parses; `take` returns the value or the fallback when the parse failed. */
export class Problems {
  readonly list: string[] = [];
  take<T>(p: Parsed<T>, fallback: T): T {
    if (p.ok) return p.value;
    this.list.push(p.error);
    return fallback;
  }
  add(error: string | null): void {
    if (error !== null) this.list.push(error);
  }
}

/** A model name: absent → the default; otherwise one of `known`. */
export function parseModel(attr: string | null, known: readonly string[], fallback: string): Parsed<string> {
  if (attr === null) return ok(fallback);
  const name = attr.trim();
  if (known.includes(name)) return ok(name);
  return bad(`model=${quote(attr)} is not a shipped model. Shipped models: ${known.join(', ')}.`);
}

/** A prompt: absent → the fallback (the model's example prompt); present but blank is an error, not a default. */
export function parsePrompt(attr: string | null, fallback: string, maxLength: number): Parsed<string> {
  if (attr === null) return ok(fallback);
  if (attr.trim() === '') return bad('prompt is empty: write some text for the model to read, e.g. prompt="cat sat".');
  if (attr.length > maxLength) return bad(`prompt is ${attr.length} characters long; at most ${maxLength}.`);
  return ok(attr);
}

/** A whole number ≥ 0 (layer, head, seed…). The upper bound depends on the model: see checkIndex. */
export function parseIndex(name: string, attr: string | null, fallback: number): Parsed<number> {
  if (attr === null) return ok(fallback);
  const t = attr.trim();
  if (!/^\d{1,9}$/.test(t)) return bad(`${name}=${quote(attr)} must be a whole number ≥ 0.`);
  return ok(Number(t));
}

/** index < count, with a message that says the model's range. */
export function checkIndex(name: string, index: number, count: number, what = `${name}s`): string | null {
  if (index < count) return null;
  return `${name}=${index} is out of range: this model has ${count} ${count === 1 ? name : what} (${name} 0${count > 1 ? `–${count - 1}` : ''}).`;
}

/** A finite number checked by `check` (which returns a message or null). */
export function parseNumber(
  name: string,
  attr: string | null,
  fallback: number,
  check: (n: number) => string | null,
): Parsed<number> {
  if (attr === null) return ok(fallback);
  const t = attr.trim();
  const n = t === '' ? Number.NaN : Number(t);
  if (!Number.isFinite(n)) return bad(`${name}=${quote(attr)} is not a number.`);
  const error = check(n);
  return error === null ? ok(n) : bad(`${name}=${quote(attr)}: ${error}`);
}

/** An optional number (top-k, top-p): absent or empty → null. */
export function parseOptionalNumber(
  name: string,
  attr: string | null,
  check: (n: number) => string | null,
): Parsed<number | null> {
  if (attr === null || attr.trim() === '') return ok(null);
  return parseNumber(name, attr, 0, check);
}

/** One of a fixed list of words. */
export function parseChoice<T extends string>(
  name: string,
  attr: string | null,
  choices: readonly T[],
  fallback: T,
): Parsed<T> {
  if (attr === null) return ok(fallback);
  const t = attr.trim() as T;
  if (choices.includes(t)) return ok(t);
  return bad(`${name}=${quote(attr)} must be one of: ${choices.join(', ')}.`);
}

/** A boolean attribute: present (any value but "false") is true. */
export function parseFlag(attr: string | null): boolean {
  return attr !== null && attr.trim().toLowerCase() !== 'false';
}

/** The message of anything thrown, for the inline error. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
