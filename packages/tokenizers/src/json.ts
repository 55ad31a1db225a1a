import { BpeTokenizer } from './bpe';
import { CharTokenizer } from './char';
import { TokenizerError } from './errors';
import { Gpt2Tokenizer } from './gpt2';
import type { BpeTokenizerJSON, CharTokenizerJSON, Gpt2TokenizerJSON, Tokenizer, WordTokenizerJSON } from './types';
import { WordTokenizer } from './word';

/**
 * Rebuilds any tokenizer from its toJSON() output. Takes `unknown` because the JSON usually comes from a file or a
 * checkpoint: everything is checked, and bad input is a TokenizerError('bad-json' or 'bad-vocab'), not a crash.
 */
export function tokenizerFromJSON(json: unknown): Tokenizer {
  const kind = typeof json === 'object' && json !== null ? (json as { kind?: unknown }).kind : undefined;
  switch (kind) {
    case 'gpt2':
      return Gpt2Tokenizer.fromJSON(json as Gpt2TokenizerJSON);
    case 'bpe':
      return BpeTokenizer.fromJSON(json as BpeTokenizerJSON);
    case 'word':
      return WordTokenizer.fromJSON(json as WordTokenizerJSON);
    case 'char':
      return CharTokenizer.fromJSON(json as CharTokenizerJSON);
    default:
      throw new TokenizerError('bad-json', `unknown tokenizer kind ${JSON.stringify(kind)}`);
  }
}
