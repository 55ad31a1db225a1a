/**
 * One token of an input string. `start`/`end` are offsets into the ORIGINAL string in UTF-16 code units, so a view
 * can highlight `text.slice(start, end)`. `text` is the token's display string (see Tokenizer.idToToken), which for
 * byte-level tokens that hold only part of a character is not the same as the slice.
 */
export interface Token {
  id: number;
  text: string;
  start: number;
  end: number;
}

export type TokenizerKind = 'gpt2' | 'bpe' | 'word' | 'char';

export interface Tokenizer {
  readonly kind: TokenizerKind;
  readonly vocabSize: number;
  encode(text: string): number[];
  /** ids + display strings + offsets. */
  tokenize(text: string): Token[];
  /** Throws TokenizerError('unknown-id') on an id outside the vocabulary. */
  decode(ids: readonly number[]): string;
  /** Display string of one token. Throws TokenizerError('unknown-id') on an id outside the vocabulary. */
  idToToken(id: number): string;
  /** Plain data (JSON.stringify-able); tokenizerFromJSON(json) rebuilds the same tokenizer. */
  toJSON(): TokenizerJSON;
}

/**
 * GPT-2's 50,000 merges as base64 of little-endian uint16 [left, right] id pairs (200 KB of bytes instead of the
 * 1.5 MB of encoder.json + vocab.bpe): merge r creates id 256 + r, so the pairs alone rebuild the whole vocabulary.
 */
export interface Gpt2TokenizerJSON {
  kind: 'gpt2';
  version: 1;
  merges: string;
}

/** The project's BPE: ids 0..255 are the bytes 0..255, merge r creates id 256 + r, special tokens follow. */
export interface BpeTokenizerJSON {
  kind: 'bpe';
  version: 1;
  /** [left id, right id, count in the training corpus] in rank order. */
  merges: [number, number, number][];
  specialTokens: string[];
}

export interface WordTokenizerJSON {
  kind: 'word';
  version: 1;
  /** id → word. */
  words: string[];
  /** A member of `words` that unknown words map to; absent means unknown words are an error. */
  unknown?: string;
}

export interface CharTokenizerJSON {
  kind: 'char';
  version: 1;
  /** id → character (one code point, or the unknown token). */
  chars: string[];
  unknown?: string;
}

export type TokenizerJSON = Gpt2TokenizerJSON | BpeTokenizerJSON | WordTokenizerJSON | CharTokenizerJSON;

/** One learned merge, recorded so a view can replay training step by step. */
export interface MergeRecord {
  /** Order in which the merge was learned, and in which encode applies it (lowest first). */
  rank: number;
  /** Ids of the two tokens that were joined. */
  left: number;
  right: number;
  /** Id of the new token: always 256 + rank. */
  merged: number;
  /** How often the pair occurred in the training corpus when it was chosen. */
  count: number;
}
