import { describe, expect, it } from 'vitest';
import { TokenizerError } from './errors';
import { tokenizerFromJSON } from './json';

describe('tokenizerFromJSON', () => {
  it('rejects what is not a serialised tokenizer with a TokenizerError', () => {
    for (const bad of [null, 42, 'gpt2', {}, { kind: 'sentencepiece' }, { kind: 'word', version: 2, words: [] }]) {
      expect(() => tokenizerFromJSON(bad), JSON.stringify(bad)).toThrow(TokenizerError);
    }
    expect(() => tokenizerFromJSON({ kind: 'sentencepiece' })).toThrow(/unknown tokenizer kind "sentencepiece"/);
    expect(() => tokenizerFromJSON({ kind: 'char', version: 1, chars: 'abc' })).toThrow(/not a version-1 char/);
    expect(() => tokenizerFromJSON({ kind: 'bpe', version: 1, merges: [[0, 1, -5]], specialTokens: [] })).toThrow(
      /invalid value -5/,
    );
  });
});
