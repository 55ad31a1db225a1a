/**
 * Every error a tokenizer raises on bad input is a TokenizerError with a stable `code`, so the app can show a
 * helpful message (and tests can assert on the kind of failure) without parsing English. `index` is the UTF-16
 * offset in the input string (for text errors) or the position in the id list (for id errors), when there is one.
 */
export type TokenizerErrorCode =
  | 'unknown-text' // a word or character that is not in the vocabulary, and no unknown token was configured
  | 'invalid-text' // text that has no UTF-8 encoding (a lone surrogate), so a byte-level tokenizer cannot encode it
  | 'unknown-id' // decode / idToToken got an id outside the vocabulary
  | 'bad-vocab' // a vocabulary, merge list or option that cannot describe a tokenizer
  | 'bad-json'; // a serialised tokenizer that does not parse

export class TokenizerError extends Error {
  readonly code: TokenizerErrorCode;
  readonly index: number | undefined;
  constructor(code: TokenizerErrorCode, message: string, index?: number) {
    super(message);
    this.name = 'TokenizerError';
    this.code = code;
    this.index = index;
  }
}

/** `"x"`, or `U+D800` for characters that would be invisible or confusing inside quotes. */
export function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  // Controls, whitespace and surrogates print as nothing useful, so name them by code point only.
  if (/^[\p{Cc}\p{Cf}\p{Z}\p{Cs}\s]$/u.test(ch) || (cp >= 0xd800 && cp <= 0xdfff)) return hex;
  return `"${ch}" (${hex})`;
}

export function checkId(id: number, vocabSize: number, position?: number): void {
  if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
    const where = position === undefined ? '' : ` at position ${position}`;
    throw new TokenizerError(
      'unknown-id',
      `token id ${id}${where} is outside the vocabulary (valid ids are 0..${vocabSize - 1})`,
      position,
    );
  }
}
