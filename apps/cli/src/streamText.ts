import type { Tokenizer } from '@glassbox/tokenizers';

/**
 * Turns a growing list of token ids into text that can be printed piece by piece.
 *
 * Decoding each new token on its own is wrong for two tokenizers: a word tokenizer puts the spaces *between* words
 * (decode([a]) + decode([b]) lacks the space of decode([a, b])), and a byte-level BPE token may hold only part of a
 * UTF-8 character (decoded alone it is U+FFFD). So the whole sequence is decoded each time and only what extends the
 * text already printed comes out, holding back a trailing U+FFFD until the next token completes the character.
 */
export class TextStream {
  private readonly ids: number[];
  /** Length of the decoded text already handed out (the prompt's decoded text counts as handed out). */
  private printed: number;

  constructor(
    private readonly tokenizer: Tokenizer,
    promptIds: readonly number[],
  ) {
    this.ids = [...promptIds];
    this.printed = tokenizer.decode(this.ids).length;
  }

  /** Adds one token and returns the new text that can be shown now (possibly ''). */
  push(id: number): string {
    this.ids.push(id);
    return this.take(false);
  }

  /** Whatever is still held back (an incomplete character at the very end is shown as U+FFFD). */
  flush(): string {
    return this.take(true);
  }

  private take(final: boolean): string {
    let text = this.tokenizer.decode(this.ids);
    if (!final) text = text.replace(/\uFFFD+$/, '');
    if (text.length <= this.printed) return '';
    const out = text.slice(this.printed);
    this.printed = text.length;
    return out;
  }
}
