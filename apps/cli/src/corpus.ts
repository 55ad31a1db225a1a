import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Tokenizer } from '@glassbox/tokenizers';
import { CharTokenizer, loadGpt2Tokenizer, TokenizerError, trainBpe, WordTokenizer } from '@glassbox/tokenizers';
import { CliError, UsageError } from './errors';
import { lineColumn } from './format';
import { parseTokenizer } from './modelDir';

/** A training corpus must be text: a binary file fed to a tokenizer would train on noise and say nothing. */
export async function readCorpus(path: string): Promise<string> {
  const bytes = await readFile(path);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CliError(`${path}: not UTF-8 text (a corpus must be a plain text file)`);
  }
}

const TOKENIZER_SPECS = 'bpe:VOCAB, char, word, gpt2 or a tokenizer.json path';

/**
 * The tokenizer a new run trains with:
 *   char       one token per character of the corpus
 *   word       one token per distinct whitespace-separated word of the corpus, most frequent first
 *   bpe:VOCAB  the project's byte-level BPE, with VOCAB tokens learned on the corpus
 *   gpt2       GPT-2's own 50,257-token BPE
 *   PATH       an existing tokenizer.json (e.g. a shipped model's), so two models share ids
 */
export async function buildTokenizer(spec: string, corpus: string, onNote: (s: string) => void): Promise<Tokenizer> {
  if (spec === 'char') return CharTokenizer.fromCorpus(corpus);
  if (spec === 'word') return wordTokenizerFor(corpus);
  if (spec === 'gpt2') return loadGpt2Tokenizer();
  const bpe = /^bpe:(\d+)$/.exec(spec);
  if (bpe) {
    // The byte tokens come first (ids 0..255), so smaller vocabularies cannot exist; say so before announcing work.
    if (Number(bpe[1]) < 256) throw new UsageError(`--tokenizer ${spec}: a BPE vocabulary has at least 256 tokens`);
    onNote(`learning a ${bpe[1]}-token BPE vocabulary from the corpus…`);
    try {
      return trainBpe(corpus, { vocabSize: Number(bpe[1]) });
    } catch (err) {
      if (err instanceof TokenizerError) throw new UsageError(`--tokenizer ${spec}: ${err.message}`);
      throw err;
    }
  }
  if (spec.endsWith('.json') || existsSync(spec)) return parseTokenizer(await readFile(spec, 'utf8'), spec);
  throw new UsageError(`--tokenizer must be ${TOKENIZER_SPECS}, got "${spec}"`);
}

function wordTokenizerFor(corpus: string): WordTokenizer {
  const counts = new Map<string, number>();
  for (const m of corpus.matchAll(/\S+/g)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
  if (counts.size === 0) throw new CliError('the corpus has no words to build a word tokenizer from');
  // Most frequent first (ties by first appearance, which Map order keeps): small ids are the common words.
  const words = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([w]) => w);
  return new WordTokenizer(words);
}

/**
 * Encodes the whole corpus. A character (or word) the tokenizer cannot encode is reported as `FILE:LINE:COLUMN:`,
 * the form editors and terminals turn into a link, because "index 48213" does not help anyone find it.
 */
export function encodeCorpus(tokenizer: Tokenizer, corpus: string, path: string): number[] {
  try {
    return tokenizer.encode(corpus);
  } catch (err) {
    if (err instanceof TokenizerError && err.index !== undefined) {
      const { line, column } = lineColumn(corpus, err.index);
      const what = err.message.replace(/ at index \d+/, '');
      throw new CliError(
        `${path}:${line}:${column}: the ${tokenizer.kind} tokenizer cannot encode the corpus: ${what}`,
      );
    }
    if (err instanceof TokenizerError) throw new CliError(`${path}: ${err.message}`);
    throw err;
  }
}
