import { checkId, describeChar, TokenizerError } from './errors';
import type { CharTokenizerJSON, Token, Tokenizer } from './types';
import type { VocabOptions } from './word';

/**
 * One token per Unicode code point, for toy models: an emoji outside the BMP is one character (two UTF-16 code
 * units), not two. No bytes are involved, so a lone surrogate is simply a character of its own.
 */
export class CharTokenizer implements Tokenizer {
  readonly kind = 'char' as const;
  readonly vocabSize: number;
  readonly unknown: string | undefined;
  private readonly chars: readonly string[];
  private readonly ids = new Map<string, number>();

  /** `chars[id]` is one code point each; `options.unknown` (any non-empty string) is added last if absent. */
  constructor(chars: readonly string[], options: VocabOptions = {}) {
    const all = [...chars];
    if (options.unknown !== undefined && !all.includes(options.unknown)) all.push(options.unknown);
    all.forEach((c, id) => {
      const ok = typeof c === 'string' && (c === options.unknown ? c.length > 0 : codePointLength(c, 0) === c.length);
      if (!ok) throw new TokenizerError('bad-vocab', `entry ${id} (${JSON.stringify(c)}) is not one character`);
      if (this.ids.has(c)) throw new TokenizerError('bad-vocab', `character ${describeChar(c)} is listed twice`);
      this.ids.set(c, id);
    });
    this.chars = all;
    this.vocabSize = all.length;
    this.unknown = options.unknown;
  }

  /** The distinct code points of `corpus`, sorted by code point (so ids follow Unicode order: ' ' < 'A' < 'a'). */
  static fromCorpus(corpus: string, options: VocabOptions = {}): CharTokenizer {
    const set = new Set<string>();
    for (let i = 0; i < corpus.length; ) {
      const n = codePointLength(corpus, i);
      set.add(corpus.slice(i, i + n));
      i += n;
    }
    const chars = [...set].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    return new CharTokenizer(chars, options);
  }

  static fromJSON(json: CharTokenizerJSON): CharTokenizer {
    if (json.kind !== 'char' || json.version !== 1 || !Array.isArray(json.chars)) {
      throw new TokenizerError('bad-json', 'not a version-1 char tokenizer');
    }
    if (json.unknown !== undefined && !json.chars.includes(json.unknown)) {
      throw new TokenizerError('bad-json', `the unknown token "${json.unknown}" is not among the characters`);
    }
    return new CharTokenizer(json.chars, json.unknown === undefined ? {} : { unknown: json.unknown });
  }

  encode(text: string): number[] {
    return this.tokenize(text).map((t) => t.id);
  }

  tokenize(text: string): Token[] {
    const tokens: Token[] = [];
    for (let i = 0; i < text.length; ) {
      const n = codePointLength(text, i);
      const ch = text.slice(i, i + n);
      let id = this.ids.get(ch);
      if (id === undefined) {
        if (this.unknown === undefined) {
          throw new TokenizerError('unknown-text', `unknown character ${describeChar(ch)} at index ${i}`, i);
        }
        id = this.ids.get(this.unknown)!;
      }
      tokens.push({ id, text: this.chars[id], start: i, end: i + n });
      i += n;
    }
    return tokens;
  }

  decode(ids: readonly number[]): string {
    let out = '';
    ids.forEach((id, i) => {
      checkId(id, this.vocabSize, i);
      out += this.chars[id];
    });
    return out;
  }

  idToToken(id: number): string {
    checkId(id, this.vocabSize);
    return this.chars[id];
  }

  toJSON(): CharTokenizerJSON {
    const json: CharTokenizerJSON = { kind: 'char', version: 1, chars: [...this.chars] };
    if (this.unknown !== undefined) json.unknown = this.unknown;
    return json;
  }
}

/** 2 at a well-formed surrogate pair, else 1 (a lone surrogate counts as one character). */
function codePointLength(s: string, i: number): number {
  const hi = s.charCodeAt(i);
  if (hi >= 0xd800 && hi <= 0xdbff && i + 1 < s.length) {
    const lo = s.charCodeAt(i + 1);
    if (lo >= 0xdc00 && lo <= 0xdfff) return 2;
  }
  return 1;
}
