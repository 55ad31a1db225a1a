import { checkId, TokenizerError } from './errors';
import type { Token, Tokenizer, WordTokenizerJSON } from './types';

export interface VocabOptions {
  /** A token that unknown input maps to (added to the vocabulary if absent). Without it, unknown input throws. */
  unknown?: string;
}

/**
 * Whole words for toy models (e.g. the world of [cat, dog, sat, on, the, mat, is, happy, sad, END]): text is split
 * on whitespace, so spacing is not kept and decode joins words with single spaces.
 */
export class WordTokenizer implements Tokenizer {
  readonly kind = 'word' as const;
  readonly vocabSize: number;
  readonly unknown: string | undefined;
  private readonly words: readonly string[];
  private readonly ids = new Map<string, number>();

  constructor(words: readonly string[], options: VocabOptions = {}) {
    const all = [...words];
    if (options.unknown !== undefined && !all.includes(options.unknown)) all.push(options.unknown);
    all.forEach((w, id) => {
      if (typeof w !== 'string' || w.length === 0 || /\s/.test(w)) {
        throw new TokenizerError('bad-vocab', `word ${id} (${JSON.stringify(w)}) must be non-empty with no whitespace`);
      }
      if (this.ids.has(w)) throw new TokenizerError('bad-vocab', `word "${w}" is listed twice`);
      this.ids.set(w, id);
    });
    this.words = all;
    this.vocabSize = all.length;
    this.unknown = options.unknown;
  }

  static fromJSON(json: WordTokenizerJSON): WordTokenizer {
    if (json.kind !== 'word' || json.version !== 1 || !Array.isArray(json.words)) {
      throw new TokenizerError('bad-json', 'not a version-1 word tokenizer');
    }
    if (json.unknown !== undefined && !json.words.includes(json.unknown)) {
      throw new TokenizerError('bad-json', `the unknown token "${json.unknown}" is not among the words`);
    }
    return new WordTokenizer(json.words, json.unknown === undefined ? {} : { unknown: json.unknown });
  }

  encode(text: string): number[] {
    return this.tokenize(text).map((t) => t.id);
  }

  tokenize(text: string): Token[] {
    const tokens: Token[] = [];
    for (const m of text.matchAll(/\S+/g)) {
      let id = this.ids.get(m[0]);
      if (id === undefined) {
        if (this.unknown === undefined) {
          throw new TokenizerError(
            'unknown-text',
            `unknown word "${m[0]}" at index ${m.index}; ${this.describeVocab()}`,
            m.index,
          );
        }
        id = this.ids.get(this.unknown)!;
      }
      tokens.push({ id, text: this.words[id], start: m.index, end: m.index + m[0].length });
    }
    return tokens;
  }

  decode(ids: readonly number[]): string {
    return ids
      .map((id, i) => {
        checkId(id, this.vocabSize, i);
        return this.words[id];
      })
      .join(' ');
  }

  idToToken(id: number): string {
    checkId(id, this.vocabSize);
    return this.words[id];
  }

  private describeVocab(): string {
    // Toy vocabularies are short enough to list, which tells a student at once what they may type.
    return this.words.length <= 30 ? `the vocabulary is: ${this.words.join(' ')}` : `${this.words.length} known words`;
  }

  toJSON(): WordTokenizerJSON {
    const json: WordTokenizerJSON = { kind: 'word', version: 1, words: [...this.words] };
    if (this.unknown !== undefined) json.unknown = this.unknown;
    return json;
  }
}
