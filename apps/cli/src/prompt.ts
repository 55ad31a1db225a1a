import type { Tokenizer } from '@glassbox/tokenizers';
import { TokenizerError } from '@glassbox/tokenizers';
import { CliError } from './errors';

/**
 * Prompt text → ids, with the tokenizer's complaint (unknown word, unknown character) passed on in one line that
 * says it was the prompt. An empty result is refused here: the engine needs at least one token to predict from.
 */
export function encodePrompt(tokenizer: Tokenizer, prompt: string): number[] {
  let ids: number[];
  try {
    ids = tokenizer.encode(prompt);
  } catch (err) {
    if (err instanceof TokenizerError) throw new CliError(`the prompt cannot be encoded: ${err.message}`);
    throw err;
  }
  if (ids.length === 0) {
    throw new CliError(
      `the prompt ${JSON.stringify(prompt)} encodes to no tokens; give at least one word or character`,
    );
  }
  return ids;
}

/**
 * The prompt used when --prompt is left out (`npm run dev` passes none): a common opening that this tokenizer can
 * encode, so the shipped model always has something to continue, whatever its vocabulary. The last resort, the
 * first token of the vocabulary, always encodes.
 */
export function defaultPrompt(tokenizer: Tokenizer): string {
  for (const candidate of ['The', 'the', 'A', 'a']) {
    try {
      if (tokenizer.encode(candidate).length > 0 && tokenizer.decode(tokenizer.encode(candidate)) === candidate) {
        return candidate;
      }
    } catch {
      // Not in this vocabulary: try the next one.
    }
  }
  return tokenizer.idToToken(0);
}
